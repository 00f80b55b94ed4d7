import type { Frame } from './detector/letterbox.js';

// Motion gating: inference is the expensive step, and an empty aisle at night or a
// still queue changes nothing. A frame goes to the detector only if enough of a coarse
// grey thumbnail differs from the last frame that did, or if `maxSkipMs` has passed
// (so a person standing still is still confirmed now and then).

export interface MotionOptions {
  /** Fraction of thumbnail cells that must change (0..1). */
  threshold: number;
  /** Grey-level change (0..255) for a cell to count as changed. */
  pixelDelta: number;
  maxSkipMs: number;
}

const W = 64;
const H = 48;

export function thumbnail(f: Frame): Uint8Array {
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const sy = Math.floor(((y + 0.5) * f.height) / H);
    for (let x = 0; x < W; x++) {
      const sx = Math.floor(((x + 0.5) * f.width) / W);
      const i = (sy * f.width + sx) * 3;
      out[y * W + x] = (f.data[i]! * 77 + f.data[i + 1]! * 150 + f.data[i + 2]! * 29) >> 8;
    }
  }
  return out;
}

export class MotionGate {
  private ref: Uint8Array | undefined;
  private refT = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: MotionOptions) {}

  /** Whether this frame should be inferred; if so it becomes the new reference. */
  check(f: Frame, t: number): boolean {
    const thumb = thumbnail(f);
    let go = !this.ref || t - this.refT >= this.o.maxSkipMs;
    if (!go && this.ref) {
      let changed = 0;
      for (let i = 0; i < thumb.length; i++)
        if (Math.abs(thumb[i]! - this.ref[i]!) > this.o.pixelDelta) changed++;
      go = changed / thumb.length >= this.o.threshold;
    }
    if (go) {
      this.ref = thumb;
      this.refT = t;
    }
    return go;
  }
}
