// Starts the daemon's parts in order and stops them in reverse, like a service
// manager in miniature. Each part reports its state for /readyz and /metrics.
import type { Logger } from './logger.js';

export type PartState = 'pending' | 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';

export interface Part {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** live facts for /readyz (schema version, device state, backlog…) */
  details?(): Record<string, unknown>;
}

export interface PartStatus {
  name: string;
  state: PartState;
  since: string;
  error?: string;
  details?: Record<string, unknown>;
}

export class StartError extends Error {
  override name = 'StartError';
  constructor(
    readonly part: string,
    readonly reason: string,
  ) {
    super(`part "${part}" failed to start: ${reason}`);
  }
}

export interface LifecycleOptions {
  startTimeoutMs?: number;
  /** the whole stop, all parts together */
  stopTimeoutMs?: number;
  now?: () => number;
}

interface Entry {
  part: Part;
  state: PartState;
  since: number;
  error?: string;
}

class TimeoutError extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class Lifecycle {
  private readonly entries: Entry[] = [];
  private stopping: Promise<boolean> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    private readonly opts: LifecycleOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  add(part: Part): this {
    if (this.entries.some((e) => e.part.name === part.name)) throw new Error(`duplicate part "${part.name}"`);
    this.entries.push({ part, state: 'pending', since: this.now() });
    return this;
  }

  /** Starts every part in order. If one fails, the ones already up are stopped in reverse. */
  async start(): Promise<void> {
    for (const entry of this.entries) {
      const name = entry.part.name;
      this.set(entry, 'starting');
      const t0 = this.now();
      try {
        await withTimeout(
          Promise.resolve().then(() => entry.part.start()),
          this.opts.startTimeoutMs ?? 60_000,
          `start of ${name}`,
        );
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.set(entry, 'failed', reason);
        this.log.error({ part: name, err }, `part ${name} failed to start: ${reason}`);
        await this.stop();
        throw new StartError(name, reason);
      }
      this.set(entry, 'ready');
      this.log.info({ part: name, ms: this.now() - t0 }, `part ${name} ready`);
    }
  }

  /** Stops started parts in reverse order within the stop timeout. Resolves true when
   * every part stopped cleanly. Safe to call more than once. */
  stop(): Promise<boolean> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<boolean> {
    const deadline = this.now() + (this.opts.stopTimeoutMs ?? 10_000);
    let clean = true;
    for (const entry of [...this.entries].reverse()) {
      // a part that failed its start cleans up after itself; one never started has nothing to stop
      if (entry.state === 'pending' || entry.state === 'stopped' || entry.state === 'failed') continue;
      const name = entry.part.name;
      this.set(entry, 'stopping');
      try {
        const left = Math.max(1, deadline - this.now());
        await withTimeout(
          Promise.resolve().then(() => entry.part.stop()),
          left,
          `stop of ${name}`,
        );
        this.set(entry, 'stopped');
        this.log.info({ part: name }, `part ${name} stopped`);
      } catch (err) {
        clean = false;
        const reason = err instanceof Error ? err.message : String(err);
        this.set(entry, 'failed', reason);
        this.log.error({ part: name, err }, `part ${name} did not stop cleanly: ${reason}`);
      }
    }
    return clean;
  }

  status(): PartStatus[] {
    return this.entries.map((e) => {
      const s: PartStatus = { name: e.part.name, state: e.state, since: new Date(e.since).toISOString() };
      if (e.error) s.error = e.error;
      if (e.state === 'ready' && e.part.details) {
        try {
          s.details = e.part.details();
        } catch (err) {
          s.details = { error: err instanceof Error ? err.message : String(err) };
        }
      }
      return s;
    });
  }

  ready(): boolean {
    return this.entries.length > 0 && this.entries.every((e) => e.state === 'ready');
  }

  private set(entry: Entry, state: PartState, error?: string): void {
    entry.state = state;
    entry.since = this.now();
    if (error === undefined) delete entry.error;
    else entry.error = error;
  }
}
