// What arrived on an event topic, sorted into an event HQ stores or a quarantine entry
// with its reason. Pure: the worker calls it for every message before any write.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../sync/canonical-json.js';
import { payloadProblems } from '../../sync/event-schemas.js';
import { parseEventTopic, readWireEvent, type WireEvent } from '../../sync/topics.js';

export interface StoredEvent extends WireEvent {
  /** sha-256 of the canonical event: the same event always has the same digest */
  digest: Buffer;
}

export interface Quarantined {
  /** the store the topic names (the broker's ACL vouches for it), when it names one */
  storeId: string | null;
  /** the sequence it claims, when that is a valid one: it still fills its place in the order */
  seq: number | null;
  topic: string;
  reason: 'malformed' | 'store-mismatch' | 'type-mismatch' | 'schema' | 'conflict';
  detail: string;
  payload: string;
}

export type Classified = { event: StoredEvent } | { quarantine: Quarantined };

const topicType = (type: string) => type.replace(/[#+/]/g, '_');

export function digestOf(e: WireEvent): Buffer {
  return createHash('sha256')
    .update(
      canonicalJson({
        storeId: e.storeId,
        seq: e.seq,
        eventId: e.eventId,
        type: e.type,
        class: e.class,
        createdAt: e.createdAt,
        payload: e.payload,
      }),
    )
    .digest();
}

/** Reads one message from `{prefix}/{store}/evt/{type}`; null when the topic is not one. */
export function classify(prefix: string, topic: string, body: Buffer): Classified | null {
  const t = parseEventTopic(prefix, topic);
  if (!t) return null;
  const text = body.subarray(0, Math.min(body.length, 4096)).toString('utf8');
  const q = (reason: Quarantined['reason'], detail: string, seq: number | null = null): Classified => ({
    quarantine: { storeId: t.storeId, seq, topic, reason, detail, payload: text },
  });
  const r = readWireEvent(t.storeId, body);
  if ('problem' in r) return q(r.problem.reason, r.problem.detail, r.problem.seq);
  const e = r.event;
  if (topicType(e.type) !== t.type)
    return q('type-mismatch', `topic says ${t.type}, the event says ${e.type}`, e.seq);
  const problems = payloadProblems(e.type, e.payload);
  if (problems.length) return q('schema', `${e.type}: ${problems.join('; ')}`, e.seq);
  return { event: { ...e, digest: digestOf(e) } };
}
