// Whole sales committed per second through the checkout domain (cart, 5 scans,
// promotions, payment, sale + lines + outbox in one durable transaction; in a process of
// their own, test/helpers/sales-child.ts), against raw
// SQLite single-row insert transactions with the same fsync setting, same run, same disk.
// The cart's steps commit light and the payment's commit is the one fsync
// (edge/db/durability.ts): the fsyncs per sale are counted under strace, as the
// durability test does. A second baseline is the disk's floor for a sale: the same
// commits writing the same number of pages with no checkout work (bench/sale-floor.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../edge/db/open.js';
import { salesPerSecond, traceSales } from '../test/helpers/traced-sales.js';
import { floorPerSecond, salePages } from './sale-floor.js';

const SALES = 300;
const RAW = 2000;
const TRACED = 100;

export function run(): void {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-bench-'));
  try {
    const raw = openDb(join(dir, 'raw.db'));
    raw.exec('CREATE TABLE ev (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT');
    const ins = raw.prepare('INSERT INTO ev (body) VALUES (?)');
    const tx = raw.transaction((b: string) => ins.run(b));
    const body = JSON.stringify({ type: 'sale', lines: 5, totalFen: 12345 });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < RAW; i++) tx(body);
    const rawPerS = RAW / (Number(process.hrtime.bigint() - t0) / 1e9);
    raw.close();

    const pages = salePages(join(dir, 'pages'));
    const floorPerS = floorPerSecond(dir, pages, SALES);
    const salesPerS = salesPerSecond(join(dir, 'sales'), SALES);
    const trace = traceSales(join(dir, 'traced'), TRACED, 'write,fsync,fdatasync');
    const from = trace.findIndex((l) => l.includes('write(1, "ready'));
    const fsyncs = trace.slice(from).filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length / TRACED;
    console.log(`raw insert+fsync transactions/s (baseline): ${rawPerS.toFixed(0)}`);
    console.log(
      `whole sales/s (cart + 5 scans + payment + sale: 8 transactions, 7 light): ${salesPerS.toFixed(0)}`,
    );
    console.log(`fsyncs per sale (strace, ${TRACED} sales, checkpoints included): ${fsyncs.toFixed(2)}`);
    console.log(
      `WAL pages written by a sale's commits (cart, 5 scans, locking, payment): ${pages.join(' + ')} = ${pages.reduce((a, b) => a + b, 0)}`,
    );
    console.log(
      `the same commits and pages with no checkout work (the disk's floor): ${floorPerS.toFixed(0)}/s`,
    );
    console.log(`ratio sales/raw transactions: ${(salesPerS / rawPerS).toFixed(3)}`);
    console.log(
      `ratio floor/raw transactions: ${(floorPerS / rawPerS).toFixed(3)}; sales/floor: ${(salesPerS / floorPerS).toFixed(3)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
