// Scan-to-cart latency at a kiosk: from the scanner's bytes on the serial line (a socat
// pty, the simulator writing, the serial driver reading) to the line in the cart, against
// adding the same scan straight to the cart (the database's share) in the same run.
// A shopper notices a scan that takes over ~100 ms; this is what the device path adds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openPtyPair } from '../device-drivers/core/pty-pair.js';
import { SerialScanner } from '../device-drivers/scanner/serial-scanner.js';
import { ScannerSimulator } from '../device-drivers/scanner/simulator.js';
import { parseScan } from '../edge/catalog/barcode.js';
import { addScan, createCart } from '../edge/checkout/carts.js';
import { KioskStation } from '../edge/kiosk/station.js';
import { ProviderPayments } from '../edge/payments/provider-payments.js';
import { benchStore } from './store.js';

const SCANS = 200;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-bench-'));
  const { db, now, codes } = benchStore(dir);
  const opts = { variableMeasure: [], currencyNumeric: '156' };
  const ctx = () => ({
    now: Date.now(),
    timezone: 'Asia/Shanghai',
    storeId: 'bench',
    loyalty: { pointsPerYuan: 1, fenPerPoint: 1 },
  });

  // baseline: the same scans added directly
  const direct: number[] = [];
  const cart = createCart(db, { channel: 'kiosk', now });
  for (let i = 0; i < SCANS; i++) {
    const t0 = process.hrtime.bigint();
    addScan(db, cart.id, { scan: parseScan(codes[i % codes.length]!, opts), now });
    direct.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  const pair = await openPtyPair();
  const scanner = new SerialScanner({ id: 'bench-scanner', path: pair.a, debounceMs: 0 });
  const sim = new ScannerSimulator(pair.b);
  await scanner.open();
  await sim.open();
  const log = pino({ level: 'silent' });
  const station = new KioskStation({
    kioskId: 'bench-kiosk',
    db,
    log,
    store: { id: 'bench', name: 'Bench' },
    scanOptions: opts,
    context: ctx,
    payments: new ProviderPayments({ db, currency: 'CNY', context: ctx, log }),
    scanner,
  });
  station.start();
  const viaDevice: number[] = [];
  for (let i = 0; i < SCANS; i++) {
    const seen = station.eventsSince(0).at(-1)?.seq ?? 0;
    const t0 = process.hrtime.bigint();
    await sim.scan(codes[(i * 7) % codes.length]!, { aim: ']E0' });
    while (!station.eventsSince(seen).some((e) => e.type === 'line-added'))
      await new Promise((r) => setImmediate(r));
    viaDevice.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  station.stop();
  await sim.close();
  await scanner.close();
  await pair.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const p50d = pct(direct, 0.5);
  const p50s = pct(viaDevice, 0.5);
  console.log(`direct addScan (baseline): p50 ${p50d.toFixed(2)} ms, p95 ${pct(direct, 0.95).toFixed(2)} ms`);
  console.log(
    `serial scanner → pty → driver → kiosk cart: p50 ${p50s.toFixed(2)} ms, p95 ${pct(viaDevice, 0.95).toFixed(2)} ms`,
  );
  console.log(`ratio device path / direct (p50): ${(p50s / p50d).toFixed(1)}x`);
}
