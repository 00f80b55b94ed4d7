// Whole sales committed per second through the checkout domain (cart, 5 scans,
// promotions, payment, sale + lines + outbox in one durable transaction), against raw
// SQLite single-row insert transactions with the same fsync setting, same run, same disk.
// The cart's steps commit light and the payment's commit is the one fsync
// (edge/db/durability.ts): the fsyncs per sale are counted under strace, as the
// durability test does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScan } from '../edge/catalog/barcode.js';
import { addScan, createCart } from '../edge/checkout/carts.js';
import { payCash, startPayment } from '../edge/checkout/tenders.js';
import { openDb } from '../edge/db/open.js';
import { benchStore } from './store.js';

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
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < RAW; i++) tx(body);
    const rawPerS = RAW / (Number(process.hrtime.bigint() - t0) / 1e9);
    raw.close();

    const { db, now, codes } = benchStore(dir);
    const ctx = {
      now,
      timezone: 'Asia/Shanghai',
      storeId: 'bench',
      loyalty: { pointsPerYuan: 1, fenPerPoint: 1 },
    };
    const opts = { variableMeasure: [], currencyNumeric: '156' };
    t0 = process.hrtime.bigint();
    for (let i = 0; i < SALES; i++) {
      const cart = createCart(db, { channel: 'kiosk', now });
      for (let k = 0; k < 5; k++)
        addScan(db, cart.id, { scan: parseScan(codes[(i * 5 + k) % codes.length]!, opts), now });
      const q = startPayment(db, cart.id, ctx);
      payCash(db, cart.id, q.dueFen, ctx);
    }
    const salesPerS = SALES / (Number(process.hrtime.bigint() - t0) / 1e9);
    db.close();
    const fsyncs = fsyncsPerSale(dir);
    console.log(`raw insert+fsync transactions/s (baseline): ${rawPerS.toFixed(0)}`);
    console.log(
      `whole sales/s (cart + 5 scans + payment + sale: 8 transactions, 7 light): ${salesPerS.toFixed(0)}`,
    );
    console.log(`fsyncs per sale (strace, ${TRACED} sales): ${fsyncs.toFixed(2)}`);
    console.log(`ratio sales/raw transactions: ${(salesPerS / rawPerS).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** fsync and fdatasync calls per sale of test/helpers/sales-child.ts, setup left out. */
function fsyncsPerSale(dir: string): number {
  const trace = join(dir, 'trace');
  execFileSync(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=write,fsync,fdatasync',
      '-o',
      trace,
      process.execPath,
      '--import',
      'tsx',
    ].concat(['test/helpers/sales-child.ts', join(dir, 'traced'), String(TRACED)]),
    { stdio: 'ignore' },
  );
  const lines = readFileSync(trace, 'utf8').split('\n');
  const from = lines.findIndex((l) => l.includes('write(1, "ready'));
  return lines.slice(from).filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length / TRACED;
}
