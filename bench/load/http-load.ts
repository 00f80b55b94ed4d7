// The HTTP load client, run in a process of its own (node --import tsx bench/load/http-load.ts
// '<json>') so its work is not the server's: kiosk carts scanning over keep-alive
// connections, in an open loop (each cart scans every intervalMs whatever the answers
// do; latency counted from when the scan was due, so a stall shows as the wait it causes)
// or a closed one (each cart's next scan as soon as its last is answered). Prints one
// JSON line: scans answered, errors, scans/s, latency percentiles in ms.
import http from 'node:http';

export interface LoadPlan {
  /** the store daemon (scans at /api/v1/carts/:id/scans) or a bare server (POST /scans) */
  target: 'store' | 'bare';
  base: string;
  mode: 'open' | 'closed';
  carts: number;
  intervalMs: number;
  seconds: number;
  /** not counted: connections, JIT and caches warm up */
  warmupSeconds: number;
  /** a cart is replaced by a new one after this many scans (a kiosk's basket) */
  scansPerCart: number;
  token: string;
  codes: string[];
}

export interface LoadResult {
  scans: number;
  errors: number;
  firstError: string | null;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
const url = new URL(plan.base);
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.carts * 2 });
let keyN = 0;

function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: {
          authorization: `Bearer ${plan.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          'idempotency-key': `load-${process.pid}-${++keyN}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) });
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function newCart(): Promise<string> {
  if (plan.target === 'bare') return 'bare';
  const r = await post('/api/v1/carts', { channel: 'kiosk' });
  if (r.status !== 201) throw new Error(`new cart: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
  return r.json.cartId as string;
}

const latencies: number[] = [];
let errors = 0;
let firstError: string | null = null;
let counted = 0;

class Cart {
  private id = '';
  private scans = 0;
  constructor(private readonly n: number) {}
  async open(): Promise<void> {
    this.id = await newCart();
    this.scans = 0;
  }
  /** one scan; `due` is when it should have gone (open loop) or when it went (closed) */
  async scan(due: number, count: boolean): Promise<void> {
    if (this.scans >= plan.scansPerCart) await this.open();
    const code = plan.codes[(this.n * 7 + this.scans++) % plan.codes.length]!;
    const path = plan.target === 'bare' ? '/scans' : `/api/v1/carts/${this.id}/scans`;
    try {
      const r = await post(path, { code });
      if (r.status !== 201) throw new Error(`scan: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      if (count) {
        latencies.push(performance.now() - due);
        counted++;
      }
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
  }
}

const carts = Array.from({ length: plan.carts }, (_, n) => new Cart(n));
await Promise.all(carts.map((c) => c.open()));

const start = performance.now();
const countFrom = start + plan.warmupSeconds * 1000;
const end = countFrom + plan.seconds * 1000;

if (plan.mode === 'closed') {
  await Promise.all(
    carts.map(async (c) => {
      for (let t = performance.now(); t < end; t = performance.now()) await c.scan(t, t >= countFrom);
    }),
  );
} else {
  // each cart on its own schedule, spread across the interval
  const pending: Promise<void>[] = [];
  await Promise.all(
    carts.map(async (c, n) => {
      for (let k = 0; ; k++) {
        const due = start + (n * plan.intervalMs) / plan.carts + k * plan.intervalMs;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(c.scan(due, due >= countFrom));
      }
    }),
  );
  await Promise.all(pending);
}

latencies.sort((a, b) => a - b);
const pct = (p: number) => Number((latencies[Math.floor((latencies.length - 1) * p)] ?? 0).toFixed(2));
const result: LoadResult = {
  scans: counted,
  errors,
  firstError,
  perSecond: Math.round(counted / plan.seconds),
  p50: pct(0.5),
  p90: pct(0.9),
  p99: pct(0.99),
  max: pct(1),
};
console.log(JSON.stringify(result));
agent.destroy();
