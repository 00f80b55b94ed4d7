import type { DetectorOptions } from './detector.js';
import { PersonDetector } from './detector.js';

// The model in service, swappable while cameras run: a new model is loaded and checked
// beside the old one; only when it is ready does it take over, and the old session is
// released once the frames already inside it are done. A model that fails to load
// changes nothing.

export class DetectorSlot {
  private cur: PersonDetector | undefined;
  private inFlight = new Map<PersonDetector, number>();
  private retired = new Set<PersonDetector>();

  constructor(private readonly opts: DetectorOptions) {}

  current(): PersonDetector | undefined {
    return this.cur;
  }

  /** Loads a model from its manifest and puts it in service; throws ModelRejectedError and keeps the old one. */
  async load(manifestPath: string): Promise<PersonDetector> {
    const next = await PersonDetector.load(manifestPath, this.opts);
    const old = this.cur;
    this.cur = next;
    if (old) {
      this.retired.add(old);
      await this.releaseIfIdle(old);
    }
    return next;
  }

  /** Runs `fn` with the model in service, holding it until `fn` is done. */
  async use<T>(fn: (d: PersonDetector) => Promise<T>): Promise<T | undefined> {
    const d = this.cur;
    if (!d) return undefined;
    this.inFlight.set(d, (this.inFlight.get(d) ?? 0) + 1);
    try {
      return await fn(d);
    } finally {
      const n = (this.inFlight.get(d) ?? 1) - 1;
      if (n) this.inFlight.set(d, n);
      else this.inFlight.delete(d);
      await this.releaseIfIdle(d);
    }
  }

  private async releaseIfIdle(d: PersonDetector): Promise<void> {
    if (!this.retired.has(d) || this.inFlight.has(d)) return;
    this.retired.delete(d);
    await d.release();
  }

  async close(): Promise<void> {
    const all = [...this.retired, ...(this.cur ? [this.cur] : [])];
    this.cur = undefined;
    this.retired.clear();
    await Promise.all(all.map((d) => d.release()));
  }
}
