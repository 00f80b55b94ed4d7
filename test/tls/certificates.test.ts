// The chain of trust for the store's HTTPS, end to end with real parts: a store daemon
// asks for its certificate (a CSR through its outbox), HQ's certificate desk orders it
// from pebble (an RFC 8555 CA) by answering a DNS-01 challenge in pebble's test DNS,
// pushes it signed over mosquitto, and the store serves it. Chromium, resolving the
// store's hostname to the box and trusting pebble's CA, finds a secure context. Then the
// renewal drill (short-lived certificates renewed twice while a shopper keeps shopping),
// and the attacks: forged, expired, wrong-name, mismatched-key and untrusted pushes.
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../edge/tls/keys.js';
import { signPush } from '../../sync/signing.js';
import { launchBrowser, secureContext } from '../helpers/browser.js';
import { makePki } from '../helpers/certs.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { forgeCertificate } from '../helpers/forge-cert.js';
import { hqCertificatesYaml, type Pebble, startPebble } from '../helpers/pebble.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;

const STORE = 'tls-1';
const HOST = 'tls-1.stores.example.test';
const MILK = '6922001001036';
/** pebble's certificates live this long here; HQ renews at half, the store asks at a quarter */
const LIFETIME_S = 30;

let pebble: Pebble;
let hq: TestHq;
let store: RunningDaemon;
let browser: Browser;
let rootPem: string;
const ownCa = makePki(); // a CA the store also trusts: the attacks' certificates chain to it
const strangerCa = makePki(); // a CA the store does not trust

/** The certificate the store's HTTPS listener presents to a new connection, by its name. */
function served(): Promise<X509Certificate> {
  const port = Number(new URL(store.secureAddress!).port);
  return new Promise((res, rej) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: HOST, rejectUnauthorized: false }, () => {
      const raw = s.getPeerX509Certificate();
      s.end();
      raw ? res(raw) : rej(new Error('no certificate'));
    });
    s.on('error', rej);
  });
}

/** A certificate push from HQ straight onto the store's command topic; the store's answer. */
async function push(body: unknown, key: KeyObject = hq.pushKey.privateKey): Promise<J> {
  const c = await mqtt.connectAsync(hq.broker.url, {
    protocolVersion: 5,
    clientId: `attacker-${Date.now()}`,
  });
  try {
    const replies = `test/replies/${Date.now()}`;
    await c.subscribeAsync(replies, { qos: 1 });
    const answer = new Promise<J>((res) => c.once('message', (_t, p) => res(JSON.parse(p.toString()))));
    const signed = signPush(key, { dataset: 'certificate', version: Date.now(), issuedAt: Date.now(), body });
    await c.publishAsync(`storeedge/v1/${STORE}/cmd/certificate`, JSON.stringify(signed), {
      qos: 1,
      properties: { responseTopic: replies, correlationData: Buffer.from('x') },
    });
    return await Promise.race([
      answer,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer from the store')), 10_000)),
    ]);
  } finally {
    await c.endAsync();
  }
}

async function hqCertificates(): Promise<J[]> {
  const token = await hq.token('ana');
  const r = await fetch(`${hq.url}/api/v1/certificates?store=${STORE}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await r.json()) as J).certificates;
}

beforeAll(async () => {
  pebble = await startPebble({ validitySeconds: LIFETIME_S });
  rootPem = await pebble.rootPem();
  hq = await startHq({
    extraYaml: hqCertificatesYaml(pebble, {
      tickMs: 250,
      renewWhenLeft: 0.5,
      resendAfterMinutes: 0.05,
      retryBaseSeconds: 0.5,
    }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-tls-'));
  writeFileSync(join(dir, 'roots.pem'), `${rootPem}\n${readFileSync(ownCa.ca, 'utf8')}`);
  writeFileSync(
    join(dir, 'store.yaml'),
    `store: { id: ${STORE} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${hq.broker.url}", reconnect: { baseMs: 200, capMs: 1000 } }
tls: { trustedRootsFile: ./roots.pem, checkSeconds: 0.5, csrRetryMinutes: 0.2 }
security:
  hqSigningPublicKey: ${JSON.stringify(hq.pushKey.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
`,
  );
  store = await startDaemon(['--config', join(dir, 'store.yaml')]);
  browser = await launchBrowser({ trust: { hosts: [HOST], spki: await pebble.caSpki() } });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await store?.stop('SIGTERM');
  await hq?.stop();
  await pebble?.stop();
});

describe("the store's HTTPS certificate, from HQ's ACME order to the phone", () => {
  it('starts self-signed, gets the certificate HQ ordered, and a phone by the hostname has a secure context', async () => {
    expect(store.publicUrl).toMatch(new RegExp(`^https://${HOST.replace(/\./g, '\\.')}:\\d+$`));
    const cert = await waitFor(
      'the certificate from HQ',
      async () => {
        const c = await served();
        return c.issuer.includes('Pebble') ? c : undefined;
      },
      30_000,
    );
    expect(cert.checkHost(HOST)).toBe(HOST);
    expect(cert.verify(cert.publicKey)).toBe(false); // not self-signed
    const hqSide = await waitFor('HQ to hear the store applied it', async () => {
      const [c] = await hqCertificates();
      return c?.storeStatus === 'applied' ? c : undefined;
    });
    expect(hqSide).toMatchObject({ storeId: STORE, hostname: HOST, state: 'issued', error: null });
    const ready = (await (await fetch(`${store.address}/readyz`)).json()) as J;
    expect(ready.parts.find((p: J) => p.name === 'tls').details).toMatchObject({
      hostname: HOST,
      trusted: true,
    });

    const page = await browser.newPage();
    const res = await page.goto(`${store.publicUrl}/ui/shopper/`);
    expect(await secureContext(page)).toEqual([true, true]);
    // a trusted certificate is served: browsers are told to come back only over HTTPS
    expect(res?.headers()['strict-transport-security']).toMatch(/^max-age=\d+/);
    await page.close();
  }, 60_000);

  it('renewal drill: short-lived certificates renewed twice while a shopper session stays open', async () => {
    const phone = await browser.newPage();
    await phone.goto(`${store.publicUrl}/ui/shopper/`);
    await phone.getByLabel('输入商品条码').fill(MILK);
    await phone.locator('#code-form').getByRole('button', { name: '查询' }).click();
    await phone.getByRole('heading', { name: /纯牛奶/ }).waitFor();
    const add = async (n: number) => {
      await phone.getByRole('button', { name: '加入购物车' }).click();
      await phone
        .getByTestId('cart-count')
        .filter({ hasText: `(${n})` })
        .waitFor();
    };
    await add(1);
    // an HTTP/2 connection opened before the renewals, to see it outlive them
    const session = http2Connect(store.secureAddress!, { ca: rootPem, servername: HOST });
    const get = (path: string) =>
      new Promise<number>((res, rej) => {
        const r = session.request({ ':path': path });
        r.on('response', (h) => res(Number(h[':status'])));
        r.on('error', rej);
        r.resume();
        r.end();
      });
    expect(await get('/healthz')).toBe(200);
    const serials = [(await served()).serialNumber];
    try {
      for (let renewal = 1; renewal <= 2; renewal++) {
        const next = await waitFor(
          `renewal ${renewal}`,
          async () => {
            const c = await served();
            return c.serialNumber !== serials[serials.length - 1] && c.issuer.includes('Pebble')
              ? c
              : undefined;
          },
          LIFETIME_S * 1000,
        );
        serials.push(next.serialNumber);
        expect(Date.parse(next.validTo)).toBeGreaterThan(Date.now());
        await add(renewal + 1); // the shopper's cart goes on, on the same page
        expect(await get('/healthz')).toBe(200); // the connection from before is still up
      }
    } finally {
      session.close();
    }
    expect(new Set(serials).size).toBe(3);
    // a fresh phone trusts the renewed certificate too
    const fresh = await browser.newPage();
    await fresh.goto(`${store.publicUrl}/ui/shopper/`);
    expect(await secureContext(fresh)).toEqual([true, true]);
    await fresh.close();
    await phone.close();
    // no alert: HQ renewed long before the certificate ran short
    const alerts = (await (await fetch(`${store.address}/readyz`)).json()) as J;
    expect(alerts.ready).toBe(true);
  }, 120_000);

  it('refuses forged, expired, wrong-name, mismatched-key and untrusted certificates; the served one stays', async () => {
    const before = await served();
    const storeKey = before.publicKey; // the store's current key (public half)
    const hour = 3_600_000;
    const now = Date.now();
    const valid = { notBefore: new Date(now - hour), notAfter: new Date(now + 24 * hour) };
    const asStore = {
      caCertFile: ownCa.ca,
      caKeyFile: join(ownCa.dir, 'ca.key'),
      subjectKey: storeKey,
      hostname: HOST,
    };
    const good = await forgeCertificate({ ...asStore, ...valid });

    const cases: [string, unknown, KeyObject | undefined, RegExp][] = [
      [
        'forged: not signed by HQ',
        { hostname: HOST, chainPem: good },
        generateKeyPairSync('ed25519').privateKey,
        /signature does not verify/,
      ],
      [
        'expired',
        {
          hostname: HOST,
          chainPem: await forgeCertificate({
            ...asStore,
            notBefore: new Date(now - 48 * hour),
            notAfter: new Date(now - hour),
          }),
        },
        undefined,
        /expired/,
      ],
      [
        'wrong name',
        {
          hostname: HOST,
          chainPem: await forgeCertificate({ ...asStore, ...valid, hostname: 'tls-2.stores.example.test' }),
        },
        undefined,
        /not tls-1\.stores\.example\.test/,
      ],
      [
        'mismatched key',
        { hostname: HOST, chainPem: await forgeCertificate({ ...asStore, ...valid, subjectKey: newKey() }) },
        undefined,
        /matches no key this store made/,
      ],
      [
        'untrusted CA',
        {
          hostname: HOST,
          chainPem: await forgeCertificate({
            ...asStore,
            ...valid,
            caCertFile: strangerCa.ca,
            caKeyFile: join(strangerCa.dir, 'ca.key'),
          }),
        },
        undefined,
        /root this store trusts/,
      ],
      ['not a certificate', { hostname: HOST, chainPem: 'hello' }, undefined, /no certificate/],
      [
        'for another store',
        { hostname: 'tls-2.stores.example.test', chainPem: good },
        undefined,
        /not this store's name/,
      ],
    ];
    for (const [what, body, key, why] of cases) {
      const answer = await push(body, key);
      expect(answer.status, what).toBe('rejected');
      expect(answer.problems.join('; '), what).toMatch(why);
      expect((await served()).fingerprint256, what).toBe(before.fingerprint256);
    }
    const details = ((await (await fetch(`${store.address}/readyz`)).json()) as J).parts.find(
      (p: J) => p.name === 'tls',
    ).details;
    expect(details.lastRefusal.problems.join()).toMatch(/not this store's name/);
    // the same certificate signed properly by HQ and chaining to a trusted root is served: the checks refused for cause
    const accepted = await push({ hostname: HOST, chainPem: good });
    expect(accepted.status).toBe('applied');
    const after = await served();
    expect(after.fingerprint256).not.toBe(before.fingerprint256);
    expect(after.issuer).toBe(new X509Certificate(good).issuer);
  }, 60_000);
});
