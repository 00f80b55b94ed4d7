// The sync part of the daemon: the MQTT link to HQ, the outbox publisher, HQ's
// commands and requests, the heartbeat, and the clock offset against HQ. Starting it
// never waits for the broker: the store sells offline and the outbox waits.

import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import { PendingReplies } from '../../sync/pending-replies.js';
import { openPush } from '../../sync/pushes.js';
import { hqPublicKey } from '../../sync/signing.js';
import { Topics } from '../../sync/topics.js';
import type { CouponGate } from '../coupons/chain.js';
import { publicCodeKey } from '../coupons/codes.js';
import type { Db } from '../db/open.js';
import { type MemberGate, markAsked, markFollowed } from '../members/follow.js';
import { applyReplica, readReplica } from '../members/replica.js';
import type { SupportBundle } from '../support/bundle.js';
import { BacklogGuard, type BacklogStatus } from './backlog.js';
import { type CommandContext, Commands, type SyncExtension } from './commands.js';
import type { ConfigReport } from './config-report.js';
import { MqttLink } from './link.js';
import { OutboxPublisher } from './publisher.js';
import { type CertificateTarget, certificatePushes } from './pushes/certificate.js';
import { type ConfigTarget, datasetPushes } from './pushes/datasets.js';
import { memberUpdates } from './pushes/members.js';
import { type ModelTarget, modelPushes } from './pushes/model.js';
import { applyPeerKeys, peerKeyPushes } from './pushes/peer-keys.js';
import { type SoftwareTarget, softwarePushes } from './pushes/software.js';
import { pulls } from './requests.js';
import { resendCommand } from './resend.js';
import { writeSyncState } from './state.js';
import { supportRequests } from './support.js';

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
  /** digests of the config this run took (in the birth message: HQ shows config drift) */
  configReport?: ConfigReport;
  /** builds a support bundle when HQ asks for one */
  supportBundle?: () => Promise<SupportBundle>;
  /** where HQ's software pushes go (the updater); absent: none accepted (a box run from a checkout) */
  software?: SoftwareTarget;
  /** where HQ's certificate pushes go (the TLS part); absent: none accepted (TLS off) */
  certificates?: CertificateTarget;
  /** where HQ's model pushes go (the vision part); absent: none accepted */
  models?: ModelTarget;
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
  private commands = new Commands();
  private readonly context: CommandContext;

  constructor(private readonly o: SyncPartOptions) {
    this.topics = new Topics(o.mqtt.topicPrefix, o.storeId);
    this.hqKey = o.hqSigningPublicKey ? hqPublicKey(o.hqSigningPublicKey) : null;
    this.context = { db: o.db, log: o.log, hqKey: this.hqKey, storeId: o.storeId };
  }

  /** HQ's commands and pulls this store answers, each registering its own handler. */
  private extensions(publisher: OutboxPublisher): SyncExtension[] {
    const c = this.context;
    return [
      datasetPushes(c, this.o.config),
      modelPushes(c, this.o.models),
      certificatePushes(c, this.o.certificates),
      softwarePushes(c, this.o.software),
      memberUpdates(c),
      peerKeyPushes(c),
      resendCommand(c, publisher),
      supportRequests(c, this.o.supportBundle),
      pulls(c, () => this.health()),
    ];
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
          ...(this.o.configReport ? { config: this.o.configReport } : {}),
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
    this.commands = new Commands();
    for (const extension of this.extensions(this.publisher)) extension.start(this.commands);
    link.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) =>
      this.onMessage(topic, payload, packet),
    );
    link.on('up', () => {
      // HQ hears how the store is at once, not a heartbeat period after it reconnects
      this.beat();
      // the other stores' member-card keys, as HQ vouches for them
      this.request('peer-keys', {}, 5000)
        .then((doc) => doc && applyPeerKeys(this.context, doc))
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

  /** A member this store does not follow (or whose follow is old), looked up at HQ: HQ
   * answers with its figure and sends this store the member's changes from then on.
   * Bounded by the request timeout; at once while the link is down. */
  readonly memberGate: MemberGate = {
    follow: async (memberId) => {
      if (!this.hqReachable()) return;
      const now = Date.now();
      markAsked(this.o.db(), memberId, now);
      const doc = await this.askHq('member', { memberId }).catch(() => null);
      if (!doc || typeof doc !== 'object') return; // silent past the timeout: asked again later
      if ((doc as { status?: unknown }).status === 'unknown') {
        // HQ follows for this store already; the figure comes once HQ has the member's events
        markFollowed(this.o.db(), memberId, now);
        return;
      }
      const opened = openPush('member', doc, this.hqKey);
      if ('status' in opened) {
        this.o.log.warn({ problems: opened.problems }, 'member lookup answer refused');
        return;
      }
      try {
        const r = readReplica(opened.body);
        if (r.memberId !== memberId) throw new Error('answer names another member');
        applyReplica(this.o.db(), r, opened.version, this.o.storeId, Date.now());
        markFollowed(this.o.db(), memberId, now);
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, 'member lookup answer refused');
      }
    },
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
    if (this.commands.dispatch(what.kind, what.name, body, reply)) return;
    this.o.log.warn({ topic }, 'HQ command this build does not handle');
    reply({ status: 'rejected', problems: [`unknown command "${what.name}"`] });
  }
}
