// The daemon is killed (SIGKILL) while the shopper's card is at the terminal. The
// terminal (a nexo simulator in this test process, reached over loopback TCP like a
// real one on the LAN) charges the card after the daemon is gone. The restarted daemon
// finds the pending payment in SQLite, asks the terminal by its reference, and completes
// the sale: charged once, sold once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NexoTerminalSimulator } from '../../device-drivers/payment/nexo/simulator.js';
import { openDb } from '../../edge/db/open.js';
import { expectOneSaleOneCharge } from '../helpers/crash-recovery.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-paycrash-'));
const sim = new NexoTerminalSimulator({ poiId: 'POI-LANE1' });
const running: RunningDaemon[] = [];

afterAll(async () => {
  for (const d of running) await d.stop('SIGKILL');
  await sim.close();
});

async function call(d: RunningDaemon, method: string, path: string, body?: unknown) {
  const res = await fetch(`${d.address}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': `crash-${Math.random().toString(36).slice(2)}` } : {}),
      authorization: 'Bearer lane-1-crash-test-token',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('daemon killed mid-payment', () => {
  it('recovers the payment from the terminal after restart: one charge, one sale', async () => {
    const port = await sim.listen();
    sim.cardDelayMs = 1500;
    const file = join(dir, 'store.yaml');
    writeFileSync(
      file,
      `http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
security:
  kioskTokens: [{ kioskId: lane-1, token: lane-1-crash-test-token }]
devices:
  - { id: lane1-terminal, kind: payment-terminal, driver: nexo, kiosk: lane-1, path: "127.0.0.1:${port}", options: { poiId: POI-LANE1, requestTimeoutMs: 1000 } }
`,
    );
    const first = await startDaemon(['--config', file]);
    running.push(first);
    const cart = await call(first, 'POST', '/carts', { channel: 'kiosk', kioskId: 'lane-1' });
    const cartId = cart.cartId as string;
    await call(first, 'POST', `/carts/${cartId}/scans`, { code: '6922001001036' });
    await call(first, 'POST', `/carts/${cartId}/checkout`, {});
    void call(first, 'POST', `/carts/${cartId}/payments/card`, {}).catch(() => undefined);
    await waitFor('card at the terminal', () => (sim.entries().length === 1 ? true : undefined), 5000);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));

    // the pending row was committed before the terminal was asked
    const db = openDb(join(dir, 'store.db'));
    expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().get(cartId)).toBe('pending');
    db.close();
    await waitFor('terminal charged', () => (sim.charges().size === 1 ? true : undefined), 5000);

    const second = await startDaemon(['--config', file]);
    running.push(second);
    await waitFor(
      'sale completed after restart',
      async () => ((await call(second, 'GET', `/carts/${cartId}`)).status === 'paid' ? true : undefined),
      15_000,
    );
    expectOneSaleOneCharge(second, join(dir, 'store.db'), cartId, sim.charges());
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
