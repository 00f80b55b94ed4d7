// What an ingest worker needs of HQ's storage, whatever the engine: PostgreSQL for a
// chain (pg-event-store.ts), one SQLite file for a lab or a single store
// (sqlite-event-store.ts). Both apply the same rules, from the pure steps below: one
// copy per (store, seq), a repeat with the same digest is a duplicate and with other
// content a conflict, and the watermark moves over events and quarantined places alike.
import type { MemberReplica } from '../ledger/ledger.js';
import type { QuotaAnswer, QuotaAsk } from '../ledger/quotas.js';
import type { CouponHold, HoldAnswer } from '../ledger/reservations.js';
import type { Quarantined, StoredEvent } from './classify.js';

export interface IngestResult {
  fresh: number;
  duplicates: number;
  conflicts: number;
  quarantined: number;
  /** conflicts the chain ledger found in the batch (PostgreSQL only) */
  ledgerConflicts?: number;
  /** members whose replica at the stores changed (PostgreSQL only): HQ tells their followers */
  members?: string[];
}

export interface Gap {
  storeId: string;
  fromSeq: number;
  toSeq: number;
}

export interface Watermark {
  storeId: string;
  contiguousSeq: number;
  maxSeq: number;
  sentThrough: number;
  events: number;
  duplicates: number;
  quarantined: number;
  resendRequests: number;
}

export interface HqEventStore {
  /** One transaction: new events, their projections, quarantine, watermarks. */
  ingest(events: StoredEvent[], quarantined: Quarantined[]): Promise<IngestResult>;
  /** A store's birth/death state or heartbeat (its sentThrough feeds the watermark). */
  noteState(storeId: string, kind: 'state' | 'heartbeat', body: unknown): Promise<void>;
  /** Gaps open for `timeoutMs`, each handed to one caller, at most once per timeout. */
  claimGaps(timeoutMs: number, limit?: number): Promise<Gap[]>;
  watermark(storeId: string): Promise<Watermark | null>;
  /** HQ's figures for these members, as the stores' replicas take them (PostgreSQL only). */
  replicas?(memberIds: string[]): Promise<MemberReplica[]>;
  /** A store's lookup of a member: it follows them from `now` (PostgreSQL only). */
  follow?(memberId: string, storeId: string, now: number): Promise<void>;
  /** The stores following each of these members now (PostgreSQL only). */
  followers?(memberIds: string[], now: number): Promise<Map<string, string[]>>;
  /** Drops follows that lapsed long ago; how many went. */
  forgetFollowers?(now: number): Promise<number>;
  /** Chain coupon holds for stores' carts (PostgreSQL only). */
  reserveCoupon?(hold: CouponHold, ttlMs: number): Promise<HoldAnswer>;
  releaseCoupon?(hold: CouponHold): Promise<boolean>;
  /** A grant against a campaign's chain-wide quota (PostgreSQL only). */
  grantQuota?(ask: QuotaAsk): Promise<QuotaAnswer>;
  /** Keeps a store's member-card key; true when HQ had not seen it (PostgreSQL only). */
  noteCodeKey?(storeId: string, key: StoreCodeKey): Promise<boolean>;
  /** Every store's member-card key HQ knows. */
  codeKeys?(): Promise<(StoreCodeKey & { storeId: string })[]>;
}

export interface StoreCodeKey {
  kid: string;
  publicKeyBase64: string;
}

/** One string per (store, seq), for maps and sets of events. */
export const eventKey = (storeId: string, seq: number) => `${storeId}\u0000${seq}`;

/** Sorted by (store, seq), the first copy of each, and the copies after it. */
export function splitBatch(events: StoredEvent[]): { first: StoredEvent[]; repeats: StoredEvent[] } {
  const sorted = [...events].sort((a, b) =>
    a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : a.seq - b.seq,
  );
  const first: StoredEvent[] = [];
  const repeats: StoredEvent[] = [];
  for (const e of sorted) {
    const prev = first.at(-1);
    if (prev && prev.storeId === e.storeId && prev.seq === e.seq) repeats.push(e);
    else first.push(e);
  }
  return { first, repeats };
}

/** Events that were stored before: duplicates per store, and conflicts to quarantine. */
export function judgeRepeats(
  again: StoredEvent[],
  storedDigest: (storeId: string, seq: number) => Buffer | undefined,
): { conflicts: Quarantined[]; dupsByStore: Map<string, number> } {
  const conflicts: Quarantined[] = [];
  const dupsByStore = new Map<string, number>();
  for (const e of again) {
    if (storedDigest(e.storeId, e.seq)?.equals(e.digest))
      dupsByStore.set(e.storeId, (dupsByStore.get(e.storeId) ?? 0) + 1);
    else
      conflicts.push({
        storeId: e.storeId,
        seq: e.seq,
        topic: `(event ${e.eventId})`,
        reason: 'conflict',
        detail: `(store ${e.storeId}, seq ${e.seq}) arrived again with different content; the first stays`,
        payload: JSON.stringify(e).slice(0, 4096),
      });
  }
  return { conflicts, dupsByStore };
}

export interface StoreCounts {
  max: number;
  fresh: number;
  dups: number;
  quarantined: number;
}

/** What a batch adds to each store's watermark row. */
export function perStore(
  fresh: StoredEvent[],
  dups: Map<string, number>,
  quarantined: Quarantined[],
): Map<string, StoreCounts> {
  const per = new Map<string, StoreCounts>();
  const at = (s: string) => {
    const v = per.get(s) ?? { max: 0, fresh: 0, dups: 0, quarantined: 0 };
    per.set(s, v);
    return v;
  };
  for (const e of fresh) {
    const v = at(e.storeId);
    v.fresh++;
    v.max = Math.max(v.max, e.seq);
  }
  for (const [s, n] of dups) at(s).dups += n;
  for (const q of quarantined) {
    if (!q.storeId) continue;
    const v = at(q.storeId);
    v.quarantined++;
    if (q.seq !== null) v.max = Math.max(v.max, q.seq);
  }
  return per;
}

export const freshOf = (first: StoredEvent[], inserted: { storeId: string; seq: number }[]) => {
  const k = new Set(inserted.map((r) => eventKey(r.storeId, r.seq)));
  return {
    fresh: first.filter((e) => k.has(eventKey(e.storeId, e.seq))),
    again: first.filter((e) => !k.has(eventKey(e.storeId, e.seq))),
  };
};

/** The range to ask a store for: from after its watermark to before the next thing held, or its sentThrough. */
export function gapRange(contiguousSeq: number, nextPresent: number | null, sentThrough: number): Gap | null {
  const fromSeq = contiguousSeq + 1;
  const toSeq = nextPresent !== null ? nextPresent - 1 : sentThrough;
  return toSeq >= fromSeq ? { storeId: '', fromSeq, toSeq } : null;
}

/** A store_watermarks row (the same columns on both engines) as a Watermark. */
export function watermarkOf(
  w:
    | {
        store_id: string;
        contiguous_seq: number;
        max_seq: number;
        sent_through: number;
        events: number;
        duplicates: number;
        quarantined: number;
        resend_requests: number;
      }
    | undefined,
): Watermark | null {
  return w
    ? {
        storeId: w.store_id,
        contiguousSeq: w.contiguous_seq,
        maxSeq: w.max_seq,
        sentThrough: w.sent_through,
        events: w.events,
        duplicates: w.duplicates,
        quarantined: w.quarantined,
        resendRequests: w.resend_requests,
      }
    : null;
}
