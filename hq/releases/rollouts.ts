// Software rollouts: one release to a set of stores (named, a group, a region or all),
// `batchSize` stores at a time, halted when more than `maxFailures` stores end rolled
// back or rejected (as AWS Greengrass and Azure Device Update stop a deployment). The
// state lives in PostgreSQL and each step is taken under a row lock, so several HQ API
// processes may tick together; what each store says comes back as software.status
// events (projected into software_status), never from the push's reply alone.
import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { ApiError } from '../../sync/kernel/errors.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import { signPush } from '../../sync/signing.js';
import { inTransaction } from '../db/pg.js';
import type { PushSender } from '../pushes.js';
import type { Bundles } from './bundles.js';
import type { Deltas } from './deltas.js';
import { windowsOf } from './windows.js';

export const FINAL = ['healthy', 'rolled_back', 'rejected'] as const;
const FAILED = ['rolled_back', 'rejected'];
/** a store sent the push and silent this long gets it again (stores take a repeat as unchanged) */
const RESEND_SILENT_MS = 5 * 60_000;

export interface RolloutRequest {
  version: string;
  arch?: string | undefined;
  stores?: string[] | undefined;
  group?: string | undefined;
  region?: string | undefined;
  all?: boolean | undefined;
  batchSize?: number | undefined;
  maxFailures?: number | undefined;
  /** switch whatever the stores' maintenance windows say */
  urgent?: boolean | undefined;
}

export interface RolloutStatus {
  id: number;
  version: string;
  arch: string;
  state: 'running' | 'done' | 'halted';
  reason: string | null;
  batchSize: number;
  maxFailures: number;
  urgent: boolean;
  target: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  counts: Record<string, number>;
  stores: {
    storeId: string;
    sentAt: string | null;
    state: string;
    reason: string | null;
    /** staged and held for the store's maintenance window: when it opens, and the window */
    switchAt?: string;
    window?: { from: string; to: string; timeZone: string };
  }[];
}

export class Rollouts {
  constructor(
    private readonly pool: pg.Pool,
    private readonly bundles: Bundles,
    private readonly pushes: PushSender,
    private readonly mqtt: () => MqttClient | null,
    private readonly prefix: string,
    private readonly key: KeyObject | null,
    private readonly publicUrl: string,
    private readonly log: Logger,
    private readonly deltas: Deltas | null = null,
  ) {}

  /** `origin`: the address the operator reached HQ's API at, when releases.publicUrl is not set */
  async create(by: string, r: RolloutRequest, origin: string): Promise<RolloutStatus> {
    if (!this.key) throw new ApiError(503, 'NO_SIGNING_KEY', 'HQ has no push signing key configured');
    const arch = r.arch ?? 'x64';
    await this.bundles.get(r.version, arch); // 404 when never uploaded
    const targets = await this.pushes.targets(r);
    const target = r.all
      ? { all: true }
      : r.group
        ? { group: r.group }
        : r.region
          ? { region: r.region }
          : {};
    const id = await inTransaction(this.pool, async (c) => {
      const id = Number(
        (
          await c.query(
            `INSERT INTO rollouts (version, arch, target, batch_size, max_failures, download_url, created_by, urgent)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
            [
              r.version,
              arch,
              JSON.stringify({ ...target, stores: targets }),
              r.batchSize ?? 10,
              r.maxFailures ?? 0,
              `${(this.publicUrl || origin).replace(/\/$/, '')}/api/v1/releases/${r.version}/${arch}/bundle`,
              by,
              r.urgent === true,
            ],
          )
        ).rows[0].id,
      );
      await c.query('INSERT INTO rollout_targets (rollout_id, store_id) SELECT $1, unnest($2::text[])', [
        id,
        targets,
      ]);
      return id;
    });
    await this.tickOne(id);
    return this.status(id);
  }

  /** Every running rollout: its next batch, or its end. */
  async tick(): Promise<void> {
    const ids = (await this.pool.query("SELECT id FROM rollouts WHERE state = 'running' ORDER BY id")).rows;
    for (const { id } of ids) await this.tickOne(Number(id));
  }

  private async tickOne(id: number): Promise<void> {
    const client = this.mqtt();
    const plan = await inTransaction(this.pool, async (c) => {
      const ro = (
        await c.query(
          `SELECT r.*, b.sha256, b.bytes, b.schema FROM rollouts r JOIN releases b USING (version, arch)
            WHERE r.id = $1 AND r.state = 'running' FOR UPDATE OF r SKIP LOCKED`,
          [id],
        )
      ).rows[0];
      if (!ro) return null; // finished, or another HQ process holds it this tick
      const rows = (await c.query(STORE_STATES, [id])).rows as {
        store_id: string;
        sent_at: Date | null;
        state: string | null;
      }[];
      const failed = rows.filter((x) => x.state && FAILED.includes(x.state)).length;
      const inFlight = rows.filter((x) => x.sent_at && !FINAL.includes(x.state as never)).length;
      const unsent = rows.filter((x) => !x.sent_at).map((x) => x.store_id);
      // sent and never heard of: the publish may have been lost with HQ's broker connection
      const silent = rows
        .filter((x) => x.sent_at && !x.state && Date.now() - x.sent_at.getTime() > RESEND_SILENT_MS)
        .map((x) => x.store_id);
      if (failed > ro.max_failures) {
        await c.query("UPDATE rollouts SET state = 'halted', reason = $2 WHERE id = $1", [
          id,
          `${failed} of ${rows.length} stores failed (more than ${ro.max_failures} allowed); ${unsent.length} not sent`,
        ]);
        this.log.warn({ rollout: id, failed }, 'rollout halted');
        return null;
      }
      if (!unsent.length && !inFlight) {
        await c.query("UPDATE rollouts SET state = 'done' WHERE id = $1", [id]);
        return null;
      }
      if (!client?.connected) return null;
      const send = [...silent, ...unsent.slice(0, Math.max(0, ro.batch_size - inFlight))];
      if (!send.length) return null;
      await c.query(
        'UPDATE rollout_targets SET sent_at = now() WHERE rollout_id = $1 AND store_id = ANY($2)',
        [id, send],
      );
      const body = manifestOf(ro);
      // each store's own window, read as it is now (none for an urgent rollout)
      const windows = ro.urgent ? new Map() : await windowsOf(c, send);
      // the version each store said it runs, for a delta from it
      const running = new Map<string, string>(
        (
          await c.query(
            "SELECT store_id, last_state->>'version' AS version FROM store_state WHERE store_id = ANY($1)",
            [send],
          )
        ).rows
          .filter((x: { version: string | null }) => x.version)
          .map((x: { store_id: string; version: string }) => [x.store_id, x.version]),
      );
      return { send, body, windows, running, version: ro.version as string, arch: ro.arch as string };
    });
    if (!plan || !client || !this.key) return;
    // deltas made (or found) outside the rollout's lock: one per version the stores run;
    // a store that kept no bundle of its version ignores the offer and downloads the full one
    const deltas = new Map<string, Record<string, unknown> | null>();
    for (const from of new Set(plan.running.values())) {
      const d = this.deltas
        ? await this.deltas.get(from, plan.version, plan.arch).catch((err: Error) => {
            this.log.warn({ from, to: plan.version, err: err.message }, 'no delta made: full bundles');
            return null;
          })
        : null;
      deltas.set(
        from,
        d
          ? { ...d, url: String(plan.body.url).replace(/\/bundle$/, `/delta/${encodeURIComponent(from)}`) }
          : null,
      );
    }
    // the rollout's id is the push's version: stores refuse one older than they have seen;
    // stores with the same window share one signed message
    const signed = new Map<string, string>();
    for (const s of plan.send) {
      const w = plan.windows.get(s);
      const from = plan.running.get(s);
      const delta = from ? deltas.get(from) : null;
      const k = `${w ? `${w.from}-${w.to}` : ''}|${delta ? from : ''}`;
      let msg = signed.get(k);
      if (!msg) {
        msg = JSON.stringify(
          signPush(this.key, {
            dataset: 'software',
            version: id,
            issuedAt: Date.now(),
            body: { ...plan.body, ...(w ? { window: w } : {}), ...(delta ? { delta } : {}) },
          }),
        );
        signed.set(k, msg);
      }
      await client.publishAsync(`${this.prefix}/${s}/cmd/software`, msg, { qos: 1 });
    }
    this.log.info({ rollout: id, stores: plan.send }, 'rollout batch sent');
  }

  /**
   * The rollout as a file for a store with no WAN (`storeedge update --from FILE`): HQ's
   * signed push, as the stores get it on their command topic (no maintenance window: the
   * person installing it chooses the moment), and the bundle it names.
   */
  async offline(id: number): Promise<{ push: string; file: string; version: string; arch: string }> {
    if (!this.key) throw new ApiError(503, 'NO_SIGNING_KEY', 'HQ has no push signing key configured');
    const ro = (
      await this.pool.query(
        'SELECT r.*, b.sha256, b.bytes, b.schema FROM rollouts r JOIN releases b USING (version, arch) WHERE r.id = $1',
        [id],
      )
    ).rows[0];
    if (!ro) throw new ApiError(404, 'ROLLOUT_NOT_FOUND', `no rollout ${id}`);
    const push = JSON.stringify(
      signPush(this.key, { dataset: 'software', version: id, issuedAt: Date.now(), body: manifestOf(ro) }),
    );
    return { push, file: this.bundles.file(ro.version, ro.arch), version: ro.version, arch: ro.arch };
  }

  async status(id: number): Promise<RolloutStatus> {
    const ro = (await this.pool.query('SELECT * FROM rollouts WHERE id = $1', [id])).rows[0];
    if (!ro) throw new ApiError(404, 'ROLLOUT_NOT_FOUND', `no rollout ${id}`);
    const rows = (await this.pool.query(STORE_STATES, [id])).rows;
    const counts: Record<string, number> = { pending: 0 };
    const stores = rows.map(
      (x: {
        store_id: string;
        sent_at: Date | null;
        state: string | null;
        reason: string | null;
        switch_at: string | null;
        maint_window: { from: string; to: string; timeZone: string } | null;
      }) => {
        const state = x.state ?? (x.sent_at ? 'sent' : 'pending');
        counts[state] = (counts[state] ?? 0) + 1;
        return {
          storeId: x.store_id,
          sentAt: x.sent_at ? new Date(x.sent_at).toISOString() : null,
          state,
          reason: x.reason,
          ...(state === 'installed' && x.switch_at !== null
            ? { switchAt: new Date(Number(x.switch_at)).toISOString() }
            : {}),
          ...(state === 'installed' && x.maint_window ? { window: x.maint_window } : {}),
        };
      },
    );
    return {
      id: Number(ro.id),
      version: ro.version,
      arch: ro.arch,
      state: ro.state,
      reason: ro.reason,
      batchSize: ro.batch_size,
      maxFailures: ro.max_failures,
      urgent: ro.urgent,
      target: ro.target,
      createdBy: ro.created_by,
      createdAt: new Date(ro.created_at).toISOString(),
      counts,
      stores,
    };
  }

  async list(limit: number): Promise<RolloutStatus[]> {
    const ids = (await this.pool.query('SELECT id FROM rollouts ORDER BY id DESC LIMIT $1', [limit])).rows;
    return Promise.all(ids.map((x: { id: string }) => this.status(Number(x.id))));
  }
}

/** The release manifest a rollout's push carries (a store's window is added per store). */
function manifestOf(ro: {
  version: string;
  arch: string;
  sha256: string;
  bytes: string | number;
  download_url: string;
  schema: unknown;
  urgent: boolean;
}): Record<string, unknown> {
  return {
    version: ro.version,
    arch: ro.arch,
    sha256: ro.sha256,
    bytes: Number(ro.bytes),
    url: ro.download_url,
    ...(ro.schema ? { schema: ro.schema } : {}),
    ...(ro.urgent ? { urgent: true } : {}),
  };
}

/** Each target store of a rollout with the last thing it said of it. */
const STORE_STATES = `
  SELECT t.store_id, t.sent_at, s.state, s.reason, s.switch_at, s.maint_window FROM rollout_targets t
    LEFT JOIN LATERAL (SELECT state, reason, switch_at, maint_window FROM software_status
                        WHERE store_id = t.store_id AND rollout = t.rollout_id ORDER BY seq DESC LIMIT 1) s ON true
   WHERE t.rollout_id = $1 ORDER BY t.store_id`;

/** The rollouts' clock in HQ's service: ticks while the API runs. */
export class RolloutsPart implements Part {
  readonly name = 'rollouts';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly rollouts: () => Rollouts,
    private readonly tickMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return; // a slow tick is never overlapped by the next
      this.running = this.rollouts()
        .tick()
        .catch((err) => this.log.error({ err: (err as Error).message }, 'rollout tick failed'))
        .finally(() => {
          this.running = null;
        });
    }, this.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
