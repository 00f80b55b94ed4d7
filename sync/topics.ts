// The MQTT topic namespace, in one place. `prefix` is config mqtt.topicPrefix
// (default "storeedge/v1").
//
//   {prefix}/{store}/evt/{type}      store → HQ  outbox events, QoS 1, one per row, in sequence
//   {prefix}/{store}/state           store → HQ  retained birth {online: true} / last will {online: false}
//   {prefix}/{store}/heartbeat       store → HQ  health and backlog every heartbeat interval
//   {prefix}/{store}/cmd/{name}      HQ → store  pushes (dataset updates) and commands (resend)
//   {prefix}/all/cmd/{name}          HQ → every store: the same, for chain-wide pushes
//   {prefix}/{store}/req/{name}      HQ → store  pulls, MQTT 5 request/response
//   {prefix}/hq/req/{name}           store → HQ  requests to HQ (time, for the clock offset)
// Replies go to the request's responseTopic with its correlationData.
import type { OutboxRow, OutboxText } from './envelope.js';

export class Topics {
  constructor(
    readonly prefix: string,
    readonly storeId: string,
  ) {}

  event(type: string): string {
    return `${this.prefix}/${this.storeId}/evt/${type.replace(/[#+/]/g, '_')}`;
  }
  get state(): string {
    return `${this.prefix}/${this.storeId}/state`;
  }
  get heartbeat(): string {
    return `${this.prefix}/${this.storeId}/heartbeat`;
  }
  /** what the store subscribes to */
  get inbound(): string[] {
    return [
      `${this.prefix}/${this.storeId}/cmd/+`,
      `${this.prefix}/all/cmd/+`,
      `${this.prefix}/${this.storeId}/req/+`,
    ];
  }
  /** where answers to this store's own requests come back */
  get replies(): string {
    return `${this.prefix}/${this.storeId}/res`;
  }
  hqRequest(name: string): string {
    return `${this.prefix}/hq/req/${name}`;
  }

  /** Splits an inbound topic into what it asks. */
  parseInbound(topic: string): { kind: 'cmd' | 'req'; name: string } | null {
    const rest = topic.startsWith(`${this.prefix}/`) ? topic.slice(this.prefix.length + 1).split('/') : [];
    if (rest.length !== 3) return null;
    const [store, kind, name] = rest as [string, string, string];
    if (store !== this.storeId && store !== 'all') return null;
    if (kind !== 'cmd' && kind !== 'req') return null;
    if (store === 'all' && kind === 'req') return null;
    return { kind, name };
  }
}

/** What HQ's ingest reads from an event topic. */
export function parseEventTopic(prefix: string, topic: string): { storeId: string; type: string } | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const parts = topic.slice(prefix.length + 1).split('/');
  if (parts.length !== 3 || parts[1] !== 'evt') return null;
  return { storeId: parts[0]!, type: parts[2]! };
}

/** An outbox row as it travels. */
export function toWire(storeId: string, r: Omit<OutboxRow, 'sentAt'>): WireEvent {
  return {
    storeId,
    seq: r.seq,
    eventId: r.eventId,
    type: r.type,
    class: r.class,
    createdAt: r.createdAt,
    payload: r.payload,
  };
}

/** The same envelope as JSON text, around a payload that is JSON text already (as the
 * outbox stores it): the drain publishes without parsing and re-serialising each row.
 * Same keys in the same order as JSON.stringify(toWire(...)). */
export function wireText(storeId: string, r: OutboxText): string {
  return `{"storeId":${JSON.stringify(storeId)},"seq":${r.seq},"eventId":${JSON.stringify(r.eventId)},"type":${JSON.stringify(r.type)},"class":${JSON.stringify(r.class)},"createdAt":${r.createdAt},"payload":${r.payload}}`;
}

export interface WireEvent {
  storeId: string;
  seq: number;
  eventId: string;
  type: string;
  class: 'money' | 'telemetry' | 'state';
  createdAt: number;
  payload: Record<string, unknown>;
}

export const MAX_EVENT_BYTES = 256 * 1024;

export type WireProblem = { reason: 'malformed' | 'store-mismatch'; detail: string; seq: number | null };

/**
 * Reads an event as it arrived on `storeId`'s event topic: its size, JSON, sequence,
 * store and envelope fields. A problem names its reason and, when the event carries a
 * valid one, its sequence. HQ's ingest and the lab HQ read events through this alone.
 */
export function readWireEvent(
  storeId: string,
  body: Buffer,
): { event: WireEvent } | { problem: WireProblem } {
  const problem = (reason: WireProblem['reason'], detail: string, seq: number | null = null) => ({
    problem: { reason, detail, seq },
  });
  if (body.length > MAX_EVENT_BYTES)
    return problem('malformed', `event of ${body.length} bytes is over the limit`);
  let e: Partial<WireEvent>;
  try {
    e = JSON.parse(body.toString('utf8')) as Partial<WireEvent>;
  } catch {
    return problem('malformed', 'not JSON');
  }
  if (!e || typeof e !== 'object' || Array.isArray(e)) return problem('malformed', 'not a JSON object');
  const seq = Number.isSafeInteger(e.seq) && (e.seq as number) >= 1 ? (e.seq as number) : null;
  if (seq === null)
    return problem('malformed', `seq must be an integer from 1 (got ${JSON.stringify(e.seq)})`);
  if (e.storeId !== storeId)
    return problem(
      'store-mismatch',
      `topic is store ${storeId}, the event says ${JSON.stringify(e.storeId)}`,
      seq,
    );
  if (
    typeof e.eventId !== 'string' ||
    e.eventId.length === 0 ||
    e.eventId.length > 128 ||
    typeof e.type !== 'string' ||
    !['money', 'telemetry', 'state'].includes(String(e.class)) ||
    !Number.isSafeInteger(e.createdAt) ||
    typeof e.payload !== 'object' ||
    e.payload === null ||
    Array.isArray(e.payload)
  )
    return problem('malformed', 'missing or bad eventId, type, class, createdAt or payload', seq);
  return { event: e as WireEvent };
}
