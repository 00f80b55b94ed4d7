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

/** The size a frame takes inside the size×size square, its aspect kept. A source that
 * decodes at this size (ffmpeg scales as it decodes) spares the detector its resize. */
export function fitSize(
  width: number,
  height: number,
  size: number,
): { width: number; height: number; scale: number } {
  const scale = Math.min(size / width, size / height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    scale,
  };
}

type Norm = { mean: readonly number[]; std: readonly number[]; bgr: boolean };

// grey padding, as the model was trained with
const PAD = 114;

/** Scales the frame to fit a size×size square, keeping its aspect, centred on grey padding,
 * into an NCHW tensor normalised per channel. A frame already at its fitted size is only
 * padded and normalised, in one pass here; another is resized by sharp first. */
export async function letterbox(
  frame: Frame,
  size: number,
  norm: Norm,
  /** a tensor of 3 × size × size to fill instead of a new one (the detector reuses them) */
  into?: Float32Array,
): Promise<Letterbox> {
  const { width: w, height: h, scale } = fitSize(frame.width, frame.height, size);
  const px =
    w === frame.width && h === frame.height
      ? frame.data
      : await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
          .resize(w, h, { fit: 'fill', kernel: 'linear' })
          .raw()
          .toBuffer();
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  return { tensor: toTensor(px, w, h, size, padX, padY, norm, into), scale, padX, padY };
}

/** Packed RGB of w×h placed at (padX, padY) in a size×size grey square, as normalised
 * planes: each channel's byte → float through a 256-entry table. */
function toTensor(
  px: Buffer,
  w: number,
  h: number,
  size: number,
  padX: number,
  padY: number,
  norm: Norm,
  into?: Float32Array,
) {
  const plane = size * size;
  const tensor = into?.length === 3 * plane ? into : new Float32Array(3 * plane);
  const order = norm.bgr ? [2, 1, 0] : [0, 1, 2];
  const luts = [0, 1, 2].map((c) => {
    const mean = norm.mean[c]!;
    const inv = 1 / norm.std[c]!;
    return Float32Array.from({ length: 256 }, (_, v) => (v - mean) * inv);
  });
  for (let c = 0; c < 3; c++) tensor.fill(luts[c]![PAD]!, c * plane, (c + 1) * plane);
  const [l0, l1, l2] = luts as [Float32Array, Float32Array, Float32Array];
  const [s0, s1, s2] = order as [number, number, number];
  for (let y = 0; y < h; y++) {
    let j = y * w * 3;
    let i = (y + padY) * size + padX;
    for (let x = 0; x < w; x++, i++, j += 3) {
      tensor[i] = l0[px[j + s0]!]!;
      tensor[plane + i] = l1[px[j + s1]!]!;
      tensor[2 * plane + i] = l2[px[j + s2]!]!;
    }
  }
  return tensor;
}
