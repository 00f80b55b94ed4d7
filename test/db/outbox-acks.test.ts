// The acknowledged ranges (edge/db/outbox-acks.ts) against a plain set of sequences:
// random marks and resends, bounded in count, must always agree with the set, and the
// ranges must never overlap. Then the upgrade: rows an older build marked in its
// sent_at column become ranges, unsent rows stay unsent, and retention's times hold.
import { describe, expect, it } from 'vitest';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';
import { readOutbox, readUnsent, unsentSummary } from '../../edge/db/outbox.js';
import {
  adoptSentMarks,
  firstUnsent,
  isSent,
  markSent,
  RANGE_SPAN,
  sentThrough,
  unmarkSent,
  unsentRuns,
} from '../../edge/db/outbox-acks.js';
import { appendSyntheticEvent } from '../helpers/outbox.js';

const N = 200;

function storeWith(rows: number): Db {
  const db = openDb(':memory:');
  migrate(db, migrations);
  db.transaction(() => {
    for (let i = 0; i < rows; i++)
      appendSyntheticEvent(db, { type: 'vision.counts', class: 'telemetry', payload: { i } }, 1000 + i);
  })();
  return db;
}

/** A small deterministic generator, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const ranges = (db: Db) =>
  db.prepare('SELECT lo, hi, opened_at, sent_at FROM outbox_acked ORDER BY lo').all() as {
    lo: number;
    hi: number;
    opened_at: number;
    sent_at: number;
  }[];

describe('acknowledged ranges', () => {
  it('agree with a plain set through random marks and resends, and never overlap', () => {
    const db = storeWith(N);
    const sent = new Set<number>();
    const rnd = random(17);
    let now = 10_000;
    for (let step = 0; step < 400; step++) {
      const lo = 1 + Math.floor(rnd() * N);
      const hi = Math.min(N, lo + Math.floor(rnd() * 30));
      now += Math.floor(rnd() * RANGE_SPAN * 0.2);
      if (rnd() < 0.7) {
        db.transaction(() => markSent(db, lo, hi, now))();
        for (let s = lo; s <= hi; s++) sent.add(s);
      } else {
        let was = 0;
        for (let s = lo; s <= hi; s++) if (sent.delete(s)) was++;
        expect(db.transaction(() => unmarkSent(db, lo, hi))()).toBe(was);
      }
      const rs = ranges(db);
      for (let i = 1; i < rs.length; i++) expect(rs[i]!.lo).toBeGreaterThan(rs[i - 1]!.hi);
      for (const r of rs) expect(r.sent_at - r.opened_at).toBeLessThan(RANGE_SPAN * 1.2);
    }
    const unsent = Array.from({ length: N }, (_, i) => i + 1).filter((s) => !sent.has(s));
    for (let s = 1; s <= N; s++) expect(isSent(db, s), `seq ${s}`).toBe(sent.has(s));
    expect(unsentSummary(db).events).toBe(unsent.length);
    expect(readUnsent(db, 'store-1', 1, N).map((r) => r.seq)).toEqual(unsent);
    expect(readUnsent(db, 'store-1', 50, 7).map((r) => r.seq)).toEqual(
      unsent.filter((s) => s >= 50).slice(0, 7),
    );
    expect(firstUnsent(db)).toBe(unsent[0] ?? 0);
    expect(sentThrough(db)).toBe(Math.max(0, ...sent));
    expect(readOutbox(db, 0, N).map((r) => r.sentAt !== null)).toEqual(
      Array.from({ length: N }, (_, i) => sent.has(i + 1)),
    );
  });

  it('a batch of acknowledgements extends the range below it until the range is an hour old', () => {
    const db = storeWith(30);
    db.transaction(() => {
      markSent(db, 1, 10, 0);
      markSent(db, 11, 20, RANGE_SPAN - 1);
      markSent(db, 21, 30, RANGE_SPAN);
    })();
    expect(ranges(db)).toEqual([
      { lo: 1, hi: 20, opened_at: 0, sent_at: RANGE_SPAN - 1 },
      { lo: 21, hi: 30, opened_at: RANGE_SPAN, sent_at: RANGE_SPAN },
    ]);
    expect(unsentRuns(db)).toEqual([[31, Number.MAX_SAFE_INTEGER]]);
    expect(unsentSummary(db)).toEqual({ events: 0, bytes: 0, oldest: null });
  });

  it('takes in what an older build marked in its sent_at column when migrating, and leaves its unsent rows unsent', () => {
    const db = openDb(':memory:');
    migrate(db, migrations, 18);
    db.transaction(() => {
      for (let i = 0; i < 12; i++)
        appendSyntheticEvent(db, { type: 'vision.counts', class: 'telemetry', payload: { i } }, 1000 + i);
    })();
    const mark = db.prepare('UPDATE outbox SET sent_at = ? WHERE seq = ?');
    // 1–4 sent at once, 5 never, 6–9 sent over an hour and more, 10–12 not yet
    for (const s of [1, 2, 3, 4]) mark.run(5000, s);
    for (const [s, at] of [
      [6, 10_000],
      [7, 10_000 + RANGE_SPAN / 2],
      [8, 10_000 + RANGE_SPAN],
      [9, 10_000 + RANGE_SPAN + 1],
    ] as const)
      mark.run(at, s);
    migrate(db, migrations);
    expect(ranges(db)).toEqual([
      { lo: 1, hi: 4, opened_at: 5000, sent_at: 5000 },
      { lo: 6, hi: 7, opened_at: 10_000, sent_at: 10_000 + RANGE_SPAN / 2 },
      { lo: 8, hi: 9, opened_at: 10_000 + RANGE_SPAN, sent_at: 10_000 + RANGE_SPAN + 1 },
    ]);
    expect(readUnsent(db, 'store-1', 1, 100).map((r) => r.seq)).toEqual([5, 10, 11, 12]);

    // a rollback: the older build sends 10 and 11 and marks them; started again, this
    // build takes them in, and nothing it marked itself changes
    mark.run(99_000, 10);
    mark.run(99_001, 11);
    expect(db.transaction(() => adoptSentMarks(db))()).toBe(2);
    expect(ranges(db).at(-1)).toEqual({ lo: 10, hi: 11, opened_at: 99_000, sent_at: 99_001 });
    expect(readUnsent(db, 'store-1', 1, 100).map((r) => r.seq)).toEqual([5, 12]);
    expect(db.transaction(() => adoptSentMarks(db))()).toBe(0);
  });
});
