// Support bundles from stores (edge/support/): an operator asks, HQ sends the store a
// signed request and waits for the bundle on its response topic, checks it (size,
// SHA-256, gzip, JSON of the right kind) and keeps it, so support reads it at HQ
// without reaching the box. The store answers only while it is online; an offline store
// makes the same bundle on the box with `storeedge support-bundle`.
import { createHash, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { ApiError } from '../sync/kernel/errors.js';
import { signPush } from '../sync/signing.js';
import { HqClient } from './store-client.js';

const ANSWER_MS = 60_000;
const MAX_BYTES = 16 * 1024 * 1024;

export interface BundleSummary {
  id: number;
  storeId: string;
  requestedBy: string;
  requestedAt: string;
  state: 'asked' | 'received' | 'failed';
  bytes: number | null;
  error: string | null;
}

const summary = (r: Record<string, unknown>): BundleSummary => ({
  id: Number(r.id),
  storeId: r.store_id as string,
  requestedBy: r.requested_by as string,
  requestedAt: new Date(r.requested_at as string).toISOString(),
  state: r.state as BundleSummary['state'],
  bytes: r.bytes === null ? null : Number(r.bytes),
  error: (r.error as string | null) ?? null,
});

export class SupportBundles {
  private client: Promise<HqClient> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly mqtt: () => MqttClient | null,
    private readonly prefix: string,
    private readonly key: KeyObject | null,
  ) {}

  private asker(): Promise<HqClient> {
    const m = this.mqtt();
    if (!m?.connected) throw new ApiError(503, 'BROKER_DOWN', 'HQ is not connected to the broker');
    this.client ??= HqClient.over(m, this.prefix).catch((err) => {
      this.client = null;
      throw err;
    });
    return this.client;
  }

  async request(by: string, storeId: string): Promise<BundleSummary> {
    if (!this.key) throw new ApiError(503, 'NO_SIGNING_KEY', 'HQ has no push signing key configured');
    const known = await this.pool.query('SELECT online FROM store_state WHERE store_id = $1', [storeId]);
    if (!known.rowCount) throw new ApiError(404, 'STORE_NOT_FOUND', `no store ${storeId}`);
    if (!known.rows[0].online)
      throw new ApiError(
        409,
        'STORE_OFFLINE',
        `store ${storeId} is offline: run storeedge support-bundle on the box`,
      );
    const asker = await this.asker();
    const id = Number(
      (
        await this.pool.query(
          "INSERT INTO support_bundles (store_id, requested_by, state) VALUES ($1, $2, 'asked') RETURNING id",
          [storeId, by],
        )
      ).rows[0].id,
    );
    // each refusal recorded on the bundle's row, then thrown
    const fail = async (e: ApiError): Promise<never> => {
      await this.pool.query("UPDATE support_bundles SET state = 'failed', error = $2 WHERE id = $1", [
        id,
        e.message,
      ]);
      throw e;
    };
    const signed = signPush(this.key, {
      dataset: 'support_bundle',
      version: id,
      issuedAt: Date.now(),
      body: {},
    });
    const answer = (await asker.ask(`${this.prefix}/${storeId}/cmd/support_bundle`, signed, ANSWER_MS)) as {
      status?: string;
      problems?: string[];
      bundle?: { bytes?: number; sha256?: string; gzipBase64?: string };
    } | null;
    if (!answer)
      return fail(
        new ApiError(504, 'STORE_NO_ANSWER', `no answer from ${storeId} in ${ANSWER_MS / 1000} s`, { id }),
      );
    if (answer.status !== 'applied' || !answer.bundle?.gzipBase64)
      return fail(
        new ApiError(
          502,
          'BAD_BUNDLE',
          `the store refused: ${(answer.problems ?? []).join('; ') || answer.status}`,
          { id },
        ),
      );
    const gz = Buffer.from(answer.bundle.gzipBase64, 'base64');
    if (gz.length > MAX_BYTES)
      return fail(
        new ApiError(502, 'BAD_BUNDLE', `bundle of ${gz.length} bytes is over ${MAX_BYTES}`, { id }),
      );
    if (
      gz.length !== answer.bundle.bytes ||
      createHash('sha256').update(gz).digest('hex') !== answer.bundle.sha256
    )
      return fail(new ApiError(502, 'BAD_BUNDLE', 'bundle does not match its own size and SHA-256', { id }));
    let doc: { kind?: unknown; storeId?: unknown };
    try {
      doc = JSON.parse(gunzipSync(gz, { maxOutputLength: 8 * MAX_BYTES }).toString('utf8'));
    } catch (err) {
      return fail(
        new ApiError(502, 'BAD_BUNDLE', `bundle is not gzipped JSON: ${(err as Error).message}`, { id }),
      );
    }
    if (doc?.kind !== 'storeedge-support-bundle' || doc.storeId !== storeId)
      return fail(new ApiError(502, 'BAD_BUNDLE', 'not a support bundle of this store', { id }));
    // NUL cannot be stored in jsonb text: it is dropped (a log line may carry one)
    const r = await this.pool.query(
      `UPDATE support_bundles SET state = 'received', bytes = $2, body = $3::jsonb, received_at = now()
        WHERE id = $1 RETURNING *`,
      [id, gz.length, JSON.stringify(doc).replaceAll('\\u0000', '')],
    );
    return summary(r.rows[0]);
  }

  async list(storeId: string, limit: number): Promise<BundleSummary[]> {
    const r = await this.pool.query(
      'SELECT * FROM support_bundles WHERE store_id = $1 ORDER BY id DESC LIMIT $2',
      [storeId, limit],
    );
    return r.rows.map(summary);
  }

  async get(id: number): Promise<unknown> {
    const r = await this.pool.query("SELECT body FROM support_bundles WHERE id = $1 AND state = 'received'", [
      id,
    ]);
    if (!r.rowCount) throw new ApiError(404, 'BUNDLE_NOT_FOUND', `no support bundle ${id}`);
    return r.rows[0].body;
  }
}
