// What one kiosk scan costs in process, without HTTP: the light commit that adds the line,
// the quote of the whole cart that the scan's answer carries, and that answer's JSON, on
// baskets of 20 scans as the HTTP bench's carts are. Said beside the HTTP figures so the
// distance from a bare route can be read against what a scan must do.
import { parseScan } from '../edge/catalog/barcode.js';
import { addScan, createCart } from '../edge/checkout/carts.js';
import { quoteCart } from '../edge/checkout/quote.js';
import { BENCH_SCAN_OPTIONS, benchSaleContext, benchStore } from './store.js';

export interface ScanParts {
  commitUs: number;
  quoteUs: number;
  jsonUs: number;
  answerBytes: number;
}

export function scanParts(dir: string, carts = 300, perCart = 20): ScanParts {
  const { db, now, codes } = benchStore(dir);
  const ctx = benchSaleContext(now);
  let commit = 0;
  let quote = 0;
  let json = 0;
  let bytes = 0;
  let n = 0;
  try {
    for (let c = 0; c < carts; c++) {
      const cart = createCart(db, { channel: 'kiosk', now });
      for (let k = 0; k < perCart; k++) {
        const t0 = performance.now();
        const line = addScan(db, cart.id, {
          scan: parseScan(codes[(c * 7 + k) % codes.length]!, BENCH_SCAN_OPTIONS),
          now,
        });
        const t1 = performance.now();
        const q = quoteCart(db, cart.id, ctx);
        const t2 = performance.now();
        const text = JSON.stringify({ lineId: line.id, quote: q });
        const t3 = performance.now();
        // the first carts warm the JIT and the caches: not counted
        if (c < carts / 10) continue;
        commit += t1 - t0;
        quote += t2 - t1;
        json += t3 - t2;
        bytes += Buffer.byteLength(text);
        n++;
      }
    }
  } finally {
    db.close();
  }
  const us = (ms: number) => Math.round((ms / n) * 1000);
  return { commitUs: us(commit), quoteUs: us(quote), jsonUs: us(json), answerBytes: Math.round(bytes / n) };
}
