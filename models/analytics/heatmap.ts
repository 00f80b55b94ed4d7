import { applyHomography, type Point } from './geometry.js';

// Presence-seconds on the floor plan: each tracked person adds the time since the last
// processed frame to the grid cell under their feet. The homography maps normalised
// image coordinates to floor metres, calibrated once per camera from four floor marks.

export interface FloorConfig {
  /** Row-major 3×3 image→floor homography. */
  homography: readonly number[];
  cellM: number;
  cols: number;
  rows: number;
}

export class Heatmap {
  readonly cells: Float64Array;

  constructor(readonly cfg: FloorConfig) {
    if (cfg.homography.length !== 9) throw new Error('floor homography needs 9 numbers');
    this.cells = new Float64Array(cfg.cols * cfg.rows);
  }

  /** Floor cell index under an image point, or -1 off the plan. */
  cellAt(p: Point): number {
    const [x, y] = applyHomography(this.cfg.homography, p);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
    const c = Math.floor(x / this.cfg.cellM);
    const r = Math.floor(y / this.cfg.cellM);
    if (c < 0 || r < 0 || c >= this.cfg.cols || r >= this.cfg.rows) return -1;
    return r * this.cfg.cols + c;
  }

  add(p: Point, seconds: number): void {
    const i = this.cellAt(p);
    if (i >= 0) this.cells[i]! += seconds;
  }

  /** Returns the accumulated grid and starts a new one. */
  take(): Float64Array {
    const out = Float64Array.from(this.cells);
    this.cells.fill(0);
    return out;
  }
}
