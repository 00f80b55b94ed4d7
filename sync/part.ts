// The sync part of the daemon: the MQTT link to HQ, the outbox publisher, HQ's
// commands and requests, the heartbeat, and the clock offset against HQ. Starting it
// never waits for the broker: the store sells offline and the outbox waits.

import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CouponGate } from '../edge/coupons/chain.js';
import { addPeerKeys, publicCodeKey } from '../edge/coupons/codes.js';
import type { Db } from '../edge/db/open.js';
import type { Part } from '../edge/lifecycle.js';
import { applyReplica, readReplica } from '../edge/members/replica.js';
import { reportSoftware, versionOf } from '../edge/updates/report.js';
import { BacklogGuard, type BacklogStatus } from './backlog.js';
import { MqttLink } from './link.js';
import { PendingReplies } from './pending-replies.js';
import { OutboxPublisher } from './publisher.js';
import {
  applyPush,
  type ConfigTarget,
  notNewer,
  openPush,
  PUSHABLE,
  type PushResult,
  recordPush,
} from './pushes.js';
import { answerRequest } from './requests.js';
import { hqPublicKey } from './signing.js';
import { appliedVersion, writeSyncState } from './state.js';
import { Topics } from './topics.js';

export interface SyncPartOptions {
  mqtt: Config['mqtt'];
  /** the store's clock: when an event counts as sent (housekeeping keeps it from then on) */
  now?: () => number;
  outbox?: Config['outbox'];
  /** the database's folder: free space is measured there and the reserve file lives there */
  dataDir?: string;
  storeId: string;
  version: string;
  db: () => Db;
  log: Logger;
  heartbeatMs?: number;
  /** health facts for the heartbeat (parts and devices) */
  health?: () => Record<string, unknown>;
  /** Ed25519 public key (PEM or base64 SPKI) that signs HQ's pushes */
  hqSigningPublicKey?: string | undefined;
  /** HQ pushes larger than this are refused unread */
  maxPushBytes?: number;
  /** where HQ config pushes are checked and kept; absent: none accepted */
  config?: ConfigTarget & { active: { version: number; applied: boolean; error?: string } | null };
  /** where HQ's software pushes go (the updater); absent: none accepted (a box run from a checkout) */
  software?: {
    install(rollout: number, body: unknown): Promise<{ status: string; problems?: string[] }>;
  };
  /** where HQ's certificate pushes go (the TLS part); absent: none accepted (TLS off) */
  certificates?: {
    installCertificate(body: unknown): {
      status: 'applied' | 'unchanged' | 'rejected';
      problems?: string[];
      certificate?: Record<string, unknown>;
    };
  };
  /** where HQ's model pushes go (the vision part); absent: none accepted */
  models?: {
    installModel(
      version: number,
      body: unknown,
    ): Promise<{ status: 'applied' | 'rejected'; problems?: string[]; model?: Record<string, unknown> }>;
  };
}

export class SyncPart implements Part {
  readonly name = 'sync';
  private link: MqttLink | null = null;
  private publisher: OutboxPublisher | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly pending = new PendingReplies();
  private clockOffsetMs: number | null = null;
  readonly topics: Topics;
  private readonly hqKey: KeyObject | null;
  private guard: BacklogGuard | null = null;
  private guardTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: SyncPartOptions) {
    this.topics = new Topics(o.mqtt.topicPrefix, o.storeId);
    this.hqKey = o.hqSigningPublicKey ? hqPublicKey(o.hqSigningPublicKey) : null;
  }

  start(): void {
    const { mqtt: m, log } = this.o;
    const t = this.topics;
    const db = this.o.db();
    const ob = this.o.outbox;
    if (ob && this.o.dataDir) {
      const MB = 1024 * 1024;
      this.guard = new BacklogGuard({
        db,
        log,
        highWaterBytes: ob.highWaterMB * MB,
        lowWaterBytes: ob.lowWaterMB * MB,
        dataDir: this.o.dataDir,
        diskLowBytes: ob.diskLowMB * MB,
        diskCriticalBytes: ob.diskCriticalMB * MB,
        reserveFile: { path: join(this.o.dataDir, 'storeedge.reserve'), bytes: ob.reserveMB * MB },
      });
      this.guard.prepare();
      this.guard.check();
      this.guardTimer = setInterval(() => this.guard?.check(), ob.checkSeconds * 1000);
      this.guardTimer.unref();
    }
    // without a broker the outbox simply waits; the backlog guard still runs
    if (!m.enabled) return;
    const link = new MqttLink({
      url: m.url,
      clientId: m.clientId ?? `storeedge-${this.o.storeId}`,
      username: m.username,
      password: m.password,
      keepaliveSeconds: m.keepaliveSeconds,
      tls: m.tls,
      will: { topic: t.state, payload: JSON.stringify({ online: false, storeId: this.o.storeId }) },
      birth: () => ({
        topic: t.state,
        payload: JSON.stringify({
          online: true,
          storeId: this.o.storeId,
          version: this.o.version,
          at: Date.now(),
          // HQ vouches for it to the other stores, so this store's member cards read there
          codeKey: publicCodeKey(this.o.db(), Date.now()),
        }),
      }),
      subscriptions: [...t.inbound, t.replies],
      topicPrefix: t.prefix,
      backoff: m.reconnect,
      log,
    });
    this.link = link;
    this.publisher = new OutboxPublisher({
      db,
      link,
      topics: t,
      log,
      ratePerSecond: m.drainPerSecond,
      ...(this.o.now ? { now: this.o.now } : {}),
    });
    link.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) =>
      this.onMessage(topic, payload, packet),
    );
    link.on('up', () => {
      // HQ hears how the store is at once, not a heartbeat period after it reconnects
      this.beat();
      // the other stores' member-card keys, as HQ vouches for them
      this.request('peer-keys', {}, 5000)
        .then((doc) => doc && this.peerKeys(doc))
        .catch(() => undefined);
      this.measureClock().catch((e: unknown) => log.warn({ err: e }, 'clock offset not measured'));
    });
    link.start();
    this.publisher.start();
    this.heartbeat = setInterval(
      () => this.beat(),
      this.o.heartbeatMs ?? this.o.mqtt.heartbeatSeconds * 1000,
    );
    this.heartbeat.unref();
  }

  /** the backlog's state, for metrics and for vision (which stops writing on a full disk) */
  backlog(): BacklogStatus | null {
    return this.guard?.status() ?? null;
  }

  /** Whether HQ is in reach now: the link is up. */
  hqReachable(): boolean {
    return this.link?.connected ?? false;
  }

  /** HQ's holds on chain coupons and grants on campaign quotas, over MQTT 5
   * request/response: never longer than the configured timeout, and 'unreachable' at
   * once while the link is down. */
  readonly couponGate: CouponGate = {
    claimQuota: async (ask) => {
      const r = await this.askHq('coupon-quota', ask);
      if (r?.status === 'granted') return { status: 'granted' };
      return r?.status === 'refused'
        ? { status: 'refused', reason: String(r.reason ?? 'refused') }
        : { status: 'unreachable' };
    },
    reserve: async (h) => {
      const r = await this.askHq('coupon-reserve', h);
      if (r?.status === 'reserved') return { status: 'reserved' };
      return r?.status === 'refused'
        ? { status: 'refused', reason: String(r.reason ?? 'refused') }
        : { status: 'unreachable' };
    },
    // best effort: a hold HQ never hears released expires there
    release: (h) => void this.askHq('coupon-release', h),
  };

  /** HQ's answer to a store request, or null when HQ is out of reach or silent past the timeout. */
  private async askHq(name: string, body: object): Promise<{ status?: unknown; reason?: unknown } | null> {
    if (!this.hqReachable()) return null;
    return (await this.request(
      name,
      { storeId: this.o.storeId, ...body },
      this.o.mqtt.hqRequestTimeoutMs,
    )) as {
      status?: unknown;
      reason?: unknown;
    } | null;
  }

  /** Whether telemetry may be written now (not while the disk is low). */
  acceptsTelemetry(): boolean {
    return this.guard?.acceptsTelemetry() ?? true;
  }

  async stop(): Promise<void> {
    if (this.guardTimer) clearInterval(this.guardTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.publisher?.stop();
    await this.link?.stop();
    this.publisher?.drainAcks();
  }

  /** The store's clock minus HQ's from the last connect, null before one. */
  get clockOffset(): number | null {
    return this.clockOffsetMs;
  }

  details(): Record<string, unknown> {
    return {
      link: this.o.mqtt.enabled ? (this.link?.state ?? 'idle') : 'disabled',
      backlogState: this.guard?.status() ?? null,
      reconnects: this.link?.reconnects ?? 0,
      lastError: this.link?.lastError ?? null,
      backlog: this.publisher?.backlog() ?? null,
      published: this.publisher?.published ?? 0,
      acknowledged: this.publisher?.acknowledged ?? 0,
      clockOffsetMs: this.clockOffsetMs,
      hqConfig: this.o.config?.active ?? null,
    };
  }

  private health(): Record<string, unknown> {
    return {
      at: Date.now(),
      backlog: this.publisher?.backlog() ?? null,
      // lets HQ notice events the broker took but HQ never got, even with none after them
      sentThrough: this.publisher?.sentThrough() ?? 0,
      clockOffsetMs: this.clockOffsetMs,
      ...(this.o.health?.() ?? {}),
    };
  }

  private beat(): void {
    if (!this.link?.connected) return;
    const body = this.health();
    void this.link.publish(this.topics.heartbeat, JSON.stringify(body), { qos: 0 }).catch(() => undefined);
  }

  /** HQ's figure for a member (signed like a push; the newest version wins). A bad one is
   * logged and changes nothing; members are too many to answer each in the outbox. */
  private memberUpdate(doc: unknown): void {
    const opened = openPush('member', doc, this.hqKey);
    if ('status' in opened) {
      this.o.log.warn({ problems: opened.problems }, 'member update from HQ refused');
      return;
    }
    try {
      applyReplica(this.o.db(), readReplica(opened.body), opened.version, this.o.storeId, Date.now());
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'member update from HQ refused');
    }
  }

  /** Other stores' member-card keys, signed by HQ; added to what the store knows. */
  private peerKeys(doc: unknown): void {
    const opened = openPush('peer_keys', doc, this.hqKey);
    if ('status' in opened) {
      this.o.log.warn({ problems: opened.problems }, 'store keys from HQ refused');
      return;
    }
    const keys = (opened.body as { keys?: unknown })?.keys;
    const ok =
      Array.isArray(keys) &&
      keys.every(
        (k) =>
          typeof k?.storeId === 'string' &&
          typeof k?.kid === 'string' &&
          typeof k?.publicKeyBase64 === 'string',
      );
    try {
      if (!ok) throw new Error('/body/keys: a list of {storeId, kid, publicKeyBase64}');
      addPeerKeys(
        this.o.db(),
        keys as { storeId: string; kid: string; publicKeyBase64: string }[],
        Date.now(),
      );
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'store keys from HQ refused');
    }
  }

  /** A signed model push: checked like any push, then handed to the vision part to load and try. */
  private async modelPush(doc: unknown): Promise<PushResult> {
    const opened = openPush('model', doc, this.hqKey);
    let result: PushResult;
    if ('status' in opened) result = opened;
    else if (!this.o.models)
      result = {
        dataset: 'model',
        version: opened.version,
        status: 'rejected',
        problems: ['this store runs no vision'],
      };
    else {
      const r = await this.o.models.installModel(opened.version, opened.body);
      result = {
        dataset: 'model',
        version: opened.version,
        status: r.status,
        ...(r.problems ? { problems: r.problems } : {}),
        ...(r.model ? { model: r.model } : {}),
      };
    }
    recordPush(this.o.db(), result, Date.now());
    this.o.log[result.status === 'rejected' ? 'warn' : 'info'](
      { ...result },
      `HQ model push ${result.status}`,
    );
    return result;
  }

  /** A signed certificate push: checked like any push, then by the TLS part (chain, name, dates, key). */
  private certificatePush(doc: unknown): PushResult {
    const db = this.o.db();
    const opened = openPush('certificate', doc, this.hqKey);
    const result = ((): PushResult => {
      if ('status' in opened) return opened;
      const version = opened.version;
      if (!this.o.certificates)
        return {
          dataset: 'certificate',
          version,
          status: 'rejected',
          problems: ['this store serves no HTTPS'],
        };
      const stale = notNewer('certificate', version, appliedVersion(db, 'certificate'));
      if (stale) return stale;
      const r = this.o.certificates.installCertificate(opened.body);
      if (r.status !== 'rejected') writeSyncState(db, 'certificate', { version }, Date.now());
      return { dataset: 'certificate', version, ...r };
    })();
    recordPush(db, result, Date.now());
    return result;
  }

  /** A signed software push: checked like any push, then handed to the updater, which reports each step. */
  private async softwarePush(doc: unknown): Promise<unknown> {
    const opened = openPush('software', doc, this.hqKey);
    if ('status' in opened) {
      // not HQ's: recorded as a rejected push, but its rollout number is not to be trusted
      recordPush(this.o.db(), opened, Date.now());
      this.o.log.warn({ ...opened }, 'HQ software push rejected');
      return opened;
    }
    if (!this.o.software) {
      const why = 'this box takes no software updates (updates.dir is not set)';
      // HQ's rollout counts this store as failed instead of waiting on it
      reportSoftware(
        this.o.db(),
        {
          rollout: opened.version,
          version: versionOf(opened.body),
          state: 'rejected',
          reason: why,
        },
        Date.now(),
      );
      this.o.log.warn({ rollout: opened.version }, why);
      return { dataset: 'software', version: opened.version, status: 'rejected', problems: [why] };
    }
    return this.o.software.install(opened.version, opened.body);
  }

  /** Asks HQ for its time; offset = HQ's clock minus ours at the midpoint of the round trip. */
  private async measureClock(): Promise<void> {
    const t0 = Date.now();
    const reply = (await this.request('time', {}, 5000)) as { now?: unknown } | null;
    const t1 = Date.now();
    if (!reply || typeof reply.now !== 'number') return;
    this.clockOffsetMs = Math.round(reply.now - (t0 + t1) / 2);
    writeSyncState(this.o.db(), 'clock', { offsetMs: this.clockOffsetMs, roundTripMs: t1 - t0 }, t1);
    if (Math.abs(this.clockOffsetMs) > 5000)
      this.o.log.warn({ offsetMs: this.clockOffsetMs }, 'store clock differs from HQ by more than 5 s');
  }

  private request(name: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const { correlationData, reply } = this.pending.open(timeoutMs);
    this.link
      ?.publish(this.topics.hqRequest(name), JSON.stringify(body), {
        qos: 1,
        properties: { responseTopic: this.topics.replies, correlationData },
      })
      .catch(() => undefined);
    return reply;
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === this.topics.replies) {
      this.pending.settle(payload, packet);
      return;
    }
    const what = this.topics.parseInbound(topic);
    if (!what) return;
    const reply = (answer: unknown) => {
      const responseTopic = packet.properties?.responseTopic;
      if (!responseTopic) return;
      void this.link
        ?.publish(responseTopic, JSON.stringify(answer), {
          qos: 1,
          properties: { correlationData: packet.properties?.correlationData ?? Buffer.alloc(0) },
        })
        .catch(() => undefined);
    };
    if (payload.length > (this.o.maxPushBytes ?? 32 * 1024 * 1024)) {
      this.o.log.warn({ topic, bytes: payload.length }, 'HQ message too large: refused');
      reply({ status: 'rejected', problems: [`message of ${payload.length} bytes is over the limit`] });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      this.o.log.warn({ topic }, 'HQ message is not JSON: refused');
      reply({ status: 'rejected', problems: ['message is not JSON'] });
      return;
    }
    if (what.kind === 'req') {
      reply(
        answerRequest(what.name, body, {
          db: this.o.db(),
          storeId: this.o.storeId,
          health: () => this.health(),
        }),
      );
      return;
    }
    if (what.kind === 'cmd' && what.name === 'model') {
      void this.modelPush(body).then(reply);
      return;
    }
    if (what.kind === 'cmd' && what.name === 'certificate') {
      reply(this.certificatePush(body));
      return;
    }
    if (what.kind === 'cmd' && what.name === 'software') {
      void this.softwarePush(body).then(reply);
      return;
    }
    if (what.kind === 'cmd' && what.name === 'member') {
      this.memberUpdate(body);
      return;
    }
    if (what.kind === 'cmd' && what.name === 'peer_keys') {
      this.peerKeys(body);
      return;
    }
    if ((PUSHABLE as readonly string[]).includes(what.name)) {
      const result = applyPush(this.o.db(), what.name, body, this.hqKey, Date.now(), this.o.config);
      this.o.log[result.status === 'rejected' ? 'warn' : 'info']({ ...result }, `HQ push ${result.status}`);
      reply(result);
      return;
    }
    if (what.kind === 'cmd' && what.name === 'resend') {
      const { fromSeq, toSeq } = body;
      if (
        Number.isSafeInteger(fromSeq) &&
        Number.isSafeInteger(toSeq) &&
        (fromSeq as number) <= (toSeq as number)
      )
        this.publisher?.resend(fromSeq as number, toSeq as number);
      else this.o.log.warn({ body }, 'resend command with a bad range: ignored');
      return;
    }
    this.o.log.warn({ topic }, 'HQ command this build does not handle');
    reply({ status: 'rejected', problems: [`unknown command "${what.name}"`] });
  }
}
