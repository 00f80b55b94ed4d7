// Adding a batch's sums to a rollup table: per key, in key order (so concurrent batches
// lock the same rows in the same order), each column added to what the row holds.
import type pg from 'pg';

type Counts = Record<string, number>;

/** Sums per key, the key's parts kept beside. */
export class Deltas {
  readonly rows = new Map<string, { key: (string | number)[]; n: Counts }>();
  add(key: (string | number)[], col: string, v: number): void {
    if (!v) return;
    const k = key.join('\u0000');
    const row = this.rows.get(k) ?? { key, n: {} };
    row.n[col] = (row.n[col] ?? 0) + v;
    this.rows.set(k, row);
  }
  /** sorted by key, so concurrent batches lock the same rows in the same order */
  sorted() {
    return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  }
}

const QUARTER_MS = 900_000;
/** Every time zone's offset is a whole number of quarter hours: a quarter hour lies in one
 * local day of any zone, so the daily rollups are summed from quarter-hour keys (daily.ts). */
export const quarterOf = (ms: number) => Math.floor(ms / QUARTER_MS) * QUARTER_MS;

const iso = (ms: number) => new Date(ms).toISOString();

export async function upsert(
  c: pg.PoolClient,
  table: string,
  keys: [string, string][],
  cols: readonly string[],
  d: Deltas,
): Promise<void> {
  const rows = d.sorted();
  if (!rows.length) return;
  const all = [...keys.map(([k]) => k), ...cols];
  const types = [...keys.map(([, t]) => t), ...cols.map(() => 'bigint')];
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const values = [
    ...keys.map(([, t], i) =>
      rows.map((r) => (t === 'timestamptz' ? iso(r.key[i] as number) : (r.key[i] as string))),
    ),
    ...cols.map((col) => rows.map((r) => r.n[col] ?? 0)),
  ];
  await c.query(
    `INSERT INTO ${table} (${all.join(', ')}) SELECT * FROM unnest(${arrays})
     ON CONFLICT (${keys.map(([k]) => k).join(', ')}) DO UPDATE SET
       ${cols.map((col) => `${col} = ${table}.${col} + excluded.${col}`).join(', ')}`,
    values,
  );
}

/** Adds quarter-hour sums to the daily rollups, each quarter in its local day of the days'
 * time zone (figure_settings, read in the same statement: a change of zone, which rebuilds
 * the days under a lock, never meets a batch halfway). */
export async function upsertDays(
  c: pg.PoolClient,
  table: string,
  keys: [string, string][],
  cols: readonly string[],
  d: Deltas,
): Promise<void> {
  const rows = d.sorted();
  if (!rows.length) return;
  const names = keys.map(([k]) => k);
  const arrays = [...keys.map(([, t]) => t), 'bigint', ...cols.map(() => 'bigint')]
    .map((t, i) => `$${i + 1}::${t}[]`)
    .join(', ');
  const values = [
    ...keys.map((_, i) => rows.map((r) => r.key[i] as string)),
    rows.map((r) => r.key[keys.length] as number),
    ...cols.map((col) => rows.map((r) => r.n[col] ?? 0)),
  ];
  const day = `(to_timestamp(u.quarter / 1000.0) AT TIME ZONE f.day_time_zone)::date`;
  await c.query(
    `INSERT INTO ${table} (${[...names, 'day', ...cols].join(', ')})
     SELECT ${names.map((k) => `u.${k}`).join(', ')}, ${day}, ${cols.map((col) => `sum(u.${col})`).join(', ')}
       FROM unnest(${arrays}) AS u(${[...names, 'quarter', ...cols].join(', ')}), figure_settings f
      GROUP BY ${names.map((_, i) => i + 1).join(', ')}, ${names.length + 1}
      ORDER BY ${names.map((_, i) => i + 1).join(', ')}, ${names.length + 1}
     ON CONFLICT (${[...names, 'day'].join(', ')}) DO UPDATE SET
       ${cols.map((col) => `${col} = ${table}.${col} + excluded.${col}`).join(', ')}`,
    values,
  );
}
