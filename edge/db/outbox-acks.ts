// Which outbox rows the broker acknowledged: ranges of sequences [lo, hi] in the narrow
// table outbox_acked (migration 19), kept apart from one another (no two overlap). A
// batch of PUBACKs is one range, or the extension of the range just below it, so
// marking costs the same for one row or a thousand. A range is closed after RANGE_SPAN
// of acknowledgements: its sent_at (the last of them) is what retention reads, so no
// row is pruned before its class's window, and none waits more than an hour past it.
//
// Every function here runs inside the caller's transaction where it writes.
import type { Db } from './open.js';

/** how long one range takes in acknowledgements before the next opens */
export const RANGE_SPAN = 3_600_000;

/** the end of an open run of sequences */
export const NO_END = Number.MAX_SAFE_INTEGER;

interface Range {
  lo: number;
  hi: number;
  opened_at: number;
  sent_at: number;
}

/** The range starting at or below `seq`, the nearest one. */
const below = (db: Db, seq: number): Range | undefined =>
  db
    .prepare('SELECT lo, hi, opened_at, sent_at FROM outbox_acked WHERE lo <= ? ORDER BY lo DESC LIMIT 1')
    .get(seq) as Range | undefined;

/** Ranges starting within [lo, hi], in order. */
const startingIn = (db: Db, lo: number, hi: number): Range[] =>
  db
    .prepare('SELECT lo, hi, opened_at, sent_at FROM outbox_acked WHERE lo BETWEEN ? AND ? ORDER BY lo')
    .all(lo, hi) as Range[];

/** The parts of [lo, hi] that no range covers. */
function uncovered(db: Db, lo: number, hi: number): [number, number][] {
  const prev = below(db, lo);
  let cur = prev && prev.hi >= lo ? prev.hi + 1 : lo;
  const out: [number, number][] = [];
  for (const r of startingIn(db, cur, hi)) {
    if (r.lo > cur) out.push([cur, r.lo - 1]);
    cur = Math.max(cur, r.hi + 1);
  }
  if (cur <= hi) out.push([cur, hi]);
  return out;
}

const insertRange = (db: Db, r: Range): void => {
  db.prepare('INSERT INTO outbox_acked (lo, hi, opened_at, sent_at) VALUES (?, ?, ?, ?)').run(
    r.lo,
    r.hi,
    r.opened_at,
    r.sent_at,
  );
};

/** Marks [lo, hi] acknowledged at `now`; sequences already marked keep their range. */
export function markSent(db: Db, lo: number, hi: number, now: number): void {
  for (const [a, b] of uncovered(db, lo, hi)) {
    const left = below(db, a - 1);
    if (left && left.hi === a - 1 && now - left.opened_at < RANGE_SPAN && now >= left.opened_at)
      db.prepare('UPDATE outbox_acked SET hi = ?, sent_at = max(sent_at, ?) WHERE lo = ?').run(
        b,
        now,
        left.lo,
      );
    else insertRange(db, { lo: a, hi: b, opened_at: now, sent_at: now });
  }
}

/** Takes [lo, hi] out of the acknowledged ranges (HQ asked for it again): how many rows
 * still in the outbox were acknowledged there and are now waiting to go again. Each
 * range overlapping [lo, hi] keeps what lies outside it, on either side. */
export function unmarkSent(db: Db, lo: number, hi: number): number {
  const count = db.prepare('SELECT count(*) FROM outbox WHERE seq BETWEEN ? AND ?').pluck();
  const prev = below(db, lo - 1);
  const overlapping = [...(prev && prev.hi >= lo ? [prev] : []), ...startingIn(db, lo, hi)];
  let rows = 0;
  for (const r of overlapping) {
    rows += count.get(Math.max(lo, r.lo), Math.min(hi, r.hi)) as number;
    if (r.lo < lo) db.prepare('UPDATE outbox_acked SET hi = ? WHERE lo = ?').run(lo - 1, r.lo);
    else db.prepare('DELETE FROM outbox_acked WHERE lo = ?').run(r.lo);
    if (r.hi > hi) insertRange(db, { ...r, lo: hi + 1 });
  }
  return rows;
}

/** SQL: when the broker acknowledged the row whose sequence is `seq` (an SQL
 * expression), or NULL. */
export const sentAtSql = (seq: string): string =>
  `(SELECT CASE WHEN a.hi >= ${seq} THEN a.sent_at END FROM outbox_acked a WHERE a.lo <= ${seq} ORDER BY a.lo DESC LIMIT 1)`;

/** Whether the broker acknowledged `seq`. */
export function isSent(db: Db, seq: number): boolean {
  const r = below(db, seq);
  return r !== undefined && r.hi >= seq;
}

/** The highest sequence the broker acknowledged (0 when none). */
export const sentThrough = (db: Db): number =>
  (db.prepare('SELECT max(hi) FROM outbox_acked').pluck().get() as number | null) ?? 0;

/** The runs of sequences from `from` on that no range covers: where unsent rows are.
 * The last run is open-ended (NO_END). Usually one run: the tail after the last
 * acknowledgement; a resend adds one for its hole. */
export function unsentRuns(db: Db, from = 1): [number, number][] {
  const first = db.prepare('SELECT min(seq) FROM outbox WHERE seq >= ?').pluck().get(from) as number | null;
  if (first === null) return [];
  let cur = first;
  const out: [number, number][] = [];
  const ranges = db.prepare('SELECT lo, hi FROM outbox_acked WHERE hi >= ? ORDER BY lo').all(cur) as {
    lo: number;
    hi: number;
  }[];
  for (const r of ranges) {
    if (r.lo > cur) out.push([cur, r.lo - 1]);
    cur = Math.max(cur, r.hi + 1);
  }
  out.push([cur, NO_END]);
  return out;
}

/** An SQL condition (with its parameters) on `seq` true for rows not acknowledged. */
export function unsentCondition(db: Db, column = 'seq'): { sql: string; params: number[] } {
  const runs = unsentRuns(db);
  if (!runs.length) return { sql: '0', params: [] };
  return {
    sql: `(${runs.map(() => `${column} BETWEEN ? AND ?`).join(' OR ')})`,
    params: runs.flat(),
  };
}

/** The first row not acknowledged, or 0 when every row is. */
export function firstUnsent(db: Db): number {
  const row = db.prepare('SELECT min(seq) FROM outbox WHERE seq BETWEEN ? AND ?').pluck();
  for (const [a, b] of unsentRuns(db)) {
    const s = row.get(a, b) as number | null;
    if (s !== null) return s;
  }
  return 0;
}

/** Ranges acknowledged before `before`, oldest first: what retention may prune. */
export const sentBefore = (db: Db, before: number): { lo: number; hi: number }[] =>
  db.prepare('SELECT lo, hi FROM outbox_acked WHERE sent_at < ? ORDER BY sent_at').all(before) as {
    lo: number;
    hi: number;
  }[];

/** Drops ranges wholly below every row left in the outbox (pruned away), keeping the
 * highest, which says how far the broker has acknowledged. */
export function forgetPrunedRanges(db: Db): number {
  return db
    .prepare(
      `DELETE FROM outbox_acked WHERE hi < coalesce((SELECT min(seq) FROM outbox), ?)
         AND lo < (SELECT max(lo) FROM outbox_acked)`,
    )
    .run(NO_END).changes;
}

/** Takes in rows an older build marked sent in its own column (sent_at) after the last
 * range: every acknowledged row when migration 19 runs, and after a rollback and an
 * update again, what the older build sent meanwhile. Runs of marked rows become ranges,
 * none spanning more than RANGE_SPAN of their times. */
export function adoptSentMarks(db: Db): number {
  const rows = db
    .prepare('SELECT seq, sent_at AS at FROM outbox WHERE seq > ? ORDER BY seq')
    .all(sentThrough(db)) as { seq: number; at: number | null }[];
  let run: Range | null = null;
  let adopted = 0;
  const close = () => {
    if (run) insertRange(db, run);
    run = null;
  };
  for (const r of rows) {
    if (r.at === null) {
      close();
      continue;
    }
    adopted++;
    const open = run as Range | null;
    if (open && Math.max(open.sent_at, r.at) - Math.min(open.opened_at, r.at) < RANGE_SPAN) {
      open.hi = r.seq;
      open.opened_at = Math.min(open.opened_at, r.at);
      open.sent_at = Math.max(open.sent_at, r.at);
    } else {
      close();
      run = { lo: r.seq, hi: r.seq, opened_at: r.at, sent_at: r.at };
    }
  }
  close();
  return adopted;
}
