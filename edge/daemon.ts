// The composition root: which parts the daemon has, in start order
// (config → db → devices → vision → tls → sync → housekeeping → http), wired with plain values.

import { dirname, join } from 'node:path';
import { overlayPath } from '../config/hq-overlay.js';
import type { LoadedConfig } from '../config/load.js';
import { storeHostname } from '../sync/hostnames.js';
import { Lifecycle } from '../sync/kernel/lifecycle.js';
import type { Logger } from '../sync/kernel/logger.js';
import { VERSION } from '../sync/kernel/version.js';
import { hqPublicKey } from '../sync/signing.js';
import { openAlertCount } from './alerts/alerts.js';
import { CartTokens, KioskAuth, MemberSessions, storeSecret } from './api/access.js';
import { createMetrics } from './api/metrics.js';
import { HttpPart } from './api/part.js';
import { StaffAuth } from './api/staff-auth.js';
import { seedDatabase } from './catalog/seed.js';
import { E_RECEIPT_SECRET, eReceiptLink } from './checkout/e-receipt.js';
import { migrations } from './db/migrations/index.js';
import type { Db } from './db/open.js';
import { DbPart } from './db/part.js';
import { DevicesPart } from './devices/part.js';
import { GuidesPart } from './guides/part.js';
import { HousekeepingPart } from './housekeeping/part.js';
import { retentionOf } from './housekeeping/tasks.js';
import { buildSupportBundle, migrationState } from './support/bundle.js';
import { configReport } from './sync/config-report.js';
import { SyncPart } from './sync/part.js';
import { TlsPart } from './tls/part.js';
import { UpdaterPart } from './updates/part.js';
import { modelDirFor, VisionPart } from './vision/part.js';
import { QueueWatch } from './vision/queues.js';

// AI 393x carries the ISO 4217 numeric currency of an embedded price
const ISO_4217_NUMERIC: Record<string, string> = {
  CNY: '156',
  HKD: '344',
  USD: '840',
  EUR: '978',
  JPY: '392',
  GBP: '826',
};

export interface Daemon {
  lifecycle: Lifecycle;
  db: DbPart;
  devices: DevicesPart;
  vision: VisionPart;
  sync: SyncPart;
  http: HttpPart;
  /** the HTTPS certificate; null with tls.enabled false */
  tls: TlsPart | null;
  housekeeping: HousekeepingPart;
  /** software updates from HQ, on an installed box (updates.dir set) */
  updates: UpdaterPart | null;
}

export interface DaemonHooks {
  /** stop and exit so that the service manager starts the version now current */
  restart?(reason: string): void;
  /** the store's clock for business records and housekeeping (a test runs weeks in minutes) */
  clock?: () => number;
  /** the daemon's recent log lines (main.ts keeps them), for a support bundle */
  logs?: () => string[];
}

export function createDaemon(loaded: LoadedConfig, log: Logger, hooks: DaemonHooks = {}): Daemon {
  const { config } = loaded;
  if (loaded.overlay && !loaded.overlay.applied)
    log.error({ overlay: loaded.overlay }, 'HQ-pushed config not applied: running on the local config');
  else if (loaded.overlay) log.info({ version: loaded.overlay.version }, 'HQ-pushed config applied');
  const lifecycle = new Lifecycle(log.child({ component: 'lifecycle' }), {
    stopTimeoutMs: config.shutdownTimeoutMs,
  });

  const dbLog = log.child({ component: 'db' });
  const seedFile = config.seed.catalog;
  const db = new DbPart({
    path: config.db.path,
    busyTimeoutMs: config.db.busyTimeoutMs,
    ...(seedFile ? { prepare: (handle: Db) => seedDatabase(handle, seedFile, dbLog) } : {}),
    log: dbLog,
  });
  lifecycle.add(db);

  const clock = hooks.clock ?? Date.now;
  const scanOptions = {
    variableMeasure: config.barcodes.variableMeasure,
    currencyNumeric: ISO_4217_NUMERIC[config.store.currency],
    labels: config.barcodes.labels,
  };
  const store = { id: config.store.id, name: config.store.name, timezone: config.store.timezone };
  // a store without HQ (mqtt off) is its own ledger: no offline cap
  let hqOnline = () => true;
  const context = () => ({
    now: clock(),
    timezone: store.timezone,
    storeId: store.id,
    loyalty: config.loyalty,
    hqOnline: hqOnline(),
    exitAudit: config.exitAudit,
  });
  const staffAuth = new StaffAuth({ staff: config.security.staff, clock });
  const devices = new DevicesPart({
    devices: config.devices,
    codeGateway: config.payments.codeGateway,
    wallet: config.payments.wallet,
    // a gateway on the box reaches the plain listener (loopback callers are served there)
    walletNotifyUrl: () => `${http.address ?? ''}/api/v1/payments/wallet/notify`,
    currency: config.store.currency,
    db: () => db.handle,
    log: log.child({ component: 'devices' }),
    context,
    store,
    // the store's public address is known once it listens, which is before any sale
    eReceiptUrl: (saleId, saleAt) =>
      eReceiptLink(storeSecret(db.handle, E_RECEIPT_SECRET), http.publicUrl, saleId, saleAt),
    scanOptions,
    isGuide: (id) => staffAuth.isGuide(id),
  });
  lifecycle.add(devices);

  // telemetry is written only while the sync part's backlog guard allows it
  let telemetryGate: () => boolean = () => true;
  const vision = new VisionPart({
    vision: config.vision,
    cameras: config.cameras,
    db: () => db.handle,
    log: log.child({ component: 'vision' }),
    timezone: config.store.timezone,
    now: clock,
    modelDir: config.db.path !== ':memory:' ? modelDirFor(config.db.path) : undefined,
    acceptsTelemetry: () => telemetryGate(),
  });
  lifecycle.add(vision);

  const u = config.updates;
  const updates =
    u.dir && config.db.path !== ':memory:'
      ? new UpdaterPart({
          dir: u.dir,
          version: VERSION,
          schemaVersion: migrations.length,
          configFile: loaded.source.startsWith('/') ? loaded.source : null,
          db: () => db.handle,
          log: log.child({ component: 'updates' }),
          healthyAfterS: u.healthyAfterS,
          readyTimeoutS: u.readyTimeoutS,
          maxBundleBytes: u.maxBundleMB * 1024 * 1024,
          downloadTimeoutMs: u.downloadTimeoutS * 1000,
          idleCheckMs: u.idleCheckSeconds * 1000,
          timeZone: config.store.timezone,
          hqKey: config.security.hqSigningPublicKey ? hqPublicKey(config.security.hqSigningPublicKey) : null,
          restart: (reason) => hooks.restart?.(reason),
        })
      : null;

  const tls = config.tls.enabled
    ? new TlsPart({
        tls: config.tls,
        hostname: config.tls.hostname ?? storeHostname(config.store.id, config.tls.domain),
        dir: config.db.path !== ':memory:' ? join(dirname(config.db.path), 'tls') : null,
        askHq: config.mqtt.enabled,
        db: () => db.handle,
        log: log.child({ component: 'tls' }),
        now: clock,
      })
    : null;
  if (tls) lifecycle.add(tls);

  // always present: without a broker it still guards the outbox's backlog and the disk
  const sync = new SyncPart({
    mqtt: config.mqtt,
    now: clock,
    outbox: config.outbox,
    dataDir: dirname(config.db.path),
    storeId: config.store.id,
    version: VERSION,
    db: () => db.handle,
    log: log.child({ component: 'sync' }),
    health: () => ({
      parts: lifecycle.status().map((p) => [p.name, p.state]),
      devices: devices.status(),
      vision: vision.details(),
      openAlerts: openAlertCount(db.handle),
    }),
    models: vision,
    ...(tls ? { certificates: tls } : {}),
    ...(updates ? { software: updates } : {}),
    hqSigningPublicKey: config.security.hqSigningPublicKey,
    // HQ's request for a support bundle: the daemon's own view, recent logs included
    supportBundle: () =>
      buildSupportBundle({
        loaded,
        version: VERSION,
        migrations: migrationState(db.handle),
        live: { parts: lifecycle.status(), devices: devices.status() },
        logs: { source: 'the daemon’s last log lines', lines: hooks.logs?.() ?? [] },
      }),
    configReport: configReport(
      config,
      loaded.overlay,
      config.db.path !== ':memory:' ? overlayPath(config.db.path) : null,
    ),
    ...(config.db.path !== ':memory:'
      ? { config: { check: loaded.checkOverlay, path: overlayPath(config.db.path), active: loaded.overlay } }
      : {}),
  });
  lifecycle.add(sync);
  telemetryGate = () => sync.acceptsTelemetry();

  const hk = config.housekeeping;
  const housekeeping = new HousekeepingPart({
    db: () => db.handle,
    path: config.db.path,
    now: clock,
    log: log.child({ component: 'housekeeping' }),
    enabled: hk.enabled,
    intervalMs: hk.intervalMinutes * 60_000,
    batchRows: hk.batchRows,
    walMaxBytes: hk.walMaxMB * 1024 * 1024,
    vacuumPages: hk.vacuumPages,
    retention: retentionOf(config),
  });
  lifecycle.add(housekeeping);

  const guides = new GuidesPart({
    db: () => db.handle,
    now: clock,
    log: log.child({ component: 'guides' }),
    escalateAfterMs: config.guides.escalateAfterSeconds * 1000,
    refreshMs: config.guides.refreshMinutes * 60_000,
  });
  lifecycle.add(guides);

  const queues = new QueueWatch({
    db: () => db.handle,
    zones: config.cameras.flatMap((c) =>
      c.zones.flatMap((z) => (z.queue ? [{ cameraId: c.id, zoneId: z.id, ...z.queue }] : [])),
    ),
    occupancy: () => vision.zoneOccupancy(),
    now: clock,
    log: log.child({ component: 'queues' }),
  });
  lifecycle.add(queues);
  if (config.mqtt.enabled) hqOnline = () => sync.hqReachable();

  const kioskAuth = new KioskAuth(config.security.kioskTokens);
  const cartTokens = new CartTokens(() => db.handle);
  const memberSessions = new MemberSessions(() => db.handle);
  const parts = () => lifecycle.status();
  const http: HttpPart = new HttpPart({
    log: log.child({ component: 'http' }),
    host: config.http.host,
    port: config.http.port,
    ...(tls
      ? {
          tls: {
            // a test's free port for plain HTTP means a free one for HTTPS too
            port: config.http.port === 0 ? 0 : config.tls.port,
            plainHttp: config.tls.plainHttp,
            hstsMaxAgeSeconds: config.tls.hstsMaxAgeSeconds,
            source: tls,
          },
        }
      : {}),
    bodyLimitBytes: config.http.bodyLimitBytes,
    shopperRateLimitPerMinute: config.http.shopperRateLimitPerMinute,
    requestTimeoutMs: config.http.requestTimeoutMs,
    metrics: createMetrics(
      parts,
      () => devices.status(),
      () => sync.backlog(),
      () => housekeeping.figures(),
      () => {
        const f = tls?.facts();
        return f ? { notAfter: f.notAfter, trusted: tls!.trusted } : null;
      },
      () => {
        const model = vision.modelInService();
        return { clockOffsetMs: sync.clockOffset, ...(model ? { visionModel: model } : {}) };
      },
    ),
    parts,
    info: {
      storeId: config.store.id,
      version: VERSION,
      configSource: loaded.source,
      configSha256: loaded.sha256,
    },
    startedAt: Date.now(),
    business: () => ({
      db: db.handle,
      clock,
      store,
      loyalty: config.loyalty,
      exitAudit: config.exitAudit,
      kioskScreen: config.kioskScreen,
      guides: { alsoBought: guides.alsoBought },
      hqOnline: () => hqOnline(),
      ...(config.mqtt.enabled ? { couponGate: sync.couponGate, memberGate: sync.memberGate } : {}),
      scanOptions,
      staffAuth,
      kioskAuth,
      cartTokens,
      memberSessions,
      kiosks: devices,
      vision,
      queues,
      publicUrl: (): string | null => http.publicUrl,
      wallet: devices.wallet,
      walletDemo: devices.walletDemo(),
      providerRefunds: devices.refunds,
    }),
    ...(config.devices.some((d) => d.simulate) ? { demo: devices } : {}),
  });
  lifecycle.add(http);
  // last: its start means every other part is ready, which a version on trial must show
  if (updates) lifecycle.add(updates);
  return { lifecycle, db, devices, vision, sync, http, tls, housekeeping, updates };
}
