// The bagging-area check of a self-checkout: every scanned item should land on the
// bagging scale, and nothing should land there (or leave it) without a scan. The scale
// cannot know what an item weighs without per-item weights from HQ, so the check is on
// stable changes: a rise for each scan within a time limit, no rise without a scan, no
// fall while the shopper is still shopping. A mismatch becomes an alert for staff; the
// shopper is not blocked by the machine, the attendant decides.
export interface BaggingOptions {
  /** changes smaller than this are noise (a hand resting, a bag settling) */
  toleranceG: number;
  /** how long a scanned item may take to reach the bagging area */
  placeWithinMs: number;
}

export type BaggingAlert =
  | 'item not placed in the bagging area'
  | 'unexpected item in the bagging area'
  | 'item removed from the bagging area';

export class BaggingMonitor {
  private stableG: number | null = null;
  private readonly pending: number[] = [];

  constructor(private readonly o: BaggingOptions) {}

  /** An item was scanned at `at`: expect it on the scale. */
  scanned(at: number): void {
    this.pending.push(at + this.o.placeWithinMs);
  }

  /** A new shopper: nothing is expected any more (the load itself is still tracked). */
  reset(): void {
    this.pending.length = 0;
  }

  /** A reading from the bagging scale; only stable readings count. */
  reading(grams: number, stable: boolean): BaggingAlert | null {
    if (!stable) return null;
    if (this.stableG === null) {
      this.stableG = grams;
      return null;
    }
    const delta = grams - this.stableG;
    if (Math.abs(delta) < this.o.toleranceG) return null;
    this.stableG = grams;
    if (delta < 0) return 'item removed from the bagging area';
    if (this.pending.length) {
      this.pending.shift();
      return null;
    }
    return 'unexpected item in the bagging area';
  }

  /** Scans whose item never arrived by `now`. */
  overdue(now: number): BaggingAlert | null {
    if (this.pending.length && this.pending[0]! <= now) {
      this.pending.shift();
      return 'item not placed in the bagging area';
    }
    return null;
  }
}
