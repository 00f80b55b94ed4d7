import sharp from 'sharp';

/** A decoded RGB frame in memory (frames never touch the disk). */
export interface Frame {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes a pixel, row by row. */
  data: Buffer;
}

export interface Letterbox {
  /** NCHW float tensor data, 3 × size × size. */
  tensor: Float32Array;
  scale: number;
  padX: number;
  padY: number;
}

/** Scales the frame to fit a size×size square, keeping its aspect, centred on grey padding. */
export async function letterbox(
  frame: Frame,
  size: number,
  norm: { mean: readonly number[]; std: readonly number[]; bgr: boolean },
): Promise<Letterbox> {
  const scale = Math.min(size / frame.width, size / frame.height);
  const w = Math.max(1, Math.round(frame.width * scale));
  const h = Math.max(1, Math.round(frame.height * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  const px = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .extend({
      top: padY,
      bottom: size - h - padY,
      left: padX,
      right: size - w - padX,
      background: { r: 114, g: 114, b: 114 },
    })
    .raw()
    .toBuffer();
  const plane = size * size;
  const tensor = new Float32Array(3 * plane);
  const order = norm.bgr ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const src = order[c]!;
    const mean = norm.mean[c]!;
    const inv = 1 / norm.std[c]!;
    const off = c * plane;
    for (let i = 0; i < plane; i++) tensor[off + i] = (px[i * 3 + src]! - mean) * inv;
  }
  return { tensor, scale, padX, padY };
}
