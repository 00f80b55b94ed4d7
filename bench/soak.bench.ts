// Months on one box, in miniature: the demo store daemon (its camera looping the sample
// clip, its simulated kiosk devices) under 8 kiosk workers selling 4-item carts over
// HTTP for SOAK_MINUTES (default 30). Every 30 s it prints the daemon's RSS and heap, the
// database and WAL sizes and the sales so far; at the end the RSS slope over the last
// half, the database bytes per 1,000 sales, and, as the baseline measured in the same
// run, the bytes the write answers would have taken had they been stored whole (as
// before compact idempotency answers). Only with a filter: npm run bench -- soak
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIOSK_TOKEN, kioskCodes, rssMB, startDaemon, stopDaemon } from './daemon.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const WORKERS = 8;
const SAMPLE_MS = 30_000;

interface Sample {
  min: number;
  rssMB: number;
  heapMB: number;
  dbMB: number;
  walMB: number;
  sales: number;
}

const fileMB = (p: string) => {
  try {
    return statSync(p).size / 1048576;
  } catch {
    return 0;
  }
};

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-soak-'));
  const dbPath = join(dir, 'store.db');
  const { proc, address } = await startDaemon(dbPath);
  const pid = proc.pid!;
  let sales = 0;
  let errors = 0;
  let answerBytes = 0;
  let keyN = 0;
  const deadline = Date.now() + MINUTES * 60_000;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${address}/api/v1${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KIOSK_TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': `soak-${process.pid}-${++keyN}`,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    answerBytes += Buffer.byteLength(text);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text);
  };
  const pick = kioskCodes();

  const worker = async (w: number) => {
    let i = 0;
    while (Date.now() < deadline) {
      try {
        const cart = await post('/carts', { channel: 'kiosk' });
        for (let k = 0; k < 4; k++)
          await post(`/carts/${cart.cartId}/scans`, { code: pick[(w * 7 + i * 4 + k) % pick.length] });
        const q = await post(`/carts/${cart.cartId}/checkout`, {});
        await post(`/carts/${cart.cartId}/tenders`, { kind: 'cash', tenderedFen: q.dueFen });
        sales++;
      } catch (err) {
        if (++errors <= 3) console.log(`  error: ${(err as Error).message}`);
      }
      i++;
    }
  };

  const samples: Sample[] = [];
  const t0 = Date.now();
  const heapMB = async () => {
    const text = await fetch(`${address}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const m = /^storeedge_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text);
    return m ? Number(m[1]) / 1048576 : 0;
  };
  const sample = async () => {
    const s: Sample = {
      min: (Date.now() - t0) / 60_000,
      rssMB: rssMB(pid),
      heapMB: await heapMB(),
      dbMB: fileMB(dbPath),
      walMB: fileMB(`${dbPath}-wal`),
      sales,
    };
    samples.push(s);
    console.log(
      `  ${s.min.toFixed(1).padStart(5)} min  rss ${s.rssMB.toFixed(0)} MB  heap ${s.heapMB.toFixed(0)} MB  db ${s.dbMB.toFixed(1)} MB  wal ${s.walMB.toFixed(1)} MB  sales ${s.sales}`,
    );
  };
  console.log(`soak: ${MINUTES} min, ${WORKERS} kiosk workers, demo store with its camera`);
  await sample();
  const ticker = setInterval(() => void sample(), SAMPLE_MS);
  const answersAtStart = answerBytes;
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  clearInterval(ticker);
  await sample();
  await stopDaemon(proc);

  const half = samples.filter((s) => s.min >= MINUTES / 2);
  const rssSlope = slope(
    half.map((s) => s.min),
    half.map((s) => s.rssMB),
  );
  const mid = half[0]!;
  const end = samples[samples.length - 1]!;
  const dbPer1000 = ((end.dbMB + end.walMB) / Math.max(1, end.sales)) * 1000;
  const wholePer1000 = ((answerBytes - answersAtStart) / 1048576 / Math.max(1, end.sales)) * 1000;
  console.log(`sales: ${end.sales} (${(end.sales / (MINUTES * 60)).toFixed(1)}/s), errors: ${errors}`);
  console.log(
    `rss: ${samples[0]!.rssMB.toFixed(0)} → ${mid.rssMB.toFixed(0)} (half) → ${end.rssMB.toFixed(0)} MB; last half ${(
      (end.rssMB / mid.rssMB - 1) * 100
    ).toFixed(1)}%, slope ${rssSlope.toFixed(2)} MB/min`,
  );
  console.log(`heap used: ${mid.heapMB.toFixed(0)} (half) → ${end.heapMB.toFixed(0)} MB`);
  console.log(
    `database: ${dbPer1000.toFixed(2)} MB per 1,000 sales; whole answers alone (baseline, the old idempotency records) would add ${wholePer1000.toFixed(2)} MB per 1,000 sales: ratio ${(dbPer1000 / (dbPer1000 + wholePer1000)).toFixed(2)}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
