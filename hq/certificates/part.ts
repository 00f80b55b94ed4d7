// HQ's certificate desk: every store's HTTPS certificate, obtained from the CA for the
// store's newest CSR (projected from its tls.csr events) and pushed to the store signed,
// on its command topic (the broker keeps it for a store that is offline). HQ renews by
// itself once a third of the lifetime is left, so a store that stays offline still finds
// a fresh certificate waiting when it comes back. A failed order is retried with a
// doubling wait; several HQ processes may run this: a per-store advisory lock keeps an
// order from being placed twice.
import { type KeyObject, X509Certificate } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { storeHostname } from '../../sync/hostnames.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { signPush } from '../../sync/signing.js';
import type { AcmeIssuer } from './acme.js';

export interface StoreCertificatesOptions {
  pool: pg.Pool;
  mqtt: () => MqttClient | null;
  prefix: string;
  key: KeyObject | null;
  issuer: AcmeIssuer;
  zone: string;
  /** renew once this fraction of the lifetime is left */
  renewWhenLeft: number;
  /** a push no answer came back for is sent again after this long */
  resendAfterMs: number;
  retryBaseMs: number;
  log: Logger;
}

interface Due {
  store_id: string;
  seq: string;
  hostname: string;
  csr: string;
  key_sha256: string;
  attempts: number | null;
}

export interface StoreCertificate {
  storeId: string;
  hostname: string;
  state: 'issued' | 'failed';
  serial: string | null;
  notBefore: string | null;
  notAfter: string | null;
  pushVersion: number | null;
  pushedAt: string | null;
  /** what the store said of the last push: applied / unchanged / rejected, or null (no answer yet) */
  storeStatus: string | null;
  storeProblems: string[];
  attempts: number;
  nextAttemptAt: string | null;
  error: string | null;
}

const RETRY_CAP_MS = 6 * 3_600_000;

export class StoreCertificates {
  constructor(private readonly o: StoreCertificatesOptions) {}

  /** One round: order what is due, then push again what no store answered. */
  async tick(): Promise<void> {
    const due = (
      await this.o.pool.query<Due>(
        `WITH latest AS (
           SELECT DISTINCT ON (store_id) store_id, seq, hostname, csr, key_sha256
           FROM certificate_requests ORDER BY store_id, seq DESC)
         SELECT l.*, c.attempts FROM latest l LEFT JOIN store_certificates c USING (store_id)
         WHERE c.store_id IS NULL
            OR c.request_seq < l.seq
            OR c.renew_asked_at IS NOT NULL
            OR (c.state = 'failed' AND c.next_attempt_at <= now())
            OR (c.state = 'issued' AND now() >= c.not_after - (c.not_after - c.not_before) * $1::float8)
         ORDER BY l.store_id LIMIT 20`,
        [this.o.renewWhenLeft],
      )
    ).rows;
    for (const d of due) await this.locked(d.store_id, () => this.order(d));
    await this.resend();
  }

  private async locked(storeId: string, work: () => Promise<void>): Promise<void> {
    const c = await this.o.pool.connect();
    try {
      const got = await c.query(
        "SELECT pg_try_advisory_lock(hashtext('storeedge.certificate.' || $1)) AS ok",
        [storeId],
      );
      if (!got.rows[0].ok) return; // another HQ process has this store's order in hand
      try {
        await work();
      } finally {
        await c.query("SELECT pg_advisory_unlock(hashtext('storeedge.certificate.' || $1))", [storeId]);
      }
    } finally {
      c.release();
    }
  }

  private async order(d: Due): Promise<void> {
    const expected = storeHostname(d.store_id, this.o.zone);
    const log = this.o.log.child({ store: d.store_id, hostname: expected });
    let chain: string;
    try {
      if (d.hostname !== expected)
        throw new Error(`the store asked for ${d.hostname}; its name in the chain's zone is ${expected}`);
      chain = await this.o.issuer.issue(d.csr, expected);
    } catch (err) {
      const attempts = (d.attempts ?? 0) + 1;
      const wait = Math.min(RETRY_CAP_MS, this.o.retryBaseMs * 2 ** (attempts - 1));
      const message = (err as Error).message.slice(0, 1000);
      log.warn({ err: message, attempts, retryInMs: wait }, 'certificate order failed');
      await this.o.pool.query(
        `INSERT INTO store_certificates (store_id, hostname, request_seq, key_sha256, state, attempts, next_attempt_at, error)
         VALUES ($1, $2, $3, $4, 'failed', $5, now() + $6 * interval '1 millisecond', $7)
         ON CONFLICT (store_id) DO UPDATE SET state = 'failed', request_seq = EXCLUDED.request_seq,
           attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at, error = EXCLUDED.error,
           renew_asked_at = NULL, updated_at = now()`,
        [d.store_id, expected, d.seq, d.key_sha256, attempts, wait, message],
      );
      return;
    }
    const leaf = new X509Certificate(chain);
    // the push's version: when it was issued (ms), and always past the one before
    const saved = await this.o.pool.query<{ push_version: string }>(
      `INSERT INTO store_certificates (store_id, hostname, request_seq, key_sha256, state, serial, not_before,
         not_after, chain_pem, push_version, attempts)
       VALUES ($1, $2, $3, $4, 'issued', $5, $6, $7, $8, $9, 0)
       ON CONFLICT (store_id) DO UPDATE SET hostname = EXCLUDED.hostname, request_seq = EXCLUDED.request_seq,
         key_sha256 = EXCLUDED.key_sha256, state = 'issued', serial = EXCLUDED.serial,
         not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, chain_pem = EXCLUDED.chain_pem,
         push_version = GREATEST(EXCLUDED.push_version, COALESCE(store_certificates.push_version, 0) + 1),
         pushed_at = NULL, attempts = 0, next_attempt_at = NULL,
         error = NULL, renew_asked_at = NULL, updated_at = now()
       RETURNING push_version`,
      [
        d.store_id,
        expected,
        d.seq,
        d.key_sha256,
        leaf.serialNumber,
        new Date(leaf.validFrom),
        new Date(leaf.validTo),
        chain,
        Date.now(),
      ],
    );
    const version = Number(saved.rows[0]!.push_version);
    log.info({ serial: leaf.serialNumber, notAfter: leaf.validTo }, 'certificate issued');
    await this.push(d.store_id, expected, chain, version);
  }

  private async push(storeId: string, hostname: string, chainPem: string, version: number): Promise<void> {
    const client = this.o.mqtt();
    if (!this.o.key || !client?.connected) return; // pushed_at stays null: the next round sends it
    const signed = signPush(this.o.key, {
      dataset: 'certificate',
      version,
      issuedAt: Date.now(),
      body: { hostname, chainPem },
    });
    await client.publishAsync(`${this.o.prefix}/${storeId}/cmd/certificate`, JSON.stringify(signed), {
      qos: 1,
    });
    await this.o.pool.query(
      'UPDATE store_certificates SET pushed_at = now() WHERE store_id = $1 AND push_version = $2',
      [storeId, version],
    );
  }

  /** Issued certificates never sent, or sent with no answer from the store for a while. */
  private async resend(): Promise<void> {
    const rows = (
      await this.o.pool.query(
        `SELECT c.store_id, c.hostname, c.chain_pem, c.push_version FROM store_certificates c
         WHERE c.state = 'issued' AND c.chain_pem IS NOT NULL
           AND (c.pushed_at IS NULL OR c.pushed_at < now() - $1 * interval '1 millisecond')
           AND NOT EXISTS (SELECT 1 FROM push_results r WHERE r.store_id = c.store_id
                           AND r.dataset = 'certificate' AND r.version = c.push_version)
         ORDER BY c.store_id LIMIT 50`,
        [this.o.resendAfterMs],
      )
    ).rows;
    for (const r of rows) await this.push(r.store_id, r.hostname, r.chain_pem, Number(r.push_version));
  }

  async list(storeId?: string): Promise<StoreCertificate[]> {
    const rows = (
      await this.o.pool.query(
        `SELECT c.*, r.status AS store_status, r.problems AS store_problems
         FROM store_certificates c
         LEFT JOIN LATERAL (SELECT status, problems FROM push_results r WHERE r.store_id = c.store_id
           AND r.dataset = 'certificate' AND r.version = c.push_version ORDER BY seq DESC LIMIT 1) r ON true
         WHERE $1::text IS NULL OR c.store_id = $1 ORDER BY c.store_id`,
        [storeId ?? null],
      )
    ).rows;
    const iso = (v: Date | null) => (v ? v.toISOString() : null);
    return rows.map((r) => ({
      storeId: r.store_id,
      hostname: r.hostname,
      state: r.state,
      serial: r.serial,
      notBefore: iso(r.not_before),
      notAfter: iso(r.not_after),
      pushVersion: r.push_version === null ? null : Number(r.push_version),
      pushedAt: iso(r.pushed_at),
      storeStatus: r.store_status ?? null,
      storeProblems: r.store_problems ?? [],
      attempts: r.attempts,
      nextAttemptAt: iso(r.next_attempt_at),
      error: r.error,
    }));
  }

  /** An operator's "renew now": the next round orders a new certificate from the newest CSR. */
  async askRenewal(storeId: string): Promise<boolean> {
    const r = await this.o.pool.query(
      'UPDATE store_certificates SET renew_asked_at = now(), updated_at = now() WHERE store_id = $1',
      [storeId],
    );
    return (r.rowCount ?? 0) > 0;
  }
}

export class CertificatesPart implements Part {
  readonly name = 'certificates';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly desk: StoreCertificates,
    private readonly tickMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.round(), this.tickMs);
  }

  /** one round now (a slow one is never overlapped by the next) */
  round(): Promise<void> {
    if (!this.running)
      this.running = this.desk
        .tick()
        .catch((err) => this.log.error({ err: (err as Error).message }, 'certificate round failed'))
        .finally(() => {
          this.running = null;
        });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
