// A scanner in presentation mode re-reads a barcode held under it: the same code read
// again within the window is the same scan. Shared by every scanner transport.
import type { ScanEvent } from './scanner.js';

export class Debouncer {
  private last: { data: string; at: number } | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** The scan to report, or null when this read repeats the one before; `at` is when
   * the device read it when the device says (evdev timestamps), else now. */
  accept(data: string, at = this.clock()): ScanEvent | null {
    if (this.last && this.last.data === data && at - this.last.at < this.windowMs) {
      this.last.at = at;
      return null;
    }
    this.last = { data, at };
    const aim = /^\][A-Za-z][0-9A-Za-z]/.exec(data)?.[0] ?? null;
    return { data, aim, at };
  }
}
