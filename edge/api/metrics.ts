// Prometheus metrics. A registry per app (not prom-client's global) so tests and
// several apps in one process do not collide.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PartState, PartStatus } from '../lifecycle.js';

const STATES: PartState[] = ['pending', 'starting', 'ready', 'failed', 'stopping', 'stopped'];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

export function createMetrics(parts: () => PartStatus[]): Metrics {
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
  return { registry, httpRequests, httpDuration };
}
