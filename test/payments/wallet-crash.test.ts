// The daemon is killed (SIGKILL) after it made the wallet order and before the gateway's
// notification: the shopper pays in the wallet while the daemon is gone, so the
// notification finds nobody and the gateway retries on its schedule (shrunk here). The
// restarted daemon finds the pending payment in SQLite, asks the gateway by its order
// number, and completes the sale; the retried notification that arrives later changes
// nothing. One sale, one charge.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../edge/db/open.js';
import { expectOneSaleOneCharge } from '../helpers/crash-recovery.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startWalletGateway, type WalletRig } from '../helpers/wallet.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-walletcrash-'));
const running: RunningDaemon[] = [];
let wallet: WalletRig | null = null;

afterAll(async () => {
  for (const d of running) await d.stop('SIGKILL');
  await wallet?.sim.close();
});

async function call(d: RunningDaemon, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${d.address}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': `wcrash-${Math.random().toString(36).slice(2)}` } : {}),
      ...(token ? { 'x-cart-token': token } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: end-to-end answers are read loosely
  return (await res.json()) as any;
}

describe('daemon killed between the wallet order and its notification', () => {
  it('settles by asking the gateway after restart: one sale, one charge', async () => {
    // the retry schedule shrunk 500×: 15 s → 30 ms, 30 s → 60 ms, 3 min → 360 ms, …
    wallet = await startWalletGateway({ retryScale: 0.002 });
    const file = join(dir, 'store.yaml');
    // one port for both runs: each order's notifications are addressed to its daemon's listener
    const port = await freePort();
    writeFileSync(
      file,
      `http: { port: ${port} }
tls: { enabled: false }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
${wallet.yaml}`,
    );
    const first = await startDaemon(['--config', file]);
    running.push(first);
    const cart = await call(first, 'POST', '/carts', undefined, { channel: 'phone' });
    const token = cart.cartToken as string;
    await call(first, 'POST', `/carts/${cart.cartId}/scans`, token, { code: '6922001001036' });
    const order = await call(first, 'POST', `/carts/${cart.cartId}/payments/wallet`, token, {});
    expect(order.payParams.package).toMatch(/^prepay_id=/);

    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    // the wallet pays while no daemon listens: the first notification attempts fail
    expect(wallet.sim.pay(order.payParams)).toEqual({ result: 'paid' });
    await waitFor(
      'a failed delivery',
      () => (wallet!.sim.deliveries.some((d) => d.status === 0) ? true : undefined),
      5000,
    );
    const db = openDb(join(dir, 'store.db'));
    expect(db.prepare('SELECT status FROM payments WHERE cart_id = ?').pluck().all(cart.cartId)).toEqual([
      'pending',
    ]);
    db.close();

    const second = await startDaemon(['--config', file]);
    running.push(second);
    await waitFor(
      'the sale after restart',
      async () =>
        (await call(second, 'GET', `/carts/${cart.cartId}`, token)).status === 'paid' ? true : undefined,
      15_000,
    );
    // the gateway keeps retrying until the store answers 2xx: that one changes nothing
    await waitFor(
      'a delivered notification',
      () => (wallet!.sim.deliveries.some((d) => d.status === 204) ? true : undefined),
      20_000,
    );
    expectOneSaleOneCharge(second, join(dir, 'store.db'), cart.cartId, wallet.sim.charges());
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
