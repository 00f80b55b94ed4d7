// Prometheus metrics. A registry per app (not prom-client's global) so tests and
// several apps in one process do not collide.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceState, DeviceStatus } from '../../device-drivers/core/device.js';
import type { PartState, PartStatus } from '../lifecycle.js';

const STATES: PartState[] = ['pending', 'starting', 'ready', 'failed', 'stopping', 'stopped'];
const DEVICE_STATES: DeviceState[] = ['connecting', 'ready', 'disconnected', 'failed', 'closed'];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

export function createMetrics(parts: () => PartStatus[], devices: () => DeviceStatus[] = () => []): Metrics {
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
  return { registry, httpRequests, httpDuration };
}
