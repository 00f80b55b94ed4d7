// What the disk alone asks of a sale: the WAL pages each of a real sale's commits writes
// (measured on one sale of the bench store), then the same commits of the same number of
// pages with no checkout work, the light ones at synchronous=NORMAL and the last FULL, as
// the checkout's own commits are (edge/db/durability.ts). Sales/s can get no nearer to
// the raw one-row transaction than this floor does.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseScan } from '../edge/catalog/barcode.js';
import { addScan, createCart } from '../edge/checkout/carts.js';
import { payCash, startPayment } from '../edge/checkout/tenders.js';
import { openDb } from '../edge/db/open.js';
import { BENCH_SCAN_OPTIONS, benchSaleContext, benchStore } from './store.js';

const FRAME = 24 + 4096;

/** WAL pages written by each commit of one whole sale: new cart, 5 scans, locking, cash. */
export function salePages(dir: string): number[] {
  const { db, now, codes } = benchStore(dir);
  try {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const wal = `${db.name}-wal`;
    const size = () => statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
    const pages: number[] = [];
    const step = <T>(f: () => T): T => {
      const before = size();
      const r = f();
      pages.push(Math.round((size() - before) / FRAME));
      return r;
    };
    const ctx = benchSaleContext(now);
    const cart = step(() => createCart(db, { channel: 'kiosk', now }));
    for (let k = 0; k < 5; k++)
      step(() => addScan(db, cart.id, { scan: parseScan(codes[k]!, BENCH_SCAN_OPTIONS), now }));
    const q = step(() => startPayment(db, cart.id, ctx));
    step(() => payCash(db, cart.id, q.dueFen, ctx));
    return pages;
  } finally {
    db.close();
  }
}

/** Sales/s of commits shaped like `pages` and nothing else. Each page is a row of its own
 * that already exists and is rewritten in place, so the file never grows: the cheapest
 * way to write that many pages, which keeps the floor a floor. */
export function floorPerSecond(dir: string, pages: number[], sales: number): number {
  const db = openDb(join(dir, 'floor.db'));
  try {
    db.exec('CREATE TABLE f (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, body BLOB NOT NULL) STRICT');
    const rows = Math.max(...pages, 1);
    // a row that fills a page of its own, so rewriting n rows writes n pages
    const body = Buffer.alloc(3900, 7);
    const fill = db.prepare('INSERT INTO f (id, n, body) VALUES (?, 0, ?)');
    for (let id = 1; id <= rows; id++) fill.run(id, body);
    const touch = db.prepare('UPDATE f SET n = n + 1 WHERE id = ?');
    const commit = db.transaction((n: number) => {
      for (let id = 1; id <= n; id++) touch.run(id);
    });
    const light = pages.slice(0, -1);
    const last = pages.at(-1) ?? 1;
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < sales; s++) {
      db.pragma('synchronous = NORMAL');
      for (const n of light) commit(n);
      db.pragma('synchronous = FULL');
      commit(last);
    }
    return sales / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    db.close();
  }
}
