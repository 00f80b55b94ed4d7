// Guides as a part of the daemon: every second, calls nobody has taken for the store's
// limit are escalated (the staff dashboard shows them); on a schedule, "bought together"
// is recounted from the store's own sales. Both work on the store's database only.

import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import type { Db } from '../db/open.js';
import { AlsoBought } from './also-bought.js';
import { escalateDue } from './calls.js';

export interface GuidesPartOptions {
  db: () => Db;
  now: () => number;
  log: Logger;
  escalateAfterMs: number;
  refreshMs: number;
}

export class GuidesPart implements Part {
  readonly name = 'guides';
  readonly alsoBought = new AlsoBought();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: GuidesPartOptions) {}

  start(): void {
    const guarded = (fn: () => void) => () => {
      try {
        fn();
      } catch (err) {
        // a busy database: the next tick tries again
        this.o.log.warn({ err }, 'guides task failed; retrying');
      }
    };
    const keep = (t: NodeJS.Timeout) => {
      t.unref();
      this.timers.push(t);
    };
    // the first count right after start, not in it: the daemon is ready without waiting on
    // the sales history, and a busy database does not fail the part
    keep(
      setTimeout(
        guarded(() => this.refresh()),
        0,
      ),
    );
    keep(
      setInterval(
        guarded(() => this.escalate()),
        1000,
      ),
    );
    keep(
      setInterval(
        guarded(() => this.refresh()),
        this.o.refreshMs,
      ),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  escalate(): void {
    for (const c of escalateDue(this.o.db(), this.o.escalateAfterMs, this.o.now()))
      this.o.log.warn(
        { callId: c.id, zoneId: c.zoneId },
        'no guide has taken a call: shown on the dashboard',
      );
  }

  refresh(): void {
    const t0 = Date.now();
    this.alsoBought.refresh(this.o.db(), this.o.now());
    this.o.log.info({ ...this.alsoBought.figures(), ms: Date.now() - t0 }, 'bought-together recounted');
  }

  details(): Record<string, unknown> {
    return { alsoBought: this.alsoBought.figures() };
  }
}
