// The TLS part: the key and certificate the HTTPS listener serves. From the first start
// the box serves a self-signed certificate for its hostname (encrypted, not trusted);
// it sends HQ a CSR through the outbox (so it reaches HQ after any outage), and HQ
// answers with a publicly trusted certificate, pushed signed (edge/sync/pushes/certificate.ts checks the
// signature, this part checks the certificate). A pushed certificate is served at once:
// listeners swap the secure context, open connections stay up. The store asks again
// when a quarter of the lifetime is left; HQ renews by itself earlier.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { Config } from '../../config/schema.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { openAlerts, raiseAlert, resolveAlert } from '../alerts/alerts.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { isSent } from '../db/outbox-acks.js';
import { type CertificateFacts, checkChain, factsOf, joinPem, keySha256, splitPem } from './certificates.js';
import { csrFor, keyPem, newKey, selfSigned } from './keys.js';

const DAY = 86_400_000;
/** how the alert for a certificate running short begins; it is resolved when a new one is served */
const ALERT_PREFIX = 'HTTPS certificate for ';
const PEM_KEY = /-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+?-----END PRIVATE KEY-----/;
/** the bootstrap certificate's lifetime; it is made again when a quarter is left */
const SELF_SIGNED_DAYS = 90;

export interface SecureContextPems {
  key: string;
  cert: string;
}

export interface TlsPartOptions {
  tls: Config['tls'];
  hostname: string;
  /** where the key and certificate are kept; null: memory only (a store on :memory:) */
  dir: string | null;
  /** whether there is an HQ to ask (mqtt.enabled); without one the box stays self-signed or hand-installed */
  askHq: boolean;
  db: () => Db;
  log: Logger;
  now?: () => number;
}

interface Pending {
  key: KeyObject;
  csrPem: string;
  keySha256: string;
  sentAt: number;
  /** the outbox row that carries it: not sent again while that row still waits for the broker */
  seq: number;
}

export interface CertificateInstall {
  status: 'applied' | 'unchanged' | 'rejected';
  problems?: string[];
  certificate?: Record<string, unknown>;
}

export class TlsPart implements Part {
  readonly name = 'tls';
  private key: KeyObject | null = null;
  private chain = '';
  private current: CertificateFacts | null = null;
  private pending: Pending | null = null;
  private roots: X509Certificate[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(pems: SecureContextPems) => void>();
  private lastRefusal: { at: number; problems: string[] } | null = null;
  private readonly now: () => number;

  constructor(private readonly o: TlsPartOptions) {
    this.now = o.now ?? Date.now;
  }

  get hostname(): string {
    return this.o.hostname;
  }

  async start(): Promise<void> {
    const t = this.o.tls;
    const roots = [...rootCertificates];
    if (t.trustedRootsFile) {
      const extra = splitPem(readFileSync(t.trustedRootsFile, 'utf8'));
      if (!extra.length) throw new Error(`tls.trustedRootsFile ${t.trustedRootsFile} holds no certificate`);
      roots.push(...extra);
    }
    // parsed once here, not at every certificate check
    this.roots = roots.map((pem) => new X509Certificate(pem));
    if (this.o.dir) mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    this.load();
    if (t.certFile || t.keyFile) this.installed(t.certFile, t.keyFile);
    if (!this.current || this.current.hostname !== this.o.hostname) await this.bootstrap();
    await this.check();
    this.timer = setInterval(() => {
      this.check().catch((err: Error) => this.o.log.warn({ err: err.message }, 'TLS check failed'));
    }, t.checkSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** what an HTTPS server is created with, and swapped to on every change */
  pems(): SecureContextPems {
    if (!this.key) throw new Error('TLS part not started');
    return { key: keyPem(this.key), cert: this.chain };
  }

  onChange(fn: (pems: SecureContextPems) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** a publicly trusted certificate (pushed by HQ) is served, not the bootstrap one */
  get trusted(): boolean {
    return Boolean(this.current && !this.current.selfSigned);
  }

  facts(): CertificateFacts | null {
    return this.current;
  }

  details(): Record<string, unknown> {
    const c = this.current;
    const now = this.now();
    return {
      hostname: this.o.hostname,
      trusted: this.trusted,
      ...(c
        ? {
            serial: c.serial,
            issuer: c.issuer,
            notAfter: new Date(c.notAfter).toISOString(),
            daysLeft: Math.round(((c.notAfter - now) / DAY) * 100) / 100,
          }
        : {}),
      csrPendingSince: this.pending ? new Date(this.pending.sentAt).toISOString() : null,
      ...(this.lastRefusal
        ? {
            lastRefusal: {
              at: new Date(this.lastRefusal.at).toISOString(),
              problems: this.lastRefusal.problems,
            },
          }
        : {}),
    };
  }

  /** A certificate HQ pushed (its signature already checked): served when every check passes. */
  installCertificate(body: unknown): CertificateInstall {
    const b = body as { hostname?: unknown; chainPem?: unknown } | null;
    const refuse = (problems: string[]): CertificateInstall => {
      this.lastRefusal = { at: this.now(), problems };
      this.o.log.warn({ problems }, 'certificate from HQ refused: the served one stays');
      return { status: 'rejected', problems };
    };
    if (!b || typeof b !== 'object') return refuse(['/body: must be an object']);
    if (b.hostname !== this.o.hostname)
      return refuse([`/body/hostname: ${String(b.hostname)} is not this store's name ${this.o.hostname}`]);
    const keys = [this.pending?.key, this.key].filter((k): k is KeyObject => Boolean(k));
    const v = checkChain(b.chainPem, { hostname: this.o.hostname, keys, roots: this.roots, now: this.now() });
    if (!v.ok) return refuse(v.problems);
    if (this.current && v.facts.fingerprint256 === this.current.fingerprint256)
      return { status: 'unchanged', certificate: this.summary(v.facts) };
    const chain = joinPem(v.chain);
    this.write('served.pem', keyPem(v.key) + chain, 0o600);
    if (this.pending && keySha256(this.pending.key) === v.facts.keySha256) this.dropPending();
    this.key = v.key;
    this.chain = chain;
    this.current = v.facts;
    this.o.log.info(
      { serial: v.facts.serial, notAfter: new Date(v.facts.notAfter).toISOString(), issuer: v.facts.issuer },
      'serving the certificate HQ sent',
    );
    this.emit();
    this.resolveExpiryAlerts();
    return { status: 'applied', certificate: this.summary(v.facts) };
  }

  /** A certificate installed by hand (config): refused loudly when bad; served while it is the newer one. */
  private installed(certFile: string | undefined, keyFile: string | undefined): void {
    if (!certFile || !keyFile) throw new Error('tls.certFile and tls.keyFile go together');
    const key = createPrivateKey(readFileSync(keyFile));
    const v = checkChain(readFileSync(certFile, 'utf8'), {
      hostname: this.o.hostname,
      keys: [key],
      roots: this.roots,
      now: this.now(),
    });
    if (!v.ok) throw new Error(`tls.certFile ${certFile}: ${v.problems.join('; ')}`);
    const c = this.current;
    if (c && !c.selfSigned && c.hostname === this.o.hostname && c.notAfter >= v.facts.notAfter) return;
    this.key = key;
    this.chain = joinPem(v.chain);
    this.current = v.facts;
  }

  /** Renews what needs renewing, asks HQ for a certificate when it is time, raises the alert. */
  async check(): Promise<void> {
    const c = this.current;
    const now = this.now();
    if (!c) return;
    const lifetime = Math.max(1, c.notAfter - c.notBefore);
    const left = c.notAfter - now;
    if (c.selfSigned && left < lifetime / 4) await this.bootstrap();
    const wanted = this.o.askHq && (c.selfSigned || left < lifetime * this.o.tls.requestWhenLeft);
    if (wanted) {
      if (!this.pending) await this.newRequest();
      else if (now - this.pending.sentAt >= this.o.tls.csrRetryMinutes * 60_000 && !this.queued(this.pending))
        this.send(this.pending);
    }
    if (!c.selfSigned && left < Math.min(this.o.tls.alertDays * DAY, lifetime * 0.15)) {
      raiseAlert(
        this.o.db(),
        {
          kioskId: 'store',
          kind: 'device',
          message: `${ALERT_PREFIX}${this.o.hostname} ${left > 0 ? 'expires' : 'expired'} ${new Date(c.notAfter).toISOString()}: HQ has not sent a new one (is the store offline?)`,
        },
        now,
      );
    }
  }

  /** a certificate running short is no longer so: its alert is closed, by the TLS part */
  private resolveExpiryAlerts(): void {
    const db = this.o.db();
    const now = this.now();
    for (const a of openAlerts(db, 'store'))
      if (a.kind === 'device' && a.message.startsWith(ALERT_PREFIX)) resolveAlert(db, a.id, 'tls', now);
  }

  private summary(f: CertificateFacts): Record<string, unknown> {
    return { serial: f.serial, notAfter: new Date(f.notAfter).toISOString(), issuer: f.issuer };
  }

  private emit(): void {
    const pems = this.pems();
    for (const fn of this.listeners) {
      try {
        fn(pems);
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'a listener could not take the new certificate');
      }
    }
  }

  private async bootstrap(): Promise<void> {
    const key = newKey();
    const pem = await selfSigned(this.o.hostname, key, this.now(), SELF_SIGNED_DAYS);
    this.write('served.pem', keyPem(key) + pem, 0o600);
    this.key = key;
    this.chain = pem;
    this.current = factsOf(new X509Certificate(pem), this.o.hostname);
    this.o.log.info({ hostname: this.o.hostname }, 'serving a self-signed certificate until HQ sends one');
    this.emit();
  }

  private async newRequest(): Promise<void> {
    const key = newKey();
    const csrPem = await csrFor(this.o.hostname, key);
    const p: Pending = { key, csrPem, keySha256: keySha256(key), sentAt: 0, seq: 0 };
    this.write('pending-key.pem', keyPem(key), 0o600);
    this.pending = p;
    this.send(p);
  }

  /** The CSR goes as an outbox event: it reaches HQ exactly once in effect, after any outage. */
  private send(p: Pending): void {
    const db = this.o.db();
    const now = this.now();
    const { seq } = db.transaction(() =>
      appendOutbox(
        db,
        {
          type: 'tls.csr',
          class: 'state',
          payload: { hostname: this.o.hostname, csrPem: p.csrPem, keySha256: p.keySha256 },
        },
        now,
      ),
    )();
    p.sentAt = now;
    p.seq = seq;
    this.write(
      'csr.json',
      JSON.stringify({ hostname: this.o.hostname, csrPem: p.csrPem, sentAt: now, seq }),
      0o644,
    );
    this.o.log.info({ hostname: this.o.hostname }, 'certificate request (CSR) queued for HQ');
  }

  /** the CSR's event still waits in the outbox (the link is down): sending it again adds nothing */
  private queued(p: Pending): boolean {
    const db = this.o.db();
    const present = db.prepare('SELECT 1 FROM outbox WHERE seq = ?').get(p.seq) !== undefined;
    return present && !isSent(db, p.seq);
  }

  private dropPending(): void {
    this.pending = null;
    if (!this.o.dir) return;
    rmSync(join(this.o.dir, 'pending-key.pem'), { force: true });
    rmSync(join(this.o.dir, 'csr.json'), { force: true });
  }

  private load(): void {
    const dir = this.o.dir;
    if (!dir) return;
    const file = (n: string) => join(dir, n);
    try {
      // key and chain in one file, replaced in one rename: never a key without its certificate
      if (existsSync(file('served.pem'))) {
        const text = readFileSync(file('served.pem'), 'utf8');
        const key = createPrivateKey(text.match(PEM_KEY)?.[0] ?? '');
        const chain = joinPem(splitPem(text));
        const leaf = new X509Certificate(splitPem(chain)[0] ?? '');
        if (keySha256(leaf.publicKey) !== keySha256(key)) throw new Error('key and certificate do not match');
        this.key = key;
        this.chain = chain;
        this.current = factsOf(leaf, leaf.checkHost(this.o.hostname) ? this.o.hostname : '');
      }
    } catch (err) {
      this.o.log.error(
        { err: (err as Error).message },
        'stored TLS certificate unreadable: making a new one',
      );
      this.current = null;
    }
    try {
      if (existsSync(file('pending-key.pem')) && existsSync(file('csr.json'))) {
        const key = createPrivateKey(readFileSync(file('pending-key.pem')));
        const { hostname, csrPem, sentAt, seq } = JSON.parse(readFileSync(file('csr.json'), 'utf8')) as {
          hostname?: string;
          csrPem: string;
          sentAt: number;
          seq?: number;
        };
        // a request for the name the store had before its config changed is not asked again
        if (hostname !== this.o.hostname) throw new Error('CSR for another hostname');
        this.pending = { key, csrPem, keySha256: keySha256(key), sentAt, seq: seq ?? 0 };
      }
    } catch {
      this.dropPending();
    }
  }

  /** written whole or not at all: a power cut mid-write leaves the previous file */
  private write(name: string, text: string, mode: number): void {
    if (!this.o.dir) return;
    const path = join(this.o.dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, path);
  }
}
