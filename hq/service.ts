// HQ as a service, shaped like the store's daemon: parts started in order by the
// lifecycle (database → ingest workers → broker client for pushes → HTTP API) and
// stopped in reverse. A process may run any subset: `ingest` runs workers only, `serve`
// the API and pushes with or without workers of its own.
import { type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { Lifecycle, type Part } from '../sync/kernel/lifecycle.js';
import type { Logger } from '../sync/kernel/logger.js';
import { hqPrivateKey } from '../sync/signing.js';
import { holdToContract } from '../sync/wire-check.js';
import { buildHqApp } from './api/app.js';
import { HqAuth, type HqUser } from './api/auth.js';
import { hqMetrics } from './api/metrics.js';
import { AcmeIssuer } from './certificates/acme.js';
import { dnsProvider } from './certificates/dns.js';
import { CertificatesPart, StoreCertificates } from './certificates/part.js';
import type { HqConfig } from './config.js';
import { migratePg, openPgPool } from './db/pg.js';
import { parsePgUrl } from './db/targets.js';
import type { HqEventStore } from './ingest/event-store.js';
import { PgEventStore } from './ingest/pg-event-store.js';
import { SqliteEventStore } from './ingest/sqlite-event-store.js';
import { IngestWorker } from './ingest/worker.js';
import { PushSender } from './pushes.js';
import { Bundles } from './releases/bundles.js';
import { Deltas } from './releases/deltas.js';
import { Rollouts, RolloutsPart } from './releases/rollouts.js';
import { SupportBundles } from './support-bundles.js';

/** PostgreSQL (a chain) or one SQLite file (a lab or a single store): the event store the workers write. */
class DatabasePart implements Part {
  readonly name = 'database';
  readonly pool;
  /** reads that may lag a moment (figures): a standby where the URL names several servers */
  readonly readPool;
  private sqlite: SqliteEventStore | null = null;
  private schema = 0;
  constructor(private readonly url: string) {
    this.pool = isPostgres(url) ? openPgPool(url, 8) : null;
    this.readPool =
      this.pool && parsePgUrl(url).targets.length > 1
        ? openPgPool(url, 8, { target: 'prefer-standby' })
        : this.pool;
  }
  async start(): Promise<void> {
    if (this.pool) this.schema = (await migratePg(this.pool)).to;
    else this.sqlite = new SqliteEventStore(this.url);
  }
  eventStore(): HqEventStore {
    return this.pool ? new PgEventStore(this.pool) : this.sqlite!;
  }
  async stop(): Promise<void> {
    if (this.readPool !== this.pool) await this.readPool?.end();
    await this.pool?.end();
    this.sqlite?.close();
  }
  details() {
    return this.pool
      ? {
          engine: 'postgresql',
          schemaVersion: this.schema,
          connections: this.pool.totalCount,
          ...(this.readPool !== this.pool ? { readConnections: this.readPool?.totalCount ?? 0 } : {}),
        }
      : { engine: 'sqlite', file: this.url };
  }
}

export const isPostgres = (db: string) => /^postgres(ql)?:\/\//.test(db);

class IngestPart implements Part {
  readonly name = 'ingest';
  readonly workers: IngestWorker[] = [];
  constructor(
    private readonly db: DatabasePart,
    private readonly c: HqConfig,
    private readonly id: string,
    private readonly log: Logger,
    private readonly key: KeyObject | null,
  ) {}
  async start(): Promise<void> {
    for (let i = 0; i < this.c.ingest.workers; i++) {
      const w = new IngestWorker({
        url: this.c.broker.url,
        prefix: this.c.broker.prefix,
        store: this.db.eventStore(),
        log: this.log.child({ component: 'ingest', worker: `${this.id}-${i + 1}` }),
        clientId: `hq-ingest-${this.id}-${i + 1}`,
        shareGroup: this.c.ingest.shareGroup,
        gapTimeoutMs: this.c.ingest.gapTimeoutMs,
        signingKey: this.key,
      });
      await w.start();
      this.workers.push(w);
    }
  }
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
  details() {
    return { workers: this.workers.map((w) => ({ ...w.stats })) };
  }
}

class BrokerPart implements Part {
  readonly name = 'broker';
  client: MqttClient | null = null;
  constructor(
    private readonly c: HqConfig,
    private readonly id: string,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> {
    // in a test run, what HQ pushes is held to the AsyncAPI document
    this.client = holdToContract(
      await mqtt.connectAsync(this.c.broker.url, {
        protocolVersion: 5,
        clientId: `hq-api-${this.id}`,
        reconnectPeriod: 1000,
      }),
      this.c.broker.prefix,
      this.log,
    );
    this.client.on('error', () => undefined); // reconnects by itself; /readyz says so
  }
  async stop(): Promise<void> {
    await this.client?.endAsync().catch(() => undefined);
  }
  details() {
    return { connected: this.client?.connected ?? false };
  }
}

class HttpPart implements Part {
  readonly name = 'http';
  app: FastifyInstance | null = null;
  address = '';
  private timer: NodeJS.Timeout | null = null;
  /** the pair's files as last looked at (mtime and size of each) */
  private stamp = '';
  private tls: { notAfter: string; fingerprint256: string; loadedAt: string; error: string | null } | null =
    null;
  constructor(
    private readonly c: HqConfig,
    private readonly build: (https: { cert: string; key: string } | null) => FastifyInstance,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> {
    const pems = readTls(this.c.http.tls);
    this.app = this.build(pems);
    this.address = await this.app.listen({ host: this.c.http.host, port: this.c.http.port });
    if (pems) {
      this.loaded(pems);
      this.stamp = this.stampNow();
      this.timer = setInterval(() => this.check(), this.c.http.tls.checkSeconds * 1000);
      this.timer.unref();
    }
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.app?.close();
  }
  details() {
    return { address: this.address, ...(this.tls ? { tls: this.tls } : {}) };
  }

  private stampNow(): string {
    const t = this.c.http.tls;
    return [t.certFile, t.keyFile]
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  private loaded(pems: { cert: string; key: string }): void {
    const x = new X509Certificate(pems.cert);
    this.tls = {
      notAfter: new Date(x.validTo).toISOString(),
      fingerprint256: x.fingerprint256,
      loadedAt: new Date().toISOString(),
      error: null,
    };
  }

  /**
   * A renewed pair (certbot, an ACME client, an operator's copy) is served to new
   * connections without a restart; a pair that does not make a TLS context is refused,
   * the one in service kept, and the reason shown on /readyz until a good pair comes.
   */
  private check(): void {
    const stamp = this.stampNow();
    if (stamp === this.stamp || !this.app) return;
    this.stamp = stamp;
    try {
      const pems = readTls(this.c.http.tls)!;
      (this.app.server as HttpsServer).setSecureContext(pems);
      this.loaded(pems);
      this.log.info({ tls: this.tls }, 'HTTPS certificate reloaded');
    } catch (err) {
      if (this.tls) this.tls.error = (err as Error).message;
      this.log.error(
        { err: (err as Error).message },
        'HTTPS certificate not reloaded: the one in service is kept',
      );
    }
  }
}

/** HTTPS's certificate and key, read at start: a clear error where one cannot be read or they do not match */
function readTls(t: HqConfig['http']['tls']): { cert: string; key: string } | null {
  if (!t.certFile) return null;
  const read = (what: string, f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new Error(`http.tls.${what}: cannot read ${f}: ${(err as Error).message}`);
    }
  };
  const pems = { cert: read('certFile', t.certFile), key: read('keyFile', t.keyFile) };
  try {
    createSecureContext(pems);
  } catch (err) {
    throw new Error(`http.tls: the certificate and key do not make a TLS context: ${(err as Error).message}`);
  }
  return pems;
}

export interface HqService {
  lifecycle: Lifecycle;
  http: HttpPart | null;
  ingest: IngestPart;
  /** the certificate desk, where certificates.enabled */
  certificates: CertificatesPart | null;
  /** HQ's PostgreSQL pool (open while the service runs); null on SQLite */
  pool: DatabasePart['pool'];
  /** the figures' pool: on a standby where the database URL names several servers */
  readPool: DatabasePart['readPool'];
}

export function hqService(c: HqConfig, o: { id: string; log: Logger; http: boolean }): HqService {
  const lifecycle = new Lifecycle(o.log, { stopTimeoutMs: 15_000 });
  const db = new DatabasePart(c.db);
  // HQ's push key signs pushes and the member figures the workers send the stores
  const key = c.signingKeyFile ? hqPrivateKey(readFileSync(c.signingKeyFile, 'utf8')) : null;
  const ingest = new IngestPart(db, c, o.id, o.log, key);
  lifecycle.add(db).add(ingest);
  let http: HttpPart | null = null;
  let certificates: CertificatesPart | null = null;
  if (o.http) {
    const pool = db.pool;
    if (!pool) throw new Error("HQ's API needs PostgreSQL: db must be a postgres:// URL");
    const broker = new BrokerPart(c, o.id, o.log.child({ component: 'broker' }));
    const auth = new HqAuth(c.users as HqUser[], c.sessionHours * 3_600_000);
    const pushes = new PushSender(pool, () => broker.client, c.broker.prefix, key);
    const bundles = new Bundles(pool, c.releases.dir, c.releases.maxBundleMB * 1024 * 1024);
    const log = o.log.child({ component: 'rollouts' });
    const deltas = new Deltas(pool, bundles, c.releases.dir);
    const rollouts = new Rollouts(
      pool,
      bundles,
      pushes,
      () => broker.client,
      c.broker.prefix,
      key,
      c.releases.publicUrl,
      log,
      deltas,
    );
    const cc = c.certificates;
    if (cc.enabled && !key)
      throw new Error(
        'certificates.enabled needs signingKeyFile: a store takes only a signed certificate push',
      );
    certificates = cc.enabled
      ? new CertificatesPart(
          new StoreCertificates({
            pool,
            mqtt: () => broker.client,
            prefix: c.broker.prefix,
            key,
            issuer: new AcmeIssuer({
              directoryUrl: cc.directoryUrl,
              contact: cc.contact,
              dir: cc.dir,
              caFile: cc.caFile,
              dns: dnsProvider(cc.dns as Parameters<typeof dnsProvider>[0]),
            }),
            zone: cc.zone,
            renewWhenLeft: cc.renewWhenLeft,
            resendAfterMs: cc.resendAfterMinutes * 60_000,
            retryBaseMs: cc.retryBaseSeconds * 1000,
            log: o.log.child({ component: 'certificates' }),
          }),
          cc.tickMs,
          o.log.child({ component: 'certificates' }),
        )
      : null;
    http = new HttpPart(
      c,
      (https) =>
        buildHqApp({
          https,
          log: o.log.child({ component: 'http' }),
          pool,
          readPool: db.readPool ?? pool,
          auth,
          pushes,
          bundles,
          rollouts,
          deltas,
          certificates: certificates?.desk ?? null,
          supportBundles: new SupportBundles(pool, () => broker.client, c.broker.prefix, key),
          bodyLimitBytes: c.http.bodyLimitBytes,
          parts: () => lifecycle.status(),
          metrics: hqMetrics(pool, () => ingest.workers),
        }),
      o.log.child({ component: 'http' }),
    );
    lifecycle.add(broker).add(new RolloutsPart(() => rollouts, c.releases.tickMs, log));
    if (certificates) lifecycle.add(certificates);
    lifecycle.add(http);
  }
  return { lifecycle, http, ingest, pool: db.pool, readPool: db.readPool, certificates };
}
