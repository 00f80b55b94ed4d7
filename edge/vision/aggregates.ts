import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { bucketOf, RESOLUTION_MS, type Resolution } from './buckets.js';

// The write side of people counting. Pipelines report crossings, zone visits and
// heatmap seconds as they happen; they are tallied in memory and written every flush,
// in one transaction with their outbox rows, so the store's aggregates and what HQ
// receives never disagree. A crash loses at most one flush interval of telemetry.
//
// Outbox payloads are keyed by camera and bucket, so the backlog guard's roll-up
// (which sums numbers under equal keys) merges them correctly:
//   vision.counts  { cameras: { cam: { minutes: { iso: { lines: { id: { in, out } },
//                                                        zones: { id: { visits, dwellMs } } } } } } }
//                  increments: the same minute may come in two rows, HQ adds them up.
//   vision.heatmap { cameras: { cam: { quarters: { iso: { cols, rows, cellM, cells } } } } }
//                  increments too, sent once the quarter hour has closed: the heat added
//                  to it since its last event (usually once; a recording analysed off
//                  real time fills closed quarters and sends one per flush). HQ adds them up.

const LEVELS: Resolution[] = ['1m', '15m', '1h'];

interface LineTally {
  camera: string;
  line: string;
  footfall: boolean;
  minute: number;
  ins: number;
  outs: number;
}

interface ZoneTally {
  camera: string;
  zone: string;
  minute: number;
  visits: number;
  dwellMs: number;
}

interface HeatTally {
  camera: string;
  quarter: number;
  cols: number;
  rows: number;
  cellM: number;
  cells: Float64Array;
}

export interface AggregatesOptions {
  db: () => Db;
  now: () => number;
  /** The backlog guard's answer: false while the disk is low, and telemetry is not written. */
  acceptsTelemetry: () => boolean;
}

interface HeatRow {
  cols: number;
  rows: number;
  cell_m: number;
  cells: Buffer;
}

/** A stored grid: float32 little-endian presence-seconds. */
export const floats = (b: Buffer) =>
  new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

const iso = (t: number) => new Date(t).toISOString().replace(/:00\.000Z$/, 'Z');

export class VisionAggregates {
  private lines = new Map<string, LineTally>();
  private zones = new Map<string, ZoneTally>();
  private heat = new Map<string, HeatTally>();
  /** Heat not yet sent, per camera and quarter: it goes to the outbox once the quarter closes. */
  private unsent = new Map<string, HeatTally>();
  private skipped = 0;

  constructor(private readonly o: AggregatesOptions) {}

  crossing(camera: string, line: string, footfall: boolean, direction: 'in' | 'out', t: number): void {
    const minute = bucketOf(t, '1m');
    const key = `${camera}\u0000${line}\u0000${minute}`;
    const cur = this.lines.get(key) ?? { camera, line, footfall, minute, ins: 0, outs: 0 };
    if (direction === 'in') cur.ins++;
    else cur.outs++;
    this.lines.set(key, cur);
  }

  visit(camera: string, zone: string, exit: number, dwellMs: number): void {
    const minute = bucketOf(exit, '1m');
    const key = `${camera}\u0000${zone}\u0000${minute}`;
    const cur = this.zones.get(key) ?? { camera, zone, minute, visits: 0, dwellMs: 0 };
    cur.visits++;
    cur.dwellMs += Math.round(dwellMs);
    this.zones.set(key, cur);
  }

  heatmap(
    camera: string,
    t: number,
    grid: { cols: number; rows: number; cellM: number; cells: Float64Array },
  ): void {
    if (!grid.cells.some((c) => c > 0)) return;
    const quarter = bucketOf(t, '15m');
    const key = `${camera}\u0000${quarter}`;
    const cur = this.heat.get(key) ?? {
      camera,
      quarter,
      ...grid,
      cells: new Float64Array(grid.cells.length),
    };
    for (let i = 0; i < cur.cells.length; i++) cur.cells[i]! += grid.cells[i] ?? 0;
    this.heat.set(key, cur);
  }

  /** Footfall not yet written, for the live occupancy figure. */
  pendingFootfall(since: number): { ins: number; outs: number } {
    let ins = 0;
    let outs = 0;
    for (const l of this.lines.values())
      if (l.footfall && l.minute >= since) {
        ins += l.ins;
        outs += l.outs;
      }
    return { ins, outs };
  }

  /** Telemetry rows skipped because the disk was low. */
  skippedTelemetry(): number {
    return this.skipped;
  }

  /** Writes what was tallied; returns the outbox rows written. */
  flush(): number {
    const db = this.o.db();
    const now = this.o.now();
    const lines = [...this.lines.values()];
    const zones = [...this.zones.values()];
    const heat = [...this.heat.values()];
    // kept aside until the write succeeds: a failed write leaves the tallies for the next try
    const unsent = new Map(this.unsent);
    for (const [key, h] of this.heat) {
      const u = unsent.get(key);
      const cells = Float64Array.from(h.cells);
      // a floor plan that changed size mid-quarter sends its new grid only
      if (u && u.cols === h.cols && u.rows === h.rows)
        for (let i = 0; i < cells.length; i++) cells[i]! += u.cells[i] ?? 0;
      unsent.set(key, { ...h, cells });
    }
    const closing = [...unsent.entries()].filter(([, q]) => q.quarter + RESOLUTION_MS['15m'] <= now);
    if (!lines.length && !zones.length && !heat.length && !closing.length) return 0;
    const upCount = db.prepare(
      `INSERT INTO vision_counts (camera_id, line_id, res, bucket, footfall, ins, outs) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET ins = ins + excluded.ins, outs = outs + excluded.outs`,
    );
    const upDwell = db.prepare(
      `INSERT INTO vision_dwell (camera_id, zone_id, res, bucket, visits, dwell_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET visits = visits + excluded.visits, dwell_ms = dwell_ms + excluded.dwell_ms`,
    );
    const getHeat = db.prepare(
      'SELECT cols, rows, cell_m, cells FROM vision_heatmap WHERE camera_id = ? AND res = ? AND bucket = ?',
    );
    const putHeat = db.prepare(
      `INSERT INTO vision_heatmap (camera_id, res, bucket, cols, rows, cell_m, cells) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET cols = excluded.cols, rows = excluded.rows, cell_m = excluded.cell_m, cells = excluded.cells`,
    );
    let rows = 0;
    const telemetry = this.o.acceptsTelemetry();
    db.transaction(() => {
      for (const l of lines)
        for (const res of LEVELS)
          upCount.run(l.camera, l.line, res, bucketOf(l.minute, res), l.footfall ? 1 : 0, l.ins, l.outs);
      for (const z of zones)
        for (const res of LEVELS)
          upDwell.run(z.camera, z.zone, res, bucketOf(z.minute, res), z.visits, z.dwellMs);
      for (const h of heat)
        for (const res of ['15m', '1h'] as const) {
          const bucket = bucketOf(h.quarter, res);
          const old = getHeat.get(h.camera, res, bucket) as HeatRow | undefined;
          const sum = Float32Array.from(h.cells);
          // a floor plan that changed size starts its grid afresh
          if (old && old.cols === h.cols && old.rows === h.rows) {
            const prev = floats(old.cells);
            for (let i = 0; i < sum.length; i++) sum[i]! += prev[i] ?? 0;
          }
          putHeat.run(h.camera, res, bucket, h.cols, h.rows, h.cellM, Buffer.from(sum.buffer));
        }
      if (telemetry) {
        const counts = countsPayload(lines, zones);
        if (counts) {
          appendOutbox(db, { type: 'vision.counts', class: 'telemetry', payload: counts }, now);
          rows++;
        }
        const cameras: Record<string, { quarters: Record<string, unknown> }> = {};
        for (const [, q] of closing) {
          cameras[q.camera] ??= { quarters: {} };
          cameras[q.camera]!.quarters[iso(q.quarter)] = {
            cols: q.cols,
            rows: q.rows,
            cellM: q.cellM,
            cells: Array.from(q.cells, (c) => Math.round(c * 10) / 10),
          };
        }
        if (Object.keys(cameras).length) {
          appendOutbox(db, { type: 'vision.heatmap', class: 'telemetry', payload: { cameras } }, now);
          rows++;
        }
      } else if (lines.length || zones.length || closing.length) this.skipped++;
    })();
    this.lines.clear();
    this.zones.clear();
    this.heat.clear();
    for (const [key] of closing) unsent.delete(key);
    this.unsent = unsent;
    return rows;
  }
}

function countsPayload(lines: LineTally[], zones: ZoneTally[]): Record<string, unknown> | undefined {
  if (!lines.length && !zones.length) return undefined;
  type Minute = {
    lines?: Record<string, { in: number; out: number }>;
    zones?: Record<string, { visits: number; dwellMs: number }>;
  };
  const cameras: Record<string, { minutes: Record<string, Minute> }> = {};
  const minute = (camera: string, t: number): Minute => {
    cameras[camera] ??= { minutes: {} };
    const m = cameras[camera]!.minutes;
    m[iso(t)] ??= {};
    return m[iso(t)]!;
  };
  for (const l of lines) {
    const m = minute(l.camera, l.minute);
    m.lines ??= {};
    m.lines[l.line] = { in: l.ins, out: l.outs };
  }
  for (const z of zones) {
    const m = minute(z.camera, z.minute);
    m.zones ??= {};
    m.zones[z.zone] = { visits: z.visits, dwellMs: z.dwellMs };
  }
  return { cameras };
}
