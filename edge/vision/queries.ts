import type { Db } from '../db/open.js';
import { floats } from './aggregates.js';
import type { Resolution } from './buckets.js';

// The read side of people counting, for the staff dashboard and HQ's pulls.

export interface Range {
  from: number;
  to: number;
  res: Resolution;
  camera?: string | undefined;
}

export interface CountRow {
  cameraId: string;
  lineId: string;
  bucket: number;
  footfall: boolean;
  ins: number;
  outs: number;
}

export interface DwellRow {
  cameraId: string;
  zoneId: string;
  bucket: number;
  visits: number;
  dwellMs: number;
  avgDwellMs: number;
}

const cameraClause = (r: Range) => (r.camera ? 'AND camera_id = ?' : '');
const params = (r: Range) => [r.res, r.from, r.to, ...(r.camera ? [r.camera] : [])];

export function countSeries(db: Db, r: Range): CountRow[] {
  return (
    db
      .prepare(
        `SELECT camera_id, line_id, bucket, footfall, ins, outs FROM vision_counts
         WHERE res = ? AND bucket >= ? AND bucket < ? ${cameraClause(r)} ORDER BY bucket, camera_id, line_id`,
      )
      .all(...params(r)) as {
      camera_id: string;
      line_id: string;
      bucket: number;
      footfall: number;
      ins: number;
      outs: number;
    }[]
  ).map((x) => ({
    cameraId: x.camera_id,
    lineId: x.line_id,
    bucket: x.bucket,
    footfall: x.footfall === 1,
    ins: x.ins,
    outs: x.outs,
  }));
}

export function dwellSeries(db: Db, r: Range): DwellRow[] {
  return (
    db
      .prepare(
        `SELECT camera_id, zone_id, bucket, visits, dwell_ms FROM vision_dwell
         WHERE res = ? AND bucket >= ? AND bucket < ? ${cameraClause(r)} ORDER BY bucket, camera_id, zone_id`,
      )
      .all(...params(r)) as {
      camera_id: string;
      zone_id: string;
      bucket: number;
      visits: number;
      dwell_ms: number;
    }[]
  ).map((x) => ({
    cameraId: x.camera_id,
    zoneId: x.zone_id,
    bucket: x.bucket,
    visits: x.visits,
    dwellMs: x.dwell_ms,
    avgDwellMs: x.visits ? Math.round(x.dwell_ms / x.visits) : 0,
  }));
}

/** Store footfall (entrance lines) since a time, from the minute series. */
export function footfallSince(db: Db, since: number): { ins: number; outs: number } {
  const r = db
    .prepare(
      `SELECT COALESCE(SUM(ins), 0) AS ins, COALESCE(SUM(outs), 0) AS outs FROM vision_counts
       WHERE res = '1m' AND footfall = 1 AND bucket >= ?`,
    )
    .get(since) as { ins: number; outs: number };
  return r;
}

export interface HeatmapGrid {
  cameraId: string;
  from: number;
  to: number;
  cols: number;
  rows: number;
  cellM: number;
  /** Presence-seconds per cell, row-major. */
  cells: number[];
  peopleSeconds: number;
}

/** The floor heatmap of one camera over a period: quarters for short ranges, hours beyond two days. */
export function heatmapOver(db: Db, camera: string, from: number, to: number): HeatmapGrid | undefined {
  const res = to - from > 2 * 86_400_000 ? '1h' : '15m';
  const rows = db
    .prepare(
      `SELECT cols, rows, cell_m, cells FROM vision_heatmap
       WHERE camera_id = ? AND res = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
    )
    .all(camera, res, from, to) as { cols: number; rows: number; cell_m: number; cells: Buffer }[];
  const last = rows.at(-1);
  if (!last) return undefined;
  // the current floor plan's grid; quarters recorded under an older plan do not add up
  const sum = new Float64Array(last.cols * last.rows);
  for (const r of rows) {
    if (r.cols !== last.cols || r.rows !== last.rows) continue;
    floats(r.cells).forEach((v, i) => {
      sum[i]! += v;
    });
  }
  const cells = Array.from(sum, (v) => Math.round(v * 10) / 10);
  return {
    cameraId: camera,
    from,
    to,
    cols: last.cols,
    rows: last.rows,
    cellM: last.cell_m,
    cells,
    peopleSeconds: Math.round(sum.reduce((a, b) => a + b, 0)),
  };
}

export interface ConversionRow {
  hour: number;
  footfall: number;
  sales: number;
  /** Sales per person who came in, or null in an hour nobody was counted. */
  conversion: number | null;
}

/** Sales ÷ footfall per hour: the store's entrance counts against its completed sales. */
export function conversionByHour(db: Db, from: number, to: number): ConversionRow[] {
  const hour = 3_600_000;
  const foot = new Map(
    (
      db
        .prepare(
          `SELECT bucket, SUM(ins) AS ins FROM vision_counts
           WHERE res = '1h' AND footfall = 1 AND bucket >= ? AND bucket < ? GROUP BY bucket`,
        )
        .all(from, to) as { bucket: number; ins: number }[]
    ).map((r) => [r.bucket, r.ins]),
  );
  const sales = new Map(
    (
      db
        .prepare(
          `SELECT (created_at / ${hour}) * ${hour} AS bucket, COUNT(*) AS n FROM sales
           WHERE created_at >= ? AND created_at < ? GROUP BY bucket`,
        )
        .all(from, to) as { bucket: number; n: number }[]
    ).map((r) => [r.bucket, r.n]),
  );
  const out: ConversionRow[] = [];
  for (let h = Math.floor(from / hour) * hour; h < to; h += hour) {
    const f = foot.get(h) ?? 0;
    const s = sales.get(h) ?? 0;
    out.push({ hour: h, footfall: f, sales: s, conversion: f ? Math.round((s / f) * 1000) / 1000 : null });
  }
  return out;
}

export interface ZoneSalesRow {
  cameraId: string;
  zoneId: string;
  categories: string[];
  visits: number;
  avgDwellMs: number;
  /** Units of the zone's categories sold in the period (refunds taken off). */
  units: number;
  salesFen: number;
  /** Sales per visit: what a stop at the shelf is worth. */
  salesPerVisitFen: number | null;
}

/**
 * Dwell against sales per zone: the zone's visits and dwell in the period beside the
 * sales of the product categories shelved in it (and their sub-categories).
 */
export function zoneDwellVsSales(
  db: Db,
  zones: { cameraId: string; zoneId: string; categories: string[] }[],
  from: number,
  to: number,
): ZoneSalesRow[] {
  const dwell = db.prepare(
    `SELECT COALESCE(SUM(visits), 0) AS visits, COALESCE(SUM(dwell_ms), 0) AS dwell_ms FROM vision_dwell
     WHERE res = '15m' AND camera_id = ? AND zone_id = ? AND bucket >= ? AND bucket < ?`,
  );
  const sales = db.prepare(
    `WITH RECURSIVE cats(id) AS (
       SELECT value FROM json_each(?)
       UNION SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id
     )
     SELECT COALESCE(SUM(l.qty - l.refunded_qty), 0) AS units, COALESCE(SUM(l.net_fen - l.refunded_fen), 0) AS fen
     FROM sale_lines l JOIN sales s ON s.id = l.sale_id JOIN products p ON p.gtin = l.gtin
     WHERE s.created_at >= ? AND s.created_at < ? AND p.category_id IN (SELECT id FROM cats)`,
  );
  return zones.map((z) => {
    const d = dwell.get(z.cameraId, z.zoneId, from, to) as { visits: number; dwell_ms: number };
    const s = sales.get(JSON.stringify(z.categories), from, to) as { units: number; fen: number };
    return {
      ...z,
      visits: d.visits,
      avgDwellMs: d.visits ? Math.round(d.dwell_ms / d.visits) : 0,
      units: s.units,
      salesFen: s.fen,
      salesPerVisitFen: d.visits ? Math.round(s.fen / d.visits) : null,
    };
  });
}
