import type { Point } from './geometry.js';

// A counting line from `a` to `b`. Walking across it from its right-hand side to its
// left-hand side (looking from a towards b) is "in". A track's side only changes once
// its foot point is more than `band` away from the line, so jitter or someone waiting
// on the line never counts, and each real crossing counts once per direction.

export interface LineConfig {
  id: string;
  a: Point;
  b: Point;
  /** Hysteresis half-width, in normalised image units. */
  band: number;
}

export type Direction = 'in' | 'out';

export interface Crossing {
  lineId: string;
  trackId: number;
  direction: Direction;
  t: number;
}

export class CountingLine {
  /** Last settled side per track: +1 left (inside), -1 right (outside). */
  private readonly side = new Map<number, 1 | -1>();
  private readonly len: number;

  constructor(readonly cfg: LineConfig) {
    this.len = Math.hypot(cfg.b[0] - cfg.a[0], cfg.b[1] - cfg.a[1]);
    if (this.len === 0) throw new Error(`line ${cfg.id}: its two ends are the same point`);
  }

  /** Signed distance (positive on the left of a→b) and position along the segment (0..1). */
  private measure(p: Point): { d: number; along: number } {
    const { a, b } = this.cfg;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    // (p - a) × (b - a): with image y growing downwards this is positive on the left
    const d = ((p[0] - a[0]) * dy - (p[1] - a[1]) * dx) / this.len;
    const along = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (this.len * this.len);
    return { d, along };
  }

  update(trackId: number, p: Point, t: number): Crossing | undefined {
    const { d, along } = this.measure(p);
    if (Math.abs(d) <= this.cfg.band) return undefined;
    const now: 1 | -1 = d > 0 ? 1 : -1;
    const before = this.side.get(trackId);
    this.side.set(trackId, now);
    // Crossing beyond the segment's ends (walking around the line) does not count.
    if (before === undefined || before === now || along < 0 || along > 1) return undefined;
    return { lineId: this.cfg.id, trackId, direction: now === 1 ? 'in' : 'out', t };
  }

  /** Forgets tracks that ended. */
  retain(live: Set<number>): void {
    for (const id of this.side.keys()) if (!live.has(id)) this.side.delete(id);
  }
}
