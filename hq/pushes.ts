// Pushes from HQ to one store, a group or the whole chain: signed with HQ's key, sent on
// each store's command topic (the broker keeps it for a store that is offline: stores
// hold persistent sessions), recorded with its targets. Each store's answer comes back
// as a push.* event in its outbox, projected into push_results, so the status of a push
// per store survives lost replies and outages.
import { createHash, type KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { canonicalJson } from '../sync/canonical-json.js';
import { ApiError } from '../sync/kernel/errors.js';
import { PUSHABLE } from '../sync/pushes.js';
import { signPush } from '../sync/signing.js';
import { pushBodyProblems } from '../sync/wire-check.js';
import { inTransaction } from './db/pg.js';

/** What a store takes as a push: its datasets and config (sync/pushes.ts) and vision models. */
export const DATASETS: readonly string[] = [...PUSHABLE, 'model'];

export interface PushRequest {
  dataset: string;
  version: number;
  body: unknown;
  /** exactly one of: the stores by id, a group or region (store_profiles), or all */
  stores?: string[] | undefined;
  group?: string | undefined;
  region?: string | undefined;
  all?: boolean | undefined;
}

export interface PushStatus {
  id: number;
  dataset: string;
  version: number;
  createdBy: string;
  createdAt: string;
  target: { all?: true; group?: string; region?: string; stores?: string[] };
  counts: Record<'pending' | 'applied' | 'unchanged' | 'rejected', number>;
  stores: { storeId: string; status: string; problems: string[] }[];
}

export class PushSender {
  constructor(
    private readonly pool: pg.Pool,
    private readonly mqtt: () => MqttClient | null,
    private readonly prefix: string,
    private readonly key: KeyObject | null,
  ) {}

  async send(by: string, r: PushRequest): Promise<{ id: number; targets: number }> {
    if (!this.key) throw new ApiError(503, 'NO_SIGNING_KEY', 'HQ has no push signing key configured');
    if (!DATASETS.includes(r.dataset))
      throw new ApiError(
        422,
        'UNKNOWN_DATASET',
        `dataset must be one of ${DATASETS.join(', ')} (software goes out as a rollout: POST /rollouts)`,
      );
    // the same schema the stores check it by (sync/wire-schemas.ts): a bad body is the
    // operator's to fix now, not every store's to refuse later
    const problems = pushBodyProblems(r.dataset, r.body);
    if (problems.length)
      throw new ApiError(422, 'INVALID_PUSH', `the ${r.dataset} body breaks its schema`, problems);
    const targets = await this.targets(r);
    const client = this.mqtt();
    if (!client?.connected) throw new ApiError(503, 'BROKER_DOWN', 'HQ is not connected to the broker');
    const sha = createHash('sha256').update(canonicalJson(r.body)).digest('hex');

    const id: number = await inTransaction(this.pool, async (c) => {
      const ins = await c.query(
        `INSERT INTO pushes (dataset, version, target, body_sha256, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dataset, version) DO NOTHING RETURNING id`,
        [
          r.dataset,
          r.version,
          JSON.stringify(
            r.all
              ? { all: true }
              : r.group
                ? { group: r.group, stores: targets }
                : r.region
                  ? { region: r.region, stores: targets }
                  : { stores: targets },
          ),
          sha,
          by,
        ],
      );
      if (!ins.rows.length)
        throw new ApiError(409, 'VERSION_EXISTS', `${r.dataset} version ${r.version} was pushed already`);
      await c.query('INSERT INTO push_targets (push_id, store_id) SELECT $1, unnest($2::text[])', [
        ins.rows[0].id,
        targets,
      ]);
      // what HQ last pushed each store's config as: drift is read against it (one row a store)
      if (r.dataset === 'config')
        await c.query(
          `INSERT INTO store_config_pushes (store_id, push_id, version, body_sha256)
           SELECT unnest($1::text[]), $2, $3, $4
           ON CONFLICT (store_id) DO UPDATE SET push_id = excluded.push_id, version = excluded.version,
             body_sha256 = excluded.body_sha256, pushed_at = now()
           WHERE store_config_pushes.version < excluded.version`,
          [targets, ins.rows[0].id, r.version, sha],
        );
      return ins.rows[0].id;
    });
    const signed = JSON.stringify(
      signPush(this.key, { dataset: r.dataset, version: r.version, issuedAt: Date.now(), body: r.body }),
    );
    let sent = 0;
    try {
      if (r.all) await client.publishAsync(`${this.prefix}/all/cmd/${r.dataset}`, signed, { qos: 1 });
      else
        for (const s of targets) {
          await client.publishAsync(`${this.prefix}/${s}/cmd/${r.dataset}`, signed, { qos: 1 });
          sent++;
        }
    } catch (err) {
      // recorded but not (all) sent: the stores not reached stay pending; push the next version
      throw new ApiError(
        503,
        'BROKER_DOWN',
        `the broker went away while pushing: ${(err as Error).message}`,
        {
          id,
          sent: r.all ? 0 : sent,
        },
      );
    }
    return { id, targets: targets.length };
  }

  /** The stores a push or a rollout names (exactly one of: stores, group, region, all), each known to HQ. */
  async targets(r: Pick<PushRequest, 'stores' | 'group' | 'region' | 'all'>): Promise<string[]> {
    const named = [Boolean(r.all), Boolean(r.stores?.length), r.group !== undefined, r.region !== undefined];
    if (named.filter(Boolean).length !== 1)
      throw new ApiError(422, 'BAD_TARGET', 'name the stores, a group, a region or all: true (one of them)');
    const known = (
      await this.pool.query(
        'SELECT store_id FROM store_watermarks UNION SELECT store_id FROM store_state ORDER BY store_id',
      )
    ).rows.map((x: { store_id: string }) => x.store_id);
    const targets = r.all ? known : r.stores ? [...new Set(r.stores)] : await this.members(r);
    if (!targets.length)
      throw new ApiError(
        422,
        'EMPTY_TARGET',
        `no store is in ${r.group ? 'group' : 'region'} ${r.group ?? r.region}`,
      );
    const unknown = targets.filter((s) => !known.includes(s));
    if (unknown.length)
      throw new ApiError(422, 'UNKNOWN_STORE', `no such store: ${unknown.slice(0, 5).join(', ')}`, {
        unknown,
      });
    return targets;
  }

  /** The stores of a group or region, as HQ's profiles say now. */
  private async members(r: Pick<PushRequest, 'group' | 'region'>): Promise<string[]> {
    const rows = r.group
      ? await this.pool.query('SELECT store_id FROM store_profiles WHERE $1 = ANY(groups) ORDER BY 1', [
          r.group,
        ])
      : await this.pool.query('SELECT store_id FROM store_profiles WHERE region = $1 ORDER BY 1', [r.region]);
    return rows.rows.map((x: { store_id: string }) => x.store_id);
  }

  /** The latest pushes, newest first, with their counts. */
  async list(limit: number): Promise<PushStatus[]> {
    const ids = (await this.pool.query('SELECT id FROM pushes ORDER BY id DESC LIMIT $1', [limit])).rows;
    return Promise.all(ids.map((x: { id: number }) => this.status(x.id)));
  }

  async status(id: number): Promise<PushStatus> {
    const p = (await this.pool.query('SELECT * FROM pushes WHERE id = $1', [id])).rows[0];
    if (!p) throw new ApiError(404, 'PUSH_NOT_FOUND', `no push ${id}`);
    const rows = (
      await this.pool.query(
        `SELECT t.store_id, r.status, r.problems FROM push_targets t
           LEFT JOIN LATERAL (
             SELECT status, problems FROM push_results
              WHERE store_id = t.store_id AND dataset = $2 AND version = $3 ORDER BY seq DESC LIMIT 1
           ) r ON true
          WHERE t.push_id = $1 ORDER BY t.store_id`,
        [id, p.dataset, p.version],
      )
    ).rows;
    const counts = { pending: 0, applied: 0, unchanged: 0, rejected: 0 };
    const stores = rows.map((x: { store_id: string; status: string | null; problems: string[] | null }) => {
      const status = (x.status ?? 'pending') as keyof typeof counts;
      counts[status] = (counts[status] ?? 0) + 1;
      return { storeId: x.store_id, status, problems: x.problems ?? [] };
    });
    return {
      id: p.id,
      dataset: p.dataset,
      version: p.version,
      createdBy: p.created_by,
      createdAt: new Date(p.created_at).toISOString(),
      target: p.target,
      counts,
      stores,
    };
  }
}
