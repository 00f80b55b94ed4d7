// Whole kiosk sales in a process of its own, for counting what they ask of the disk
// (test/helpers/traced-sales.ts runs it, plain or under strace): the demo
// store's database in argv[2], argv[3] sales of a new cart, 5 scans, locking for payment
// and cash. Writes "ready" once the store is set up and "sale N" after each sale returns,
// each its own write(2) to stdout, so a trace shows where each sale ends.
import { writeSync } from 'node:fs';
import { BENCH_SCAN_OPTIONS, benchSaleContext, benchStore } from '../../bench/store.js';
import { parseScan } from '../../edge/catalog/barcode.js';
import { addScan, createCart } from '../../edge/checkout/carts.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';

const dir = process.argv[2]!;
const sales = Number(process.argv[3] ?? 10);
const { db, now, codes } = benchStore(dir);
const ctx = benchSaleContext(now);
writeSync(1, 'ready\n');
const t0 = performance.now();
for (let i = 0; i < sales; i++) {
  const cart = createCart(db, { channel: 'kiosk', now });
  for (let k = 0; k < 5; k++)
    addScan(db, cart.id, { scan: parseScan(codes[(i * 5 + k) % codes.length]!, BENCH_SCAN_OPTIONS), now });
  const q = startPayment(db, cart.id, ctx);
  payCash(db, cart.id, q.dueFen, ctx);
  writeSync(1, `sale ${i}\n`);
}
writeSync(1, `done ${((sales / (performance.now() - t0)) * 1000).toFixed(1)} sales/s\n`);
db.close();
