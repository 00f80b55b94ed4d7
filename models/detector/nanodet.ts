import type { Detection } from './nms.js';

// Decodes NanoDet's GFL head: per stride, a [cells, classes] map of sigmoid scores and
// a [cells, 4 * (regMax + 1)] map of distance distributions (left, top, right, bottom)
// from the cell centre, each an expectation over a softmax, in units of the stride.

export interface HeadOutput {
  dims: readonly number[];
  data: Float32Array;
}

export interface DecodeOptions {
  inputSize: number;
  scoreThreshold: number;
  /** Only these class indices are decoded; the store counts people, not cups. */
  classes: readonly number[];
}

interface Level {
  stride: number;
  side: number;
  cls: HeadOutput;
  reg: HeadOutput;
}

/** Pairs score and box outputs by cell count; each level's stride follows from its grid side. */
export function nanodetLevels(
  outputs: Record<string, HeadOutput>,
  inputSize: number,
  classCount: number,
): Level[] {
  const byCells = new Map<number, { cls?: HeadOutput; reg?: HeadOutput }>();
  for (const o of Object.values(outputs)) {
    const [, cells, width] = o.dims as [number, number, number];
    const slot = byCells.get(cells) ?? {};
    if (width === classCount) slot.cls = o;
    else if (width % 4 === 0) slot.reg = o;
    byCells.set(cells, slot);
  }
  const levels: Level[] = [];
  for (const [cells, { cls, reg }] of byCells) {
    const side = Math.round(Math.sqrt(cells));
    if (!cls || !reg || side * side !== cells)
      throw new Error(`NanoDet outputs: no score/box pair for ${cells} cells`);
    levels.push({ stride: inputSize / side, side, cls, reg });
  }
  return levels.sort((a, b) => a.stride - b.stride);
}

export function decodeNanoDet(levels: Level[], opts: DecodeOptions): Detection[] {
  const out: Detection[] = [];
  const dist = new Float64Array(4);
  for (const { stride, side, cls, reg } of levels) {
    const classCount = cls.dims[2]!;
    const bins = reg.dims[2]! / 4;
    for (let cell = 0; cell < side * side; cell++) {
      for (const c of opts.classes) {
        const score = cls.data[cell * classCount + c]!;
        if (score < opts.scoreThreshold) continue;
        const base = cell * bins * 4;
        for (let k = 0; k < 4; k++) {
          let max = Number.NEGATIVE_INFINITY;
          for (let b = 0; b < bins; b++) max = Math.max(max, reg.data[base + k * bins + b]!);
          let sum = 0;
          let expect = 0;
          for (let b = 0; b < bins; b++) {
            const e = Math.exp(reg.data[base + k * bins + b]! - max);
            sum += e;
            expect += e * b;
          }
          dist[k] = (expect / sum) * stride;
        }
        const cx = ((cell % side) + 0.5) * stride;
        const cy = (Math.floor(cell / side) + 0.5) * stride;
        out.push({
          x1: Math.max(0, cx - dist[0]!),
          y1: Math.max(0, cy - dist[1]!),
          x2: Math.min(opts.inputSize, cx + dist[2]!),
          y2: Math.min(opts.inputSize, cy + dist[3]!),
          score,
          cls: c,
        });
      }
    }
  }
  return out;
}
