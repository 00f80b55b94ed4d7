// Keeps the outbox backlog inside its budget while HQ is unreachable for days.
// Money and state events are never touched. Telemetry (footfall, occupancy, dwell,
// heatmap aggregates) is rolled up under pressure: unsent rows of one type within the
// same hour fold into the first of them (counts summed), the others become small
// tombstones that keep their sequence numbers, so HQ sees no gap. If that is not enough,
// the oldest unsent telemetry becomes tombstones until the backlog is under the low
// watermark. The disk is watched too: below `diskLowBytes` free the state is
// `disk_low` (vision stops writing telemetry), and below `diskCriticalBytes` the
// reserve file made at start is released so sales can still be written while staff
// are alarmed.
import { closeSync, existsSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Db } from '../db/open.js';
import { unsentSummary } from '../db/outbox.js';
import { unsentCondition } from '../db/outbox-acks.js';

export interface BacklogOptions {
  db: Db;
  log: Logger;
  highWaterBytes: number;
  lowWaterBytes: number;
  /** where free space is measured (the database's folder) */
  dataDir: string;
  diskLowBytes: number;
  diskCriticalBytes: number;
  /** a file of this size, released when the disk is nearly full (0: none) */
  reserveFile?: { path: string; bytes: number };
  /** free bytes on the data disk; injectable for tests */
  freeBytes?: () => number;
}

export type BacklogState = 'ok' | 'pressure' | 'disk_low' | 'disk_full';

export interface BacklogStatus {
  state: BacklogState;
  unsentEvents: number;
  unsentBytes: number;
  /** when the oldest event still waiting for HQ was written (ms), null with none waiting */
  oldestUnsentAt: number | null;
  freeBytes: number;
  rolledUp: number;
  dropped: number;
  reserveReleased: boolean;
}

interface TelemetryRow {
  seq: number;
  type: string;
  payload: string;
  created_at: number;
}

const HOUR = 3_600_000;

/** Adds numbers at the same paths; the window widens to cover both. */
function mergeCounts(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (typeof v === 'number' && typeof cur === 'number') out[k] = cur + v;
    else if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    )
      out[k] = mergeCounts(cur as Record<string, unknown>, v as Record<string, unknown>);
    else if (cur === undefined) out[k] = v;
  }
  return out;
}

export class BacklogGuard {
  private status_: BacklogStatus = {
    state: 'ok',
    unsentEvents: 0,
    unsentBytes: 0,
    oldestUnsentAt: null,
    freeBytes: Number.POSITIVE_INFINITY,
    rolledUp: 0,
    dropped: 0,
    reserveReleased: false,
  };

  constructor(private readonly o: BacklogOptions) {}

  /** Makes the reserve file if it is missing. */
  prepare(): void {
    const r = this.o.reserveFile;
    if (!r || r.bytes <= 0 || existsSync(r.path)) return;
    const fd = openSync(r.path, 'w');
    try {
      const chunk = Buffer.alloc(Math.min(r.bytes, 1 << 20));
      for (let left = r.bytes; left > 0; left -= chunk.length)
        writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    } finally {
      closeSync(fd);
    }
  }

  status(): BacklogStatus {
    return { ...this.status_ };
  }

  private free(): number {
    if (this.o.freeBytes) return this.o.freeBytes();
    const s = statfsSync(this.o.dataDir);
    return s.bavail * s.bsize;
  }

  /** One check: measure, roll up or drop telemetry if over budget, watch the disk. */
  check(): BacklogStatus {
    let m = unsentSummary(this.o.db);
    const s = this.status_;
    if (m.bytes > this.o.highWaterBytes) {
      s.rolledUp += this.rollUp();
      m = unsentSummary(this.o.db);
      if (m.bytes > this.o.lowWaterBytes) {
        s.dropped += this.dropOldest(m.bytes - this.o.lowWaterBytes);
        m = unsentSummary(this.o.db);
      }
      this.o.log.warn(
        { unsentBytes: m.bytes, rolledUp: s.rolledUp, dropped: s.dropped },
        'outbox over budget: telemetry rolled up',
      );
    }
    const free = this.free();
    let state: BacklogState = m.bytes > this.o.lowWaterBytes ? 'pressure' : 'ok';
    if (free < this.o.diskLowBytes) state = 'disk_low';
    if (free < this.o.diskCriticalBytes) {
      state = 'disk_full';
      const r = this.o.reserveFile;
      if (r && !s.reserveReleased && existsSync(r.path)) {
        unlinkSync(r.path);
        s.reserveReleased = true;
        this.o.log.error(
          { freeBytes: free },
          'disk nearly full: reserve released so sales keep being written; free space now',
        );
      }
    }
    if (state !== s.state)
      this.o.log[state === 'ok' ? 'info' : 'error'](
        { state, freeBytes: free, unsentBytes: m.bytes },
        `backlog state ${state}`,
      );
    this.status_ = {
      ...s,
      state,
      unsentEvents: m.events,
      unsentBytes: m.bytes,
      oldestUnsentAt: m.oldest,
      freeBytes: free,
    };
    return this.status();
  }

  /** Vision asks before writing telemetry. */
  acceptsTelemetry(): boolean {
    return this.status_.state !== 'disk_low' && this.status_.state !== 'disk_full';
  }

  private rollUp(): number {
    const db = this.o.db;
    const unsent = unsentCondition(db);
    const rows = db
      .prepare(
        `SELECT seq, type, payload, created_at FROM outbox
         WHERE ${unsent.sql} AND class = 'telemetry' AND json_extract(payload, '$.rolledUpInto') IS NULL
           AND json_extract(payload, '$.dropped') IS NULL
         ORDER BY seq`,
      )
      .all(...unsent.params) as TelemetryRow[];
    const groups = new Map<string, TelemetryRow[]>();
    for (const r of rows) {
      const key = `${r.type}@${Math.floor(r.created_at / HOUR)}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    let folded = 0;
    const update = db.prepare('UPDATE outbox SET payload = ? WHERE seq = ?');
    db.transaction(() => {
      for (const g of groups.values()) {
        if (g.length < 2) continue;
        const [head, ...rest] = g as [TelemetryRow, ...TelemetryRow[]];
        let merged = JSON.parse(head.payload) as Record<string, unknown>;
        for (const r of rest) {
          merged = mergeCounts(merged, JSON.parse(r.payload) as Record<string, unknown>);
          update.run(JSON.stringify({ rolledUpInto: head.seq }), r.seq);
          folded++;
        }
        update.run(JSON.stringify({ ...merged, rolledUp: g.length }), head.seq);
      }
    })();
    return folded;
  }

  private dropOldest(bytesToFree: number): number {
    const db = this.o.db;
    const unsent = unsentCondition(db);
    const rows = db
      .prepare(
        `SELECT seq, length(payload) AS bytes FROM outbox
         WHERE ${unsent.sql} AND class = 'telemetry' AND json_extract(payload, '$.dropped') IS NULL
           AND json_extract(payload, '$.rolledUpInto') IS NULL
         ORDER BY seq`,
      )
      .all(...unsent.params) as { seq: number; bytes: number }[];
    let freed = 0;
    let n = 0;
    const update = db.prepare('UPDATE outbox SET payload = ? WHERE seq = ?');
    db.transaction(() => {
      for (const r of rows) {
        if (freed >= bytesToFree) break;
        update.run('{"dropped":true}', r.seq);
        freed += r.bytes - 16;
        n++;
      }
    })();
    return n;
  }
}
