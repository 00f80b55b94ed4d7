// Prometheus metrics. A registry per app (not prom-client's global) so tests and
// several apps in one process do not collide.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceState, DeviceStatus } from '../../device-drivers/core/device.js';
import type { PartState, PartStatus } from '../../sync/kernel/lifecycle.js';

const STATES: PartState[] = ['pending', 'starting', 'ready', 'failed', 'stopping', 'stopped'];
const DEVICE_STATES: DeviceState[] = ['connecting', 'ready', 'disconnected', 'failed', 'closed'];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

export interface BacklogView {
  state: string;
  unsentEvents: number;
  unsentBytes: number;
  oldestUnsentAt?: number | null;
  freeBytes: number;
}

/** What the alert rules watch beyond devices and the backlog (config/monitoring/). */
export interface HealthView {
  /** the store's clock minus HQ's, measured at each connect; null before the first */
  clockOffsetMs: number | null;
  /** the people-counting model in service (id null: none could be loaded); absent when the store counts no people */
  visionModel?: { id: string | null };
}

/** What housekeeping knows of the database (see edge/housekeeping/part.ts). */
export interface StorageView {
  dbBytes: number;
  walBytes: number;
  freePages: number;
  rows: Record<string, number>;
  lastRun: { at: number; ms: number; longestBatchMs: number; removed: Record<string, number> } | null;
  removedTotal: Record<string, number>;
}

export function createMetrics(
  parts: () => PartStatus[],
  devices: () => DeviceStatus[] = () => [],
  backlog: () => BacklogView | null = () => null,
  storage: () => StorageView | null = () => null,
  certificate: () => { notAfter: number; trusted: boolean } | null = () => null,
  health: () => HealthView = () => ({ clockOffsetMs: null }),
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'storeedge_' });
  const httpRequests = new Counter({
    name: 'storeedge_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'storeedge_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'storeedge_part_state',
    help: 'State of each daemon part (1 for the current state)',
    labelNames: ['part', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of parts())
        for (const s of STATES) this.set({ part: p.name, state: s }, p.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'storeedge_device_state',
    help: 'State of each device (1 for the current state)',
    labelNames: ['device', 'kind', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const d of devices())
        for (const s of DEVICE_STATES)
          this.set({ device: d.id, kind: d.kind, state: s }, d.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'storeedge_device_reconnects',
    help: 'Reconnect attempts per device since start',
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const d of devices()) this.set({ device: d.id }, d.reconnects);
    },
  });
  new Gauge({
    name: 'storeedge_tls_certificate_expiry_timestamp_seconds',
    help: 'When the served HTTPS certificate expires (Unix seconds)',
    registers: [registry],
    collect() {
      const c = certificate();
      if (c) this.set(Math.floor(c.notAfter / 1000));
    },
  });
  new Gauge({
    name: 'storeedge_tls_certificate_trusted',
    help: '1 while the served certificate is the publicly trusted one from HQ, 0 while self-signed',
    registers: [registry],
    collect() {
      const c = certificate();
      if (c) this.set(c.trusted ? 1 : 0);
    },
  });
  const backlogGauge = (name: string, help: string, read: (b: BacklogView) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const b = backlog();
        if (b) this.set(Number.isFinite(read(b)) ? read(b) : -1);
      },
    });
  backlogGauge('storeedge_outbox_unsent_events', 'Events waiting for HQ', (b) => b.unsentEvents);
  backlogGauge('storeedge_outbox_unsent_bytes', 'Bytes of events waiting for HQ', (b) => b.unsentBytes);
  backlogGauge('storeedge_disk_free_bytes', 'Free bytes on the data disk', (b) => b.freeBytes);
  backlogGauge(
    'storeedge_outbox_oldest_unsent_age_seconds',
    'Age of the oldest event waiting for HQ (0 with none waiting)',
    (b) => (b.oldestUnsentAt ? Math.max(0, (Date.now() - b.oldestUnsentAt) / 1000) : 0),
  );
  // labelled, so that an unknown figure is no series at all (an unlabelled gauge reads 0)
  new Gauge({
    name: 'storeedge_clock_offset_seconds',
    help: "The store's clock minus HQ's, measured at each connect to HQ (no series before the first)",
    labelNames: ['reference'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const o = health().clockOffsetMs;
      if (o !== null) this.set({ reference: 'hq' }, o / 1000);
    },
  });
  new Gauge({
    name: 'storeedge_vision_model_ready',
    help: '1 while a people-counting model runs, 0 (model "none") when none could be loaded; no series without people counting',
    labelNames: ['model'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const m = health().visionModel;
      if (m) this.set({ model: m.id ?? 'none' }, m.id ? 1 : 0);
    },
  });
  new Gauge({
    name: 'storeedge_backlog_state',
    help: 'Backlog state (1 for the current one): ok, pressure, disk_low, disk_full (an alarm)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const b = backlog();
      if (!b) return;
      for (const s of ['ok', 'pressure', 'disk_low', 'disk_full'])
        this.set({ state: s }, b.state === s ? 1 : 0);
    },
  });
  storageMetrics(registry, storage);
  return { registry, httpRequests, httpDuration };
}

function storageMetrics(registry: Registry, storage: () => StorageView | null): void {
  // read once per scrape, not once per gauge (each read stats two files and asks
  // SQLite three pragmas): a scrape collects its gauges within a second. A closed
  // database (stopping) leaves the gauges out.
  let cached: { at: number; view: StorageView | null } | null = null;
  const read = () => {
    const now = Date.now();
    if (cached && now - cached.at < 1000) return cached.view;
    let view: StorageView | null;
    try {
      view = storage();
    } catch {
      view = null;
    }
    cached = { at: now, view };
    return view;
  };
  const gauge = (name: string, help: string, value: (s: StorageView) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = read();
        const v = s ? value(s) : undefined;
        if (v !== undefined) this.set(v);
      },
    });
  gauge('storeedge_db_bytes', 'Size of the database file', (s) => s.dbBytes);
  gauge('storeedge_db_wal_bytes', 'Size of the -wal file', (s) => s.walBytes);
  gauge('storeedge_db_free_pages', 'Free pages not yet given back by incremental_vacuum', (s) => s.freePages);
  gauge(
    'storeedge_housekeeping_last_run_timestamp_seconds',
    'When housekeeping last ran (store clock)',
    (s) => (s.lastRun ? s.lastRun.at / 1000 : undefined),
  );
  gauge('storeedge_housekeeping_last_run_seconds', 'How long the last housekeeping run took', (s) =>
    s.lastRun ? s.lastRun.ms / 1000 : undefined,
  );
  gauge(
    'storeedge_housekeeping_longest_batch_seconds',
    'The longest one pruning batch held the write lock in the last run',
    (s) => (s.lastRun ? s.lastRun.longestBatchMs / 1000 : undefined),
  );
  const labelled = (
    name: string,
    help: string,
    label: string,
    values: (s: StorageView) => Record<string, number>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        const s = read();
        if (s) for (const [k, v] of Object.entries(values(s))) this.set({ [label]: k }, v);
      },
    });
  labelled(
    'storeedge_db_rows',
    'Rows per table, counted at the last housekeeping run',
    'table',
    (s) => s.rows,
  );
  labelled(
    'storeedge_housekeeping_last_removed',
    'Rows the last housekeeping run removed',
    'task',
    (s) => s.lastRun?.removed ?? {},
  );
  labelled(
    'storeedge_housekeeping_removed_total',
    'Rows housekeeping removed since start',
    'task',
    (s) => s.removedTotal,
  );
}
