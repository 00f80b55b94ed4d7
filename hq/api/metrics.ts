// HQ's Prometheus metrics at /metrics: what this process's ingest workers did, and what
// the database says of the chain (quarantine by reason, stores behind, stores online),
// read at scrape time. No per-store labels: a chain has thousands of stores.
import type pg from 'pg';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { IngestWorker } from '../ingest/worker.js';

const OUTCOMES = [
  'received',
  'fresh',
  'duplicates',
  'conflicts',
  'quarantined',
  'dropped',
  'dbErrors',
] as const;

export function hqMetrics(pool: pg.Pool, workers: () => readonly IngestWorker[]): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hq_' });
  new Gauge({
    name: 'hq_ingest_messages',
    help: "messages this process's ingest workers handled since start, by outcome",
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      for (const o of OUTCOMES)
        this.set(
          { outcome: o },
          workers().reduce((a, w) => a + w.stats[o], 0),
        );
    },
  });
  new Gauge({
    name: 'hq_resend_requests',
    help: "resends this process's workers asked stores for since start",
    registers: [registry],
    collect() {
      this.set(workers().reduce((a, w) => a + w.stats.resendRequests, 0));
    },
  });
  new Gauge({
    name: 'hq_quarantine_entries',
    help: 'messages in quarantine, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await pool.query('SELECT reason, count(*)::int AS n FROM quarantine GROUP BY reason'))
        .rows)
        this.set({ reason: r.reason }, r.n);
    },
  });
  new Gauge({
    name: 'hq_stores',
    help: 'stores HQ knows, by state: online, behind (a gap or a tail not yet received)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const r = (
        await pool.query(
          `SELECT (SELECT count(*) FROM store_state WHERE online)::int AS online,
                  (SELECT count(*) FROM store_watermarks
                    WHERE max_seq > contiguous_seq OR sent_through > contiguous_seq)::int AS behind,
                  (SELECT count(*) FROM store_watermarks)::int AS known`,
        )
      ).rows[0];
      this.set({ state: 'known' }, r.known);
      this.set({ state: 'online' }, r.online);
      this.set({ state: 'behind' }, r.behind);
    },
  });
  new Gauge({
    name: 'hq_store_gap_oldest_seconds',
    help: "how long the oldest open gap in any store's events has been open (0 with none): a stuck watermark",
    registers: [registry],
    async collect() {
      const r = await pool.query(
        `SELECT coalesce(extract(epoch FROM now() - min(gap_since)), 0)::float8 AS s
           FROM store_watermarks WHERE gap_since IS NOT NULL`,
      );
      this.set(Math.max(0, Number(r.rows[0].s)));
    },
  });
  return registry;
}
