// HQ's events on PostgreSQL. One transaction per batch writes the new events, their
// projections, the quarantined messages and each store's watermark together, so the
// watermark always describes exactly what is stored. Any number of ingest workers may
// run batches at once: events go in sorted by (store, seq) and watermark rows are
// locked in store order, so two batches never wait on each other in a cycle; a
// deadlock or a lost connection is retried by the caller with the same batch.
import type pg from 'pg';
import { inTransaction } from '../db/pg.js';
import { writeGuideRollupsPg } from '../figures/guide-days.js';
import { writeRollupsPg } from '../figures/rollups.js';
import { follow, followersOf, forgetFollowers, noteFollowersPg } from '../ledger/followers.js';
import { applyLedgerPg, type MemberReplica, memberReplicas, membersInRanges } from '../ledger/ledger.js';
import { grantQuota, type QuotaAnswer, type QuotaAsk } from '../ledger/quotas.js';
import { type CouponHold, type HoldAnswer, releaseCoupon, reserveCoupon } from '../ledger/reservations.js';
import type { Quarantined, StoredEvent } from './classify.js';
import {
  eventKey,
  freshOf,
  type Gap,
  gapRange,
  type HqEventStore,
  type IngestResult,
  judgeRepeats,
  perStore,
  type StoreCodeKey,
  splitBatch,
  type Watermark,
  watermarkOf,
} from './event-store.js';
import { writeProjectionsPg } from './projections.js';

/** How far past the watermark one batch looks for the next run of events. */
const ISLAND_WINDOW = 100_000;

export class PgEventStore implements HqEventStore {
  constructor(readonly pool: pg.Pool) {}

  replicas(memberIds: string[]): Promise<MemberReplica[]> {
    return memberReplicas(this.pool, memberIds);
  }

  follow(memberId: string, storeId: string, now: number): Promise<void> {
    return follow(this.pool, memberId, storeId, now);
  }

  followers(memberIds: string[], now: number): Promise<Map<string, string[]>> {
    return followersOf(this.pool, memberIds, now);
  }

  forgetFollowers(now: number): Promise<number> {
    return forgetFollowers(this.pool, now);
  }

  reserveCoupon(hold: CouponHold, ttlMs: number): Promise<HoldAnswer> {
    return reserveCoupon(this.pool, hold, ttlMs);
  }

  releaseCoupon(hold: CouponHold): Promise<boolean> {
    return releaseCoupon(this.pool, hold);
  }

  grantQuota(ask: QuotaAsk): Promise<QuotaAnswer> {
    return grantQuota(this.pool, ask);
  }

  async noteCodeKey(storeId: string, key: StoreCodeKey): Promise<boolean> {
    const r = await this.pool.query(
      'INSERT INTO store_code_keys (kid, store_id, public_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [key.kid, storeId, key.publicKeyBase64],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async codeKeys(): Promise<(StoreCodeKey & { storeId: string })[]> {
    const r = await this.pool.query(
      'SELECT kid, store_id AS "storeId", public_key AS "publicKeyBase64" FROM store_code_keys ORDER BY first_seen',
    );
    return r.rows;
  }

  async ingest(events: StoredEvent[], quarantined: Quarantined[]): Promise<IngestResult> {
    const { first, repeats } = splitBatch(events);
    return inTransaction(this.pool, async (c) => {
      const inserted = first.length
        ? (
            await c.query(
              `INSERT INTO events (store_id, seq, event_id, type, class, created_at, payload, digest)
               SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::jsonb[], $8::bytea[])
               ON CONFLICT DO NOTHING RETURNING store_id, seq`,
              [
                first.map((e) => e.storeId),
                first.map((e) => e.seq),
                first.map((e) => e.eventId),
                first.map((e) => e.type),
                first.map((e) => e.class),
                first.map((e) => e.createdAt),
                first.map((e) => JSON.stringify(e.payload)),
                first.map((e) => e.digest),
              ],
            )
          ).rows
        : [];
      const split = freshOf(
        first,
        inserted.map((r: { store_id: string; seq: number }) => ({ storeId: r.store_id, seq: r.seq })),
      );
      const fresh = split.fresh;
      const again = [...split.again, ...repeats];
      // a repeat is harmless when it is the same event; different content is a conflict
      const stored = new Map<string, Buffer>();
      if (again.length) {
        const r = await c.query(
          `SELECT e.store_id, e.seq, e.digest FROM events e
             JOIN unnest($1::text[], $2::bigint[]) AS k(store_id, seq) ON e.store_id = k.store_id AND e.seq = k.seq`,
          [again.map((e) => e.storeId), again.map((e) => e.seq)],
        );
        for (const row of r.rows) stored.set(eventKey(row.store_id, row.seq), row.digest);
      }
      const { conflicts, dupsByStore } = judgeRepeats(again, (st, seq) => stored.get(eventKey(st, seq)));
      const allQuarantined = [...quarantined, ...conflicts];
      if (allQuarantined.length) {
        await c.query(
          `INSERT INTO quarantine (store_id, seq, topic, reason, detail, payload)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])`,
          [
            allQuarantined.map((q) => q.storeId),
            allQuarantined.map((q) => q.seq),
            allQuarantined.map((q) => q.topic),
            allQuarantined.map((q) => q.reason),
            allQuarantined.map((q) => q.detail),
            allQuarantined.map((q) => q.payload.replaceAll('\u0000', '')),
          ],
        );
      }
      await writeProjectionsPg(c, fresh);
      await writeRollupsPg(c, fresh);
      await writeGuideRollupsPg(c, fresh);
      const ledgerConflicts = await applyLedgerPg(c, fresh);
      await noteFollowersPg(c, fresh);
      const moves = await this.advance(c, fresh, dupsByStore, allQuarantined);
      return {
        fresh: fresh.length,
        duplicates: again.length - conflicts.length,
        conflicts: conflicts.length,
        quarantined: allQuarantined.length,
        ledgerConflicts,
        members: await membersInRanges(c, moves),
      };
    });
  }

  /** Moves each touched store's watermark, in the batch's transaction; returns how each moved. */
  private async advance(
    c: pg.PoolClient,
    fresh: StoredEvent[],
    dups: Map<string, number>,
    quarantined: Quarantined[],
  ): Promise<{ storeId: string; from: number; to: number }[]> {
    const per = perStore(fresh, dups, quarantined);
    if (!per.size) return [];
    const ids = [...per.keys()].sort();
    await c.query(
      'INSERT INTO store_watermarks (store_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING',
      [ids],
    );
    // lock in store order first; the next statement then sees every batch committed before
    const before = new Map(
      (
        await c.query(
          'SELECT store_id, contiguous_seq FROM store_watermarks WHERE store_id = ANY($1) ORDER BY store_id FOR UPDATE',
          [ids],
        )
      ).rows.map((r: { store_id: string; contiguous_seq: number }) => [r.store_id, Number(r.contiguous_seq)]),
    );
    const after = await c.query(
      `UPDATE store_watermarks w SET
         max_seq = greatest(w.max_seq, n.max_seq),
         events = w.events + n.fresh,
         duplicates = w.duplicates + n.dups,
         quarantined = w.quarantined + n.quarantined,
         contiguous_seq = coalesce((
           SELECT max(s.seq) FROM (
             SELECT x.seq, x.seq - row_number() OVER (ORDER BY x.seq) AS grp FROM (
               SELECT seq FROM events e WHERE e.store_id = w.store_id AND e.seq > w.contiguous_seq
               UNION
               SELECT seq FROM quarantine q WHERE q.store_id = w.store_id AND q.seq > w.contiguous_seq
               ORDER BY seq LIMIT ${ISLAND_WINDOW}
             ) x
           ) s WHERE s.grp = w.contiguous_seq
         ), w.contiguous_seq),
         updated_at = now()
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
         AS n(store_id, max_seq, fresh, dups, quarantined)
       WHERE w.store_id = n.store_id
       RETURNING w.store_id, w.contiguous_seq`,
      [
        ids,
        ids.map((s) => per.get(s)!.max),
        ids.map((s) => per.get(s)!.fresh),
        ids.map((s) => per.get(s)!.dups),
        ids.map((s) => per.get(s)!.quarantined),
      ],
    );
    return after.rows.map((r: { store_id: string; contiguous_seq: number }) => ({
      storeId: r.store_id,
      from: before.get(r.store_id) ?? 0,
      to: Number(r.contiguous_seq),
    }));
  }

  /** A store's birth/death state or heartbeat; a heartbeat says how far the broker took its events. */
  async noteState(storeId: string, kind: 'state' | 'heartbeat', body: unknown): Promise<void> {
    const json = JSON.stringify(body ?? null);
    if (kind === 'state') {
      const online = (body as { online?: unknown } | null)?.online === true;
      // the birth's config report outlives the will that follows it
      const config = online ? (body as { config?: unknown }).config : undefined;
      await this.pool.query(
        `INSERT INTO store_state (store_id, online, last_state, last_seen, config_report, config_reported_at)
         VALUES ($1, $2, $3, now(), $4, CASE WHEN $4::jsonb IS NULL THEN NULL ELSE now() END)
         ON CONFLICT (store_id) DO UPDATE SET online = $2, last_state = $3, last_seen = now(),
           config_report = coalesce($4, store_state.config_report),
           config_reported_at = CASE WHEN $4::jsonb IS NULL THEN store_state.config_reported_at ELSE now() END`,
        [storeId, online, json, config && typeof config === 'object' ? JSON.stringify(config) : null],
      );
      return;
    }
    const sent = (body as { sentThrough?: unknown } | null)?.sentThrough;
    await this.pool.query(
      `INSERT INTO store_state (store_id, last_heartbeat, last_seen) VALUES ($1, $2, now())
       ON CONFLICT (store_id) DO UPDATE SET last_heartbeat = $2, last_seen = now()`,
      [storeId, json],
    );
    if (Number.isSafeInteger(sent) && (sent as number) > 0)
      await this.pool.query(
        `INSERT INTO store_watermarks (store_id, sent_through) VALUES ($1, $2)
         ON CONFLICT (store_id) DO UPDATE SET sent_through = greatest(store_watermarks.sent_through, $2)`,
        [storeId, sent],
      );
  }

  /**
   * The gaps that have stayed open for `timeoutMs`, each claimed by exactly one caller
   * (rows locked with SKIP LOCKED, and marked asked): workers share this duty without
   * a leader, and a store is asked again only after another `timeoutMs`.
   */
  async claimGaps(timeoutMs: number, limit = 500): Promise<Gap[]> {
    const secs = timeoutMs / 1000;
    // note when a gap opened (or moved on), and forget closed ones
    await this.pool.query(
      `UPDATE store_watermarks SET gap_from = contiguous_seq + 1, gap_since = now()
        WHERE (max_seq > contiguous_seq OR sent_through > contiguous_seq)
          AND gap_from IS DISTINCT FROM contiguous_seq + 1`,
    );
    await this.pool.query(
      `UPDATE store_watermarks SET gap_from = NULL, gap_since = NULL
        WHERE gap_from IS NOT NULL AND max_seq <= contiguous_seq AND sent_through <= contiguous_seq`,
    );
    const claimed = await this.pool.query(
      `WITH due AS (
         SELECT store_id FROM store_watermarks
          WHERE gap_from = contiguous_seq + 1
            AND gap_since <= now() - make_interval(secs => $1)
            AND (resend_asked_at IS NULL OR resend_asked_at <= now() - make_interval(secs => $1))
          ORDER BY store_id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE store_watermarks w SET resend_asked_at = now(), resend_requests = w.resend_requests + 1
         FROM due WHERE w.store_id = due.store_id
       RETURNING w.store_id, w.contiguous_seq, w.max_seq, w.sent_through`,
      [secs, limit],
    );
    const gaps: Gap[] = [];
    for (const r of claimed.rows) {
      const nextPresent = (
        await this.pool.query(
          `SELECT min(seq) AS s FROM (
             SELECT min(seq) AS seq FROM events WHERE store_id = $1 AND seq > $2
             UNION ALL SELECT min(seq) FROM quarantine WHERE store_id = $1 AND seq > $2) x`,
          [r.store_id, r.contiguous_seq],
        )
      ).rows[0].s as number | null;
      const g = gapRange(r.contiguous_seq, nextPresent, r.sent_through);
      if (g) gaps.push({ ...g, storeId: r.store_id });
    }
    return gaps;
  }

  async watermark(storeId: string): Promise<Watermark | null> {
    return watermarkOf(
      (await this.pool.query('SELECT * FROM store_watermarks WHERE store_id = $1', [storeId])).rows[0],
    );
  }
}
