// HQ's API and page over HTTPS (`http.tls`): a throwaway CA's certificate, HSTS, a client
// that does not trust the CA refused at the handshake, plain HTTP on the port refused,
// real Chromium signing in on HQ's page in a secure context; and a config naming half of
// the pair, or a key that is not the certificate's, refused at start with a clear error.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HqConfigError, loadHqConfig } from '../../hq/config.js';
import { type HqService, hqService } from '../../hq/service.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { launchBrowser, secureContext } from '../helpers/browser.js';
import { makePki, renewServerCert, type TestPki } from '../helpers/certs.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { spkiHash } from '../helpers/pebble.js';
import { waitFor } from '../helpers/ports.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let broker: Broker;
let pki: TestPki;
let svc: HqService;
let browser: Browser | null = null;
let base = '';

const config = (tls: string) => {
  const file = join(pki.dir, `hq-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `db: ${pgs.url}
broker: { url: ${broker.url} }
http: { port: 0, tls: { ${tls} } }
ingest: { workers: 0 }
users:
  - { id: ana, role: analyst, passwordHash: "${hashPin('read-only', undefined, 1024)}" }
`,
  );
  return file;
};

function get(
  url: string,
  ca?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca ? { ca: readFileSync(ca) } : {}), timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  pki = makePki();
  // relative to the config file's folder
  // the pair HQ serves: copies, so the reload test can replace them as a renewal would
  copyFileSync(pki.serverCert, join(pki.dir, 'live.pem'));
  copyFileSync(pki.serverKey, join(pki.dir, 'live.key'));
  svc = hqService(loadHqConfig(config('certFile: live.pem, keyFile: live.key, checkSeconds: 1')), {
    id: 'https-test',
    log: pino({ level: 'silent' }),
    http: true,
  });
  await svc.lifecycle.start();
  base = svc.http!.address;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (svc) await svc.lifecycle.stop();
  await broker?.stop();
  await pgs?.stop();
});

describe('HQ over HTTPS', () => {
  it('answers over TLS with HSTS, and refuses an untrusting client and plain HTTP', async () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await get(`${base}/healthz`, pki.ca);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true });
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
    // a client that does not know the CA: the handshake fails, nothing is answered
    await expect(get(`${base}/healthz`)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    // plain HTTP on the HTTPS port gets no answer of HQ's
    const plain = await fetch(`${base.replace('https:', 'http:')}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it("HQ's page signs in over HTTPS in Chromium, a secure context", async () => {
    browser = await launchBrowser({
      trust: { hosts: [], spki: spkiHash(readFileSync(pki.serverCert, 'utf8')) },
    });
    const page = await browser.newPage();
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(await secureContext(page)).toEqual([true, true]);
    await page.locator('#userId').fill('ana');
    await page.locator('#password').fill('read-only');
    await page.locator('#signin button[type=submit]').click();
    await page.locator('#tabs').waitFor({ state: 'visible', timeout: 15_000 });
    expect(new URL(page.url()).protocol).toBe('https:');
    await page.close();
  }, 60_000);

  it('serves a renewed certificate without a restart; a pair that does not match is refused and the old one kept', async () => {
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const u = new URL(base);
        const s = connect({ host: u.hostname, port: Number(u.port), ca: readFileSync(pki.ca) }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    const before = await served();
    const details = () =>
      (svc.http!.details() as { tls: { fingerprint256: string; error: string | null } }).tls;
    expect(details()).toMatchObject({ fingerprint256: before, error: null });
    // a renewal whose key is not its certificate's: refused, the certificate in service stays
    const next = renewServerCert(pki, 'renewed');
    copyFileSync(next.cert, join(pki.dir, 'live.pem'));
    await waitFor('the bad pair seen', () => (details().error ? true : undefined), 10_000);
    expect(details().error).toMatch(/do not make a TLS context/);
    expect(await served()).toBe(before);
    expect((await get(`${base}/healthz`, pki.ca)).status).toBe(200);
    // its key comes: new connections get the renewed certificate, no restart
    copyFileSync(next.key, join(pki.dir, 'live.key'));
    await waitFor(
      'the renewed pair served',
      async () => ((await served()) !== before ? true : undefined),
      10_000,
    );
    const after = await served();
    expect(details()).toMatchObject({ fingerprint256: after, error: null });
    expect((await get(`${base}/healthz`, pki.ca)).status).toBe(200);
  }, 30_000);

  it('refuses half a pair in the config, and a key that is not the certificate’s, with a clear error', async () => {
    expect(() => loadHqConfig(config('certFile: server.pem'))).toThrow(HqConfigError);
    expect(() => loadHqConfig(config('certFile: server.pem'))).toThrow(/certFile and keyFile/);
    const wrong = hqService(loadHqConfig(config('certFile: server.pem, keyFile: client.key')), {
      id: 'https-wrong-key',
      log: pino({ level: 'silent' }),
      http: true,
    });
    await expect(wrong.lifecycle.start()).rejects.toThrow(
      /http\.tls: the certificate and key do not make a TLS context/,
    );
    await wrong.lifecycle.stop();
    const missing = hqService(loadHqConfig(config('certFile: nowhere.pem, keyFile: server.key')), {
      id: 'https-missing',
      log: pino({ level: 'silent' }),
      http: true,
    });
    await expect(missing.lifecycle.start()).rejects.toThrow(
      /http\.tls\.certFile: cannot read .*nowhere\.pem/,
    );
    await missing.lifecycle.stop();
  }, 30_000);
});
