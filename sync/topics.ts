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
import type { OutboxRow } from '../edge/db/outbox.js';

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

export interface WireEvent {
  storeId: string;
  seq: number;
  eventId: string;
  type: string;
  class: 'money' | 'telemetry' | 'state';
  createdAt: number;
  payload: Record<string, unknown>;
}
