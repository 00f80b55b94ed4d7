// The store's side of HTTPS, part by part: the TLS part's files, its CSRs, its alert and
// its refusals; the HTTP part's redirect, HSTS and hot reload on real sockets.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import Value from 'typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { openAlerts } from '../../edge/alerts/alerts.js';
import { createMetrics } from '../../edge/api/metrics.js';
import { HttpPart } from '../../edge/api/part.js';
import type { Db } from '../../edge/db/open.js';
import { TlsPart } from '../../edge/tls/part.js';
import { makePki } from '../helpers/certs.js';
import { csrPublicKey, forgeCertificate } from '../helpers/forge-cert.js';
import { ackRows } from '../helpers/outbox.js';
import { demoDb } from '../helpers/store.js';

const HOST = 's9.stores.example.test';
const HOUR = 3_600_000;
const ca = makePki();
const rootsFile = ca.ca;
const log = pino({ level: 'silent' });

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tlsConfig(extra: Record<string, unknown> = {}) {
  const c = Value.Default(ConfigSchema, { tls: { trustedRootsFile: rootsFile, ...extra } }) as {
    tls: ConstructorParameters<typeof TlsPart>[0]['tls'];
  };
  return c.tls;
}

function part(
  o: {
    dir?: string | null;
    db?: Db;
    now?: () => number;
    extra?: Record<string, unknown>;
    askHq?: boolean;
  } = {},
) {
  const db = o.db ?? demoDb();
  const p = new TlsPart({
    tls: tlsConfig(o.extra),
    hostname: HOST,
    dir: o.dir === undefined ? mkdtempSync(join(tmpdir(), 'storeedge-tls-unit-')) : o.dir,
    askHq: o.askHq ?? true,
    db: () => db,
    log,
    ...(o.now ? { now: o.now } : {}),
  });
  cleanup.push(() => p.stop());
  return { p, db };
}

const csrEvents = (db: Db) =>
  db.prepare("SELECT payload FROM outbox WHERE type = 'tls.csr' ORDER BY seq").all() as { payload: string }[];

/** A certificate for the key of the part's newest CSR, from the CA it trusts. */
function certFor(db: Db, life: { from: number; to: number }, hostname = HOST) {
  const csr = JSON.parse(csrEvents(db).at(-1)!.payload).csrPem as string;
  return forgeCertificate({
    caCertFile: ca.ca,
    caKeyFile: join(ca.dir, 'ca.key'),
    hostname,
    subjectKey: csrPublicKey(csr),
    notBefore: new Date(life.from),
    notAfter: new Date(life.to),
  });
}

describe('the TLS part', () => {
  it('serves a self-signed certificate from the first start and queues one CSR for HQ, sent again only after the retry time', async () => {
    let now = Date.now();
    const { p, db } = part({ now: () => now, extra: { csrRetryMinutes: 10 } });
    await p.start();
    expect(p.trusted).toBe(false);
    const leaf = new X509Certificate(p.pems().cert);
    expect(leaf.checkHost(HOST)).toBe(HOST);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const [ev] = csrEvents(db);
    expect(JSON.parse(ev!.payload)).toMatchObject({
      hostname: HOST,
      keySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    await p.check();
    expect(csrEvents(db)).toHaveLength(1);
    now += 11 * 60_000;
    await p.check(); // the link is down: the first request still waits in the outbox
    expect(csrEvents(db)).toHaveLength(1);
    ackRows(db, () => now, "type = 'tls.csr'"); // HQ got it, said nothing
    await p.check();
    expect(csrEvents(db)).toHaveLength(2);
    expect(csrEvents(db)[1]!.payload).toBe(csrEvents(db)[0]!.payload); // the same key asked again
  });

  it('asks nothing of an HQ it does not have (mqtt off): self-signed, no CSR piling up', async () => {
    const { p, db } = part({ askHq: false });
    await p.start();
    await p.check();
    expect(p.trusted).toBe(false);
    expect(csrEvents(db)).toHaveLength(0);
  });

  it('installs a good certificate, keeps it across a restart, and then asks again only when a quarter is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-tls-unit-'));
    let now = Date.now();
    const db = demoDb();
    const first = part({ dir, db, now: () => now });
    await first.p.start();
    const changed: string[] = [];
    first.p.onChange((pems) => changed.push(pems.cert));
    const chain = await certFor(db, { from: now - HOUR, to: now + 39 * HOUR });
    expect(first.p.installCertificate({ hostname: HOST, chainPem: chain })).toMatchObject({
      status: 'applied',
    });
    expect(first.p.installCertificate({ hostname: HOST, chainPem: chain })).toMatchObject({
      status: 'unchanged',
    });
    expect(changed).toHaveLength(1);
    expect(first.p.trusted).toBe(true);
    first.p.stop();

    const again = part({ dir, db, now: () => now });
    await again.p.start();
    expect(again.p.trusted).toBe(true);
    expect(new X509Certificate(again.p.pems().cert).serialNumber).toBe(
      new X509Certificate(chain).serialNumber,
    );
    expect(csrEvents(db)).toHaveLength(1);
    now += 26 * HOUR; // 13 of 40 hours left: not yet
    await again.p.check();
    expect(csrEvents(db)).toHaveLength(1);
    now += 4 * HOUR; // 9 left: under a quarter
    await again.p.check();
    expect(csrEvents(db)).toHaveLength(2);
    expect(openAlerts(db)).toHaveLength(0);
    now += 4 * HOUR; // 5 left of 40: under 15% and HQ sent nothing — staff hear of it
    await again.p.check();
    expect(openAlerts(db)).toEqual([
      expect.objectContaining({ kioskId: 'store', kind: 'device', message: expect.stringContaining(HOST) }),
    ]);
    // a certificate for the new key (the CSR sent at a quarter left) is taken
    const renewed = await certFor(db, { from: now - HOUR, to: now + 10 * HOUR });
    expect(again.p.installCertificate({ hostname: HOST, chainPem: renewed }).status).toBe('applied');
    expect(openAlerts(db)).toHaveLength(0); // the alert is closed by the certificate that answers it
  });

  it('refuses a bad stored file with a clear log and starts self-signed; refuses a bad certFile outright', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-tls-unit-'));
    writeFileSync(join(dir, 'served.pem'), 'garbage');
    const { p } = part({ dir });
    await p.start();
    expect(p.trusted).toBe(false);
    expect(readFileSync(join(dir, 'served.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');

    writeFileSync(join(dir, 'hand.pem'), readFileSync(ca.serverCert));
    const bad = part({ extra: { certFile: join(dir, 'hand.pem'), keyFile: ca.serverKey } });
    await expect(bad.p.start()).rejects.toThrow(
      /tls.certFile .*hand.pem: certificate is for IP Address:127.0.0.1, not s9/,
    );
  });
});

describe('the HTTPS listener', () => {
  async function listening(plainHttp: 'loopback' | 'redirect') {
    const { p } = part();
    await p.start();
    const http = new HttpPart({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: createMetrics(() => []),
      bodyLimitBytes: 1024 * 1024,
      requestTimeoutMs: 5000,
      parts: () => [],
      info: { storeId: 's9', version: 't', configSource: 'test', configSha256: 'x' },
      startedAt: Date.now(),
      tls: { port: 0, plainHttp, hstsMaxAgeSeconds: 600, source: p },
    });
    await http.start();
    cleanup.push(() => http.stop());
    return { p, http };
  }

  const peer = (address: string) =>
    new Promise<X509Certificate>((res, rej) => {
      const s = tlsConnect(
        {
          host: '127.0.0.1',
          port: Number(new URL(address).port),
          servername: HOST,
          rejectUnauthorized: false,
        },
        () => {
          res(s.getPeerX509Certificate()!);
          s.end();
        },
      );
      s.on('error', rej);
    });

  it('redirects plain HTTP from other hosts to HTTPS by the hostname, serves this box, and sends HSTS only when trusted', async () => {
    const { http } = await listening('loopback');
    const port = new URL(http.secureAddress!).port;
    expect(http.publicUrl).toBe(`https://${HOST}:${port}`);
    // the plain listener's app, driven as a phone on the Wi-Fi would reach it
    const r = await fetch(`${http.address}/healthz`);
    expect(r.status).toBe(200); // this box itself
    const app = (
      http as unknown as {
        apps: { inject: (o: object) => Promise<{ statusCode: number; headers: Record<string, string> }> }[];
      }
    ).apps[1]!;
    const phone = await app.inject({ method: 'GET', url: '/ui/shopper/?x=1', remoteAddress: '192.168.1.50' });
    expect(phone.statusCode).toBe(301);
    expect(phone.headers.location).toBe(`https://${HOST}:${port}/ui/shopper/?x=1`);
    const post = await app.inject({
      method: 'POST',
      url: '/api/v1/carts',
      remoteAddress: '10.0.0.7',
      payload: {},
    });
    expect(post.statusCode).toBe(308);
    // a forged Host header does not move the redirect elsewhere
    const forged = await app.inject({
      method: 'GET',
      url: '/',
      remoteAddress: '10.0.0.7',
      headers: { host: 'evil.example' },
    });
    expect(forged.headers.location).toBe(`https://${HOST}:${port}/`);
    const secure = (http as unknown as { apps: (typeof app)[] }).apps[0]!;
    const selfSigned = await secure.inject({ method: 'GET', url: '/healthz' });
    expect(selfSigned.headers['strict-transport-security']).toBeUndefined();
  });

  it("'redirect' sends this box to HTTPS too", async () => {
    const { http } = await listening('redirect');
    const r = await fetch(`${http.address}/healthz`, { redirect: 'manual' });
    expect(r.status).toBe(301);
  });

  it('a new certificate is served to new connections at once', async () => {
    const { p, http } = await listening('loopback');
    const before = await peer(http.secureAddress!);
    expect(before.fingerprint256).toBe(new X509Certificate(p.pems().cert).fingerprint256);
    const db = (p as unknown as { o: { db: () => Db } }).o.db();
    const chain = await certFor(db, { from: Date.now() - HOUR, to: Date.now() + 24 * HOUR });
    expect(p.installCertificate({ hostname: HOST, chainPem: chain }).status).toBe('applied');
    const after = await peer(http.secureAddress!);
    expect(after.fingerprint256).toBe(new X509Certificate(chain).fingerprint256);
  });
});
