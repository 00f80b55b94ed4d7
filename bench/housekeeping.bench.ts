// How long housekeeping holds the write lock: the store's database with 60,000 sales'
// worth of idempotency answers and acknowledged outbox events past their windows, pruned
// in batches of 500 (the default) and 2,000; each batch's time is the longest a scan can
// wait behind it. Baseline in the same run, same disk: one whole sale's commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { parseScan } from '../edge/catalog/barcode.js';
import { addScan, createCart } from '../edge/checkout/carts.js';
import { payCash, startPayment } from '../edge/checkout/tenders.js';
import type { Db } from '../edge/db/open.js';
import { markSent } from '../edge/db/outbox-acks.js';
import { retentionOf, tasks } from '../edge/housekeeping/tasks.js';
import { benchStore } from './store.js';

const ROWS = 60_000;
const DAY = 86_400_000;
// the defaults a store's config has
const RETENTION = retentionOf(loadConfig().config);

function fill(db: Db, now: number): void {
  const answer = db.prepare(
    'INSERT INTO idempotency (scope, key, request_hash, status, response, created_at, rebuild) VALUES (?, ?, ?, 201, ?, ?, ?)',
  );
  const event = db.prepare(
    "INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, 'sale.completed', 'money', ?, ?)",
  );
  const payload = JSON.stringify({
    saleId: 'x',
    lines: Array.from({ length: 4 }, (_, i) => ({ i, name: '青泉 天然矿泉水 550ml' })),
  });
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const old = now - 40 * DAY + i;
      answer.run(
        'POST /api/v1/carts/:cartId/scans',
        `bench-key-${i}`,
        'f'.repeat(32),
        '{"lineId":"5d1e2f6a-8a3b-4c1d-9e2f-0a1b2c3d4e5f"}',
        old,
        '["nested","0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"]',
      );
      const seq = Number(event.run(`event-${i}`, payload, old).lastInsertRowid);
      markSent(db, seq, seq, old + 1000);
    }
  })();
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

export function run(): void {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-bench-hk-'));
  try {
    const { db, now, codes } = benchStore(dir);
    // baseline: whole sales, each commit what a scan would otherwise wait behind
    const opts = { variableMeasure: [], currencyNumeric: '156' };
    const ctx = {
      now,
      timezone: 'Asia/Shanghai',
      storeId: 'bench',
      loyalty: { pointsPerYuan: 1, fenPerPoint: 1 },
    };
    const sale: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const cart = createCart(db, { channel: 'kiosk', now });
      for (let k = 0; k < 4; k++)
        addScan(db, cart.id, { scan: parseScan(codes[(i * 4 + k) % codes.length]!, opts), now });
      const q = startPayment(db, cart.id, ctx);
      payCash(db, cart.id, q.dueFen, ctx);
      sale.push(performance.now() - t0);
    }
    const saleMs = pct(sale, 50);
    for (const batch of [500, 2000]) {
      fill(db, now);
      const times: number[] = [];
      for (const task of tasks(RETENTION).filter(
        (t) => t.name === 'idempotency' || t.name === 'outbox_money',
      )) {
        for (;;) {
          const t0 = performance.now();
          const n = task.batch(db, now, batch);
          times.push(performance.now() - t0);
          if (n < batch) break;
        }
      }
      const vac: number[] = [];
      for (;;) {
        const free = db.pragma('freelist_count', { simple: true }) as number;
        if (!free) break;
        const t0 = performance.now();
        db.pragma(`incremental_vacuum(${Math.min(free, 2000)})`);
        vac.push(performance.now() - t0);
      }
      console.log(
        `batch ${batch} rows: ${times.length} batches for ${2 * ROWS} rows, p50 ${pct(times, 50).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms; incremental_vacuum(2000) max ${Math.max(...vac).toFixed(2)} ms (${vac.length} steps)`,
      );
      console.log(
        `  baseline: one whole 4-item sale ${saleMs.toFixed(2)} ms (p50 of 100): longest batch = ${(Math.max(...times) / saleMs).toFixed(1)} sales`,
      );
    }
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
