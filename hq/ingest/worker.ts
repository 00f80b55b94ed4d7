// One HQ ingest worker: a member of an MQTT 5 shared subscription, so any number of
// them split the stores' events between them. The broker hands messages round-robin,
// so one store's events arrive spread over workers and out of order; nothing here
// relies on order or on this worker's memory. Each batch is one PostgreSQL transaction
// (events, projections, quarantine, watermark); completeness comes from the watermark
// in the database: a gap that stays open is claimed by one worker, which asks the store
// to resend it.
//
// Workers use clean sessions. Mosquitto 2 can lose QoS 1 messages in flight to a
// shared-subscription member that disconnects (eclipse/mosquitto#2662) and keeps
// routing a share to a disconnected member with a persistent session (#1747), so a
// message is acknowledged when it arrives and a worker killed mid-batch loses what it
// held: the stores' resends, asked for from the watermark, bring it back.
import type { KeyObject } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { answerStoreRequest, replyTo } from '../../sync/hq-requests.js';
import { signPush } from '../../sync/signing.js';
import { holdToContract } from '../../sync/wire-check.js';
import type { MemberReplica } from '../ledger/ledger.js';
import { readQuotaAsk } from '../ledger/quotas.js';
import { readHold } from '../ledger/reservations.js';
import { classify, type Quarantined, type StoredEvent } from './classify.js';
import type { HqEventStore } from './event-store.js';

/** A store request this HQ leaves unanswered on purpose (the store times out, as when HQ is away). */
const UNANSWERED = Symbol('unanswered');

export interface IngestWorkerOptions {
  url: string;
  prefix: string;
  store: HqEventStore;
  log: Logger;
  clientId: string;
  shareGroup: string;
  /** a gap open this long is asked to be resent (and asked again after as long) */
  gapTimeoutMs: number;
  /** most messages in one transaction */
  batchMax?: number;
  /** messages held while the database is away; past it they are dropped (resends recover them) */
  pendingMax?: number;
  /** HQ's push key: with it the worker tells the stores following them of the members a
   * batch changed, and answers a store's lookup of a member */
  signingKey?: KeyObject | null;
  /** how long HQ holds a chain coupon for a store's cart (default 15 minutes) */
  couponHoldMs?: number;
}

/** HQ's signed figure for one member; its version is one past the sum of `through`. */
const memberPush = (key: KeyObject, r: MemberReplica) =>
  signPush(key, { dataset: 'member', version: r.version + 1, issuedAt: Date.now(), body: r });

export class IngestWorker {
  private client: MqttClient | null = null;
  private events: StoredEvent[] = [];
  private quarantined: Quarantined[] = [];
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private gapRunning = false;
  private stopped = false;
  private retryMs = 100;
  readonly stats = {
    received: 0,
    fresh: 0,
    duplicates: 0,
    conflicts: 0,
    quarantined: 0,
    batches: 0,
    dbErrors: 0,
    dropped: 0,
    resendRequests: 0,
    ledgerConflicts: 0,
    /** member figures a batch changed */
    memberUpdates: 0,
    /** messages those took: one per following store */
    memberMessages: 0,
    memberLookups: 0,
  };
  private lastForget = 0;

  constructor(private readonly o: IngestWorkerOptions) {}

  async start(): Promise<void> {
    const p = this.o.prefix;
    const share = `$share/${this.o.shareGroup}/`;
    // in a test run, what it publishes (pushes to all, answers) is held to the AsyncAPI document
    const client = holdToContract(
      await mqtt.connectAsync(this.o.url, {
        protocolVersion: 5,
        clientId: this.o.clientId,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      }),
      p,
      this.o.log,
    );
    this.client = client;
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    client.on('error', (err) => this.o.log.warn({ err: err.message }, 'broker connection error'));
    // state is retained and small: every worker reads it; the rest is shared out
    await client.subscribeAsync(
      [`${share}${p}/+/evt/+`, `${share}${p}/+/heartbeat`, `${p}/+/state`, `${share}${p}/hq/req/+`],
      { qos: 1 },
    );
    const tick = Math.max(100, this.o.gapTimeoutMs / 4);
    this.gapTimer = setInterval(() => void this.askForGaps(), tick);
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const p = this.o.prefix;
    if (topic.startsWith(`${p}/hq/req/`)) {
      void this.storeRequest(topic.slice(`${p}/hq/req/`.length), payload, packet);
      return;
    }
    const c = classify(p, topic, payload);
    if (c) {
      this.stats.received++;
      if (this.events.length + this.quarantined.length >= (this.o.pendingMax ?? 200_000)) {
        this.stats.dropped++;
        return;
      }
      if ('event' in c) this.events.push(c.event);
      else this.quarantined.push(c.quarantine);
      if (this.events.length + this.quarantined.length >= (this.o.batchMax ?? 2000)) void this.flush();
      else if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), 20);
      return;
    }
    const m = /^(.+)\/([^/]+)\/(state|heartbeat)$/.exec(topic);
    if (m && m[1] === p) {
      let body: unknown = null;
      try {
        body = JSON.parse(payload.subarray(0, 4096).toString('utf8'));
      } catch {
        body = null;
      }
      this.o.store
        .noteState(m[2]!, m[3] as 'state' | 'heartbeat', body)
        .catch((err: Error) => this.o.log.warn({ err: err.message }, 'store state not written'));
      if (m[3] === 'state') void this.noteCodeKey(m[2]!, body);
    }
  }

  /** A store's request to HQ: answered from HQ's database where it needs it. An answer HQ
   * cannot give (the database away) is not sent: the store then decides as when HQ is
   * out of reach (a campaign's offline policy, its own quota count). */
  private async storeRequest(name: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    let answer: unknown;
    try {
      answer = await this.answerFor(name, payload);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, request: name }, 'store request not answered');
      return;
    }
    if (answer === undefined) answerStoreRequest(this.client, name, packet);
    else if (answer !== UNANSWERED) replyTo(this.client, packet, answer);
  }

  /** The answer to a request this worker handles itself; undefined for the shared ones (time). */
  private async answerFor(name: string, payload: Buffer): Promise<unknown> {
    const s = this.o.store;
    const body = () => JSON.parse(payload.subarray(0, 4096).toString('utf8')) as unknown;
    switch (name) {
      case 'coupon-reserve':
      case 'coupon-release': {
        const hold = readHold(body());
        if (!hold) return { error: 'malformed coupon hold' };
        if (!s.reserveCoupon || !s.releaseCoupon) return { error: 'this HQ keeps no coupon holds' };
        if (name === 'coupon-reserve') return s.reserveCoupon(hold, this.o.couponHoldMs ?? 15 * 60_000);
        return { released: await s.releaseCoupon(hold) };
      }
      case 'coupon-quota': {
        const ask = readQuotaAsk(body());
        if (!ask) return { error: 'malformed quota request' };
        if (!s.grantQuota) return { error: 'this HQ counts no quotas' };
        return s.grantQuota(ask);
      }
      case 'member': {
        // a store shown a member it does not follow: it follows them from now, and gets HQ's figure
        const key = this.o.signingKey;
        if (!key || !s.replicas || !s.follow) return UNANSWERED;
        const b = body() as { storeId?: unknown; memberId?: unknown } | null;
        const ID = /^[A-Za-z0-9_-]{1,64}$/;
        if (
          typeof b?.storeId !== 'string' ||
          !ID.test(b.storeId) ||
          typeof b.memberId !== 'string' ||
          !ID.test(b.memberId)
        )
          return { error: 'BAD_REQUEST', message: 'storeId and memberId: ids' };
        this.stats.memberLookups++;
        // the follow first: a change committed after this read is sent to this store as well
        await s.follow(b.memberId, b.storeId, Date.now());
        const [r] = await s.replicas([b.memberId]);
        if (!r) return { status: 'unknown' };
        return memberPush(key, r);
      }
      case 'peer-keys': {
        // every store's member-card key, signed, for a store that just connected
        const key = this.o.signingKey;
        if (!key || !s.codeKeys) return UNANSWERED; // an HQ without a push key vouches for no one
        return signPush(key, {
          dataset: 'peer_keys',
          version: 1,
          issuedAt: Date.now(),
          body: { keys: await s.codeKeys() },
        });
      }
      default:
        return undefined;
    }
  }

  /** A store's member-card key from its birth: new to HQ, every store hears of it (signed). */
  private async noteCodeKey(storeId: string, body: unknown): Promise<void> {
    const k = (body as { codeKey?: { kid?: unknown; publicKeyBase64?: unknown } } | null)?.codeKey;
    const key = this.o.signingKey;
    if (
      !key ||
      !this.o.store.noteCodeKey ||
      typeof k?.kid !== 'string' ||
      typeof k.publicKeyBase64 !== 'string'
    )
      return;
    if (!/^[0-9a-f]{16}$/.test(k.kid) || k.publicKeyBase64.length > 200) return;
    try {
      const added = await this.o.store.noteCodeKey(storeId, {
        kid: k.kid,
        publicKeyBase64: k.publicKeyBase64,
      });
      if (!added) return;
      await this.toAllStores(key, 'peer_keys', 1, {
        keys: [{ storeId, kid: k.kid, publicKeyBase64: k.publicKeyBase64 }],
      });
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'store code key not noted');
    }
  }

  /** Writes what is held, one batch at a time; a failed batch is kept and retried. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.flushing) return this.flushing;
    if (!this.events.length && !this.quarantined.length) return Promise.resolve();
    const max = this.o.batchMax ?? 2000;
    const events = this.events.splice(0, max);
    const quarantined = this.quarantined.splice(0, Math.max(0, max - events.length));
    this.flushing = this.o.store
      .ingest(events, quarantined)
      .then((r) => {
        this.stats.batches++;
        this.stats.fresh += r.fresh;
        this.stats.duplicates += r.duplicates;
        this.stats.conflicts += r.conflicts;
        this.stats.quarantined += r.quarantined;
        this.stats.ledgerConflicts += r.ledgerConflicts ?? 0;
        this.retryMs = 100;
        if (r.members?.length) void this.tellStores(r.members);
      })
      .catch((err: Error) => {
        // the database is away or the batch deadlocked: keep it, try again shortly
        this.stats.dbErrors++;
        this.events.unshift(...events);
        this.quarantined.unshift(...quarantined);
        this.o.log.warn({ err: err.message, retryMs: this.retryMs }, 'batch not written; retrying');
        this.retryMs = Math.min(5000, this.retryMs * 2);
      })
      .finally(() => {
        this.flushing = null;
        if (this.stopped) return;
        if (this.events.length || this.quarantined.length)
          this.flushTimer = setTimeout(() => void this.flush(), this.stats.dbErrors ? this.retryMs : 0);
      });
    return this.flushing;
  }

  /** The stores following these members hear HQ's figure for each, on their own topic
   * (signed; the newest version wins at the store, so two workers' messages may cross). A
   * store offline gets it from its session; one not following gets nothing. */
  private async tellStores(ids: string[]): Promise<void> {
    const key = this.o.signingKey;
    const s = this.o.store;
    if (!key || !s.replicas || !s.followers) return;
    try {
      const followers = await s.followers(ids, Date.now());
      for (const r of await s.replicas(ids)) {
        const msg = JSON.stringify(memberPush(key, r));
        this.stats.memberUpdates++;
        for (const store of followers.get(r.memberId) ?? []) {
          await this.client?.publishAsync(`${this.o.prefix}/${store}/cmd/member`, msg, { qos: 1 });
          this.stats.memberMessages++;
        }
      }
    } catch (err) {
      // the next change of the member sends its figure again
      this.o.log.warn({ err: (err as Error).message }, 'member figures not sent to the stores');
    }
  }

  /** A message signed with HQ's push key, to every store (the broker keeps it for one offline). */
  private async toAllStores(key: KeyObject, dataset: string, version: number, body: unknown): Promise<void> {
    const msg = signPush(key, { dataset, version, issuedAt: Date.now(), body });
    await this.client?.publishAsync(`${this.o.prefix}/all/cmd/${dataset}`, JSON.stringify(msg), { qos: 1 });
  }

  private async askForGaps(): Promise<void> {
    if (this.gapRunning || !this.client?.connected) return;
    this.gapRunning = true;
    try {
      // lapsed follows go now and then (any worker may; the delete is idempotent)
      if (this.o.store.forgetFollowers && Date.now() - this.lastForget > 3_600_000) {
        this.lastForget = Date.now();
        await this.o.store.forgetFollowers(Date.now());
      }
      const gaps = await this.o.store.claimGaps(this.o.gapTimeoutMs);
      for (const g of gaps) {
        this.stats.resendRequests++;
        this.o.log.info(g, 'gap in a store’s events: asking for a resend');
        await this.client
          ?.publishAsync(
            `${this.o.prefix}/${g.storeId}/cmd/resend`,
            JSON.stringify({ fromSeq: g.fromSeq, toSeq: g.toSeq }),
            { qos: 1 },
          )
          .catch(() => undefined);
      }
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'gap check failed');
    } finally {
      this.gapRunning = false;
    }
  }

  /** Stops taking messages, writes what is held (bounded), and leaves the broker. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.gapTimer) clearInterval(this.gapTimer);
    await this.client?.endAsync().catch(() => undefined);
    this.client = null;
    const deadline = Date.now() + timeoutMs;
    while ((this.events.length || this.quarantined.length || this.flushing) && Date.now() < deadline) {
      await this.flush();
      if (this.stats.dbErrors && (this.events.length || this.quarantined.length))
        await new Promise((r) => setTimeout(r, 100));
    }
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }
}
