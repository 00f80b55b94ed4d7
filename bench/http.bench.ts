// Kiosk scans over HTTP against the demo store's daemon (no camera: this is the HTTP and
// checkout path alone), with the load client in a process of its own (bench/load/):
//   open loop: 50 kiosk carts, each scanning every 500 ms: latency p50 / p99;
//   closed loop: 50 carts back to back: scans/s,
// each against a bare fastify route (bench/load/bare-fastify.ts) loaded the same way in
// the same run. A cart is a basket of 20 scans, then a new cart. Beside them, what a scan
// costs in process without HTTP (bench/scan-parts.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIOSK_TOKEN, kioskCodes, startDaemon, stopDaemon } from './daemon.js';
import type { LoadPlan, LoadResult } from './load/http-load.js';
import { scanParts } from './scan-parts.js';

const CARTS = 50;
const OPEN_SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 15);
const CLOSED_SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 10);

function load(plan: LoadPlan): Promise<LoadResult> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/load/http-load.ts', JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`load client exited ${code}: ${out}`));
      else resolve(JSON.parse(last) as LoadResult);
    });
  });
}

function startBare(): Promise<{ proc: ChildProcess; address: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/load/bare-fastify.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (m) resolve({ proc, address: m[1]! });
    });
    proc.once('exit', (code) => reject(new Error(`bare server exited ${code}: ${out}`)));
  });
}

const show = (r: LoadResult) =>
  `${r.scans} scans, ${r.perSecond}/s, p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms, max ${r.max} ms, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`;

export async function run(): Promise<void> {
  const codes = kioskCodes();
  const base = {
    carts: CARTS,
    intervalMs: 500,
    warmupSeconds: 3,
    scansPerCart: 20,
    token: KIOSK_TOKEN,
    codes,
  };
  const open = { ...base, mode: 'open' as const, seconds: OPEN_SECONDS };
  const closed = { ...base, mode: 'closed' as const, seconds: CLOSED_SECONDS };

  const bare = await startBare();
  const bareOpen = await load({ ...open, target: 'bare', base: bare.address });
  const bareClosed = await load({ ...closed, target: 'bare', base: bare.address });
  bare.proc.kill('SIGTERM');

  const dir = mkdtempSync(join(tmpdir(), 'storeedge-http-'));
  const daemon = await startDaemon(join(dir, 'store.db'), { STOREEDGE_CAMERAS: '[]' });
  try {
    const storeOpen = await load({ ...open, target: 'store', base: daemon.address });
    const storeClosed = await load({ ...closed, target: 'store', base: daemon.address });
    console.log(`open loop, ${CARTS} carts each scanning every 500 ms, ${OPEN_SECONDS} s:`);
    console.log(`  bare fastify route (baseline): ${show(bareOpen)}`);
    console.log(`  store daemon scan:             ${show(storeOpen)}`);
    console.log(`closed loop, ${CARTS} carts back to back, ${CLOSED_SECONDS} s:`);
    console.log(`  bare fastify route (baseline): ${show(bareClosed)}`);
    console.log(`  store daemon scan:             ${show(storeClosed)}`);
    const parts = scanParts(join(dir, 'parts'));
    console.log(
      `a scan in process, no HTTP (20-scan baskets): light commit ${parts.commitUs} µs, quote of the cart ${parts.quoteUs} µs, answer JSON ${parts.jsonUs} µs (${parts.answerBytes} bytes); a bare route's whole request at its closed-loop rate: ${Math.round(1e6 / bareClosed.perSecond)} µs`,
    );
    console.log(
      `ratio scans/s store / bare: ${(storeClosed.perSecond / bareClosed.perSecond).toFixed(2)}; open-loop p99 ${storeOpen.p99} ms (bare ${bareOpen.p99} ms)`,
    );
  } finally {
    await stopDaemon(daemon.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}
