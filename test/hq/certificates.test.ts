// HQ's certificate desk on a real PostgreSQL and a real ACME CA (pebble): it orders only
// the name a store may have, answers DNS-01 through a hook command as a chain's DNS
// would be driven, retries a failed order with a doubling wait, and renews on request.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySha256 } from '../../edge/tls/certificates.js';
import { csrFor, newKey } from '../../edge/tls/keys.js';
import { ExecDns } from '../../hq/certificates/dns.js';
import { StoreCertificates } from '../../hq/certificates/part.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { type Pebble, startPebble } from '../helpers/pebble.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';
import { pebbleIssuer } from '../helpers/store-certificate.js';

const ZONE = 'stores.example.test';
let pg: Postgres;
let pool: ReturnType<typeof openPgPool>;
let pebble: Pebble;
const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-certs-'));

/** A DNS hook as a chain would write one for its provider: here it drives pebble's test DNS. */
function hook(name: string, body: string): string {
  writeFileSync(join(dir, `${name}.mjs`), body);
  const sh = join(dir, name);
  writeFileSync(sh, `#!/bin/sh\nexec "${process.execPath}" "${join(dir, `${name}.mjs`)}" "$@"\n`);
  chmodSync(sh, 0o755);
  return sh;
}

function desk(command: string, retryBaseMs = 200) {
  return new StoreCertificates({
    pool,
    mqtt: () => null,
    prefix: 'storeedge/v1',
    key: null,
    issuer: pebbleIssuer(pebble, new ExecDns(command, 10_000)),
    zone: ZONE,
    renewWhenLeft: 0.34,
    resendAfterMs: 60_000,
    retryBaseMs,
    log: pino({ level: 'silent' }),
  });
}

let seq = 0;
async function csrEvent(storeId: string, hostname: string) {
  const key = newKey();
  await pool.query(
    'INSERT INTO certificate_requests (store_id, seq, hostname, csr, key_sha256, at) VALUES ($1, $2, $3, $4, $5, $6)',
    [storeId, ++seq, hostname, await csrFor(hostname, key), keySha256(key), Date.now()],
  );
}

beforeAll(async () => {
  [pg, pebble] = await Promise.all([startPostgres(), startPebble()]);
  pool = openPgPool(pg.url, 4);
  await migratePg(pool);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await pg?.stop();
  await pebble?.stop();
});

describe("HQ's certificate desk", () => {
  const goodHook = () =>
    hook(
      'dns-hook',
      `const [op, fqdn, value] = process.argv.slice(2);
const r = await fetch('${pebble.dnsManagementUrl}/' + (op === 'set' ? 'set-txt' : 'clear-txt'), {
  method: 'POST', body: JSON.stringify({ host: fqdn, value }) });
if (!r.ok) { console.error('DNS said', r.status); process.exit(1); }`,
    );

  it('orders through the DNS hook for exactly the store name, and renews when asked', async () => {
    const d = desk(goodHook());
    await csrEvent('s-1', `s-1.${ZONE}`);
    await d.tick();
    const [c] = await d.list('s-1');
    expect(c).toMatchObject({ storeId: 's-1', hostname: `s-1.${ZONE}`, state: 'issued', error: null });
    const chain = (await pool.query("SELECT chain_pem FROM store_certificates WHERE store_id = 's-1'"))
      .rows[0].chain_pem as string;
    const leaf = new X509Certificate(chain);
    expect(leaf.checkHost(`s-1.${ZONE}`)).toBe(`s-1.${ZONE}`);
    expect(leaf.issuer).toContain('Pebble');
    await d.tick(); // nothing due: no second order
    expect((await d.list('s-1'))[0]!.serial).toBe(c!.serial);
    expect(await d.askRenewal('s-1')).toBe(true);
    await d.tick();
    const [renewed] = await d.list('s-1');
    expect(renewed!.serial).not.toBe(c!.serial);
    expect(renewed!.pushVersion).toBeGreaterThan(c!.pushVersion!);
  }, 30_000);

  it("never orders another store's name, nor the zone", async () => {
    const d = desk(goodHook());
    await csrEvent('s-2', `s-1.${ZONE}`);
    await csrEvent('s-3', ZONE);
    await d.tick();
    const [two] = await d.list('s-2');
    const [three] = await d.list('s-3');
    expect(two).toMatchObject({ state: 'failed', serial: null });
    expect(two!.error).toMatch(
      /asked for s-1\.stores\.example\.test; its name .* is s-2\.stores\.example\.test/,
    );
    expect(three!.state).toBe('failed');
  }, 30_000);

  it('a DNS that fails is retried with a doubling wait, and the order goes through once it works', async () => {
    const broken = hook('dns-down', "console.error('provider API: 503'); process.exit(1);");
    const d = desk(broken, 300);
    await csrEvent('s-4', `s-4.${ZONE}`);
    await d.tick();
    const [first] = await d.list('s-4');
    expect(first).toMatchObject({ state: 'failed', attempts: 1 });
    expect(first!.error).toMatch(
      /DNS hook set _acme-challenge\.s-4\.stores\.example\.test\. failed: provider API: 503/,
    );
    await d.tick(); // not due yet
    expect((await d.list('s-4'))[0]!.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    await d.tick();
    const [second] = await d.list('s-4');
    expect(second!.attempts).toBe(2);
    expect(Date.parse(second!.nextAttemptAt!) - Date.now()).toBeGreaterThan(300); // 600 ms wait
    await new Promise((r) => setTimeout(r, 700));
    await desk(goodHook()).tick();
    expect((await d.list('s-4'))[0]).toMatchObject({ state: 'issued', attempts: 0, error: null });
  }, 30_000);
});
