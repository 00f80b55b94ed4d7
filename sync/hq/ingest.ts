// HQ's reference ingest: subscribes to every store's events, stores them by (store, seq)
// so duplicates have no effect, watches each store's sequence for gaps and asks the
// store to resend a gap that does not fill by itself, tracks birth/death and heartbeats,
// and answers stores' time requests (their clock offset). Several ingest processes can
// share the load with an MQTT 5 shared subscription (`shareGroup`).
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { answerStoreRequest } from '../hq-requests.js';
import { parseEventTopic, readWireEvent, type WireEvent } from '../topics.js';
import { EventStore, type HqDb } from './store.js';

export interface IngestOptions {
  url: string;
  prefix: string;
  db: HqDb;
  log: Logger;
  clientId?: string;
  /** MQTT 5 shared subscription group: several ingest processes split the stores' events */
  shareGroup?: string;
  /** how long a gap may stay open before the store is asked to resend it */
  gapTimeoutMs?: number;
}

/** Reads an event off the wire; null when it is not a well-formed event of that store. */
export function parseWireEvent(storeId: string, payload: Buffer): WireEvent | null {
  const r = readWireEvent(storeId, payload);
  return 'event' in r ? r.event : null;
}

export class HqIngest {
  readonly store: EventStore;
  private client: MqttClient | null = null;
  private pending: WireEvent[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private readonly gapsSince = new Map<string, { fromSeq: number; since: number; askedAt: number }>();
  rejected = 0;
  resendRequests = 0;

  constructor(private readonly o: IngestOptions) {
    this.store = new EventStore(o.db);
  }

  async start(): Promise<void> {
    const p = this.o.prefix;
    const share = this.o.shareGroup ? `$share/${this.o.shareGroup}/` : '';
    const client = await mqtt.connectAsync(this.o.url, {
      protocolVersion: 5,
      clientId: this.o.clientId ?? 'storeedge-hq-ingest',
      clean: false,
      properties: { sessionExpiryInterval: 7 * 86_400 },
      reconnectPeriod: 1000,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    await client.subscribeAsync(
      [`${share}${p}/+/evt/+`, `${share}${p}/+/heartbeat`, `${p}/+/state`, `${share}${p}/hq/req/+`],
      { qos: 1 },
    );
    this.gapTimer = setInterval(() => this.checkGaps(), Math.max(100, (this.o.gapTimeoutMs ?? 3000) / 4));
    this.gapTimer.unref();
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const p = this.o.prefix;
    if (topic.startsWith(`${p}/hq/req/`)) {
      answerStoreRequest(this.client, topic.slice(`${p}/hq/req/`.length), packet);
      return;
    }
    const ev = parseEventTopic(p, topic);
    if (ev) {
      const e = parseWireEvent(ev.storeId, payload);
      if (!e) {
        this.rejected++;
        this.o.log.warn({ topic }, 'malformed event refused');
        return;
      }
      this.pending.push(e);
      if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 10);
      return;
    }
    const m = new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^/]+)/(state|heartbeat)$`).exec(
      topic,
    );
    if (m)
      this.store.noteState(
        m[1]!,
        m[2] as 'state' | 'heartbeat',
        payload.toString('utf8').slice(0, 4096),
        Date.now(),
      );
  }

  /** Stores what arrived, many events per transaction. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.store.ingest(batch, Date.now());
  }

  private checkGaps(): void {
    this.flush();
    const now = Date.now();
    const stores = this.o.db
      .prepare('SELECT store_id FROM stores WHERE max_seq > contiguous_seq OR sent_through > contiguous_seq')
      .pluck()
      .all() as string[];
    for (const storeId of stores) {
      const gap = this.store.gap(storeId);
      if (!gap) continue;
      const seen = this.gapsSince.get(storeId);
      if (!seen || seen.fromSeq !== gap.fromSeq) {
        this.gapsSince.set(storeId, { fromSeq: gap.fromSeq, since: now, askedAt: 0 });
        continue;
      }
      const timeout = this.o.gapTimeoutMs ?? 3000;
      if (now - seen.since >= timeout && now - seen.askedAt >= timeout) {
        seen.askedAt = now;
        this.resendRequests++;
        this.o.log.warn({ storeId, ...gap }, 'gap in a store’s events: asking for a resend');
        void this.client
          ?.publishAsync(`${this.o.prefix}/${storeId}/cmd/resend`, JSON.stringify(gap), { qos: 1 })
          .catch(() => undefined);
      }
    }
    for (const storeId of this.gapsSince.keys())
      if (!stores.includes(storeId)) this.gapsSince.delete(storeId);
  }

  async stop(): Promise<void> {
    if (this.gapTimer) clearInterval(this.gapTimer);
    this.flush();
    await this.client?.endAsync();
    this.client = null;
  }
}
