// HQ's API under /api/v1: sign-in, the stores and their state, each store's sales by day
// with lines and payments, people counts and heatmaps, the quarantine, and pushes with
// per-store status. A schema on every route; lists are paged by a cursor (`after`).

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import { CONFIG_STATES, type ConfigState, configStateSql, DRIFTED } from '../config-drift.js';
import type { PushSender } from '../pushes.js';
import type { HqAuth } from './auth.js';
import { periodOf } from './figures-routes.js';
import { Day, GroupName, Limit, limitOf, Ms, StoreId, TimeZone, validDay, validZone } from './params.js';
import * as R from './responses.js';

/** A store as HQ knows it: its state (from birth, will and heartbeat) and its watermark. */
const APPLIED_CONFIG = `(SELECT max(version) FROM push_results
   WHERE store_id = i.store_id AND dataset = 'config' AND status = 'applied')`;
const CONFIG_STATE = configStateSql(APPLIED_CONFIG);

const STORES_SQL = `
  WITH ids AS (SELECT store_id FROM store_watermarks UNION SELECT store_id FROM store_state
               UNION SELECT store_id FROM store_profiles)
  SELECT i.store_id, s.online, s.last_seen, s.last_state, s.last_heartbeat,
         ${CONFIG_STATE} AS config_state, cp.version AS config_pushed, s.config_report, s.config_reported_at,
         w.contiguous_seq, w.max_seq, w.sent_through, w.events, w.duplicates, w.quarantined, w.resend_requests,
         p.name, p.region, p.groups, p.time_zone, p.floor_plan IS NOT NULL AS has_floor_plan,
         (SELECT coalesce(jsonb_object_agg(dataset, version), '{}') FROM (
            SELECT DISTINCT ON (dataset) dataset, version FROM push_results
             WHERE store_id = i.store_id AND status IN ('applied', 'unchanged')
             ORDER BY dataset, seq DESC) d) AS datasets
    FROM ids i LEFT JOIN store_watermarks w ON w.store_id = i.store_id
         LEFT JOIN store_state s ON s.store_id = i.store_id LEFT JOIN store_profiles p ON p.store_id = i.store_id
         LEFT JOIN store_config_pushes cp ON cp.store_id = i.store_id`;

export interface HqRouteDeps {
  pool: pg.Pool;
  auth: HqAuth;
  pushes: PushSender;
}

function period(q: { from: string; to: string }, maxDays: number): { from: Date; to: Date } {
  const p = periodOf(q, maxDays);
  return { from: new Date(p.from), to: new Date(p.to) };
}

export const hqRoutes: FastifyPluginAsync<HqRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const q = (sql: string, args: unknown[] = []) => d.pool.query(sql, args).then((r) => r.rows);

  app.post(
    '/sessions',
    {
      config: { role: 'public' },
      schema: {
        response: { 201: R.Session },
        body: Type.Object(
          {
            userId: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const s = d.auth.signIn(req.body.userId, req.body.password);
      reply.status(201);
      return s;
    },
  );

  app.delete(
    '/sessions',
    {
      config: { role: 'public' },
      schema: { response: { 204: { description: 'signed out', type: 'null' } } },
    },
    async (req, reply) => {
      d.auth.signOut(req);
      reply.status(204);
    },
  );

  app.get(
    '/stores',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.StoreList },
        querystring: Type.Object(
          {
            limit: Limit,
            after: Type.Optional(StoreId),
            group: Type.Optional(GroupName),
            region: Type.Optional(GroupName),
            online: Type.Optional(Type.Enum(['true', 'false'])),
            configDrift: Type.Optional(
              Type.Enum(['true', 'false'], {
                description: 'true: only stores whose config is not what HQ last pushed them',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const rows = await q(
        `${STORES_SQL} WHERE i.store_id > $1 AND ($3::text IS NULL OR $3 = ANY(p.groups))
            AND ($4::text IS NULL OR p.region = $4) AND ($5::boolean IS NULL OR coalesce(s.online, false) = $5)
            AND ($6::boolean IS NULL OR ((${CONFIG_STATE}) = ANY($7::text[])) = $6)
          ORDER BY 1 LIMIT $2`,
        [
          req.query.after ?? '',
          limitOf(req.query.limit),
          req.query.group ?? null,
          req.query.region ?? null,
          req.query.online === undefined ? null : req.query.online === 'true',
          req.query.configDrift === undefined ? null : req.query.configDrift === 'true',
          DRIFTED,
        ],
      );
      const stores = rows.map(storeView);
      return {
        stores,
        next: stores.length === limitOf(req.query.limit) ? (stores.at(-1)?.storeId ?? null) : null,
      };
    },
  );

  app.get(
    '/stores/:storeId',
    {
      config: { role: 'analyst' },
      schema: { response: { 200: R.StoreView }, params: Type.Object({ storeId: StoreId }) },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const rows = await q(`${STORES_SQL} WHERE i.store_id = $1`, [req.params.storeId]);
      if (!rows.length) throw new ApiError(404, 'STORE_NOT_FOUND', `no store ${req.params.storeId}`);
      return storeView(rows[0]);
    },
  );

  app.get(
    '/stores/:storeId/sales',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Sales },
        params: Type.Object({ storeId: StoreId }),
        querystring: Type.Object(
          {
            day: Day,
            tz: TimeZone,
            limit: Limit,
            after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const tz = validZone(req.query.tz ?? 'Asia/Shanghai');
      validDay(req.query.day);
      const limit = limitOf(req.query.limit, 50);
      const sales = await q(
        `SELECT seq, sale_id, receipt_no, channel, kiosk_id, member_id, gross_fen, promo_discount_fen,
                coupon_discount_fen, total_fen, tax_fen, points_earned, sold_at
           FROM sales WHERE store_id = $1 AND seq > $2
            AND (to_timestamp(sold_at / 1000.0) AT TIME ZONE $3)::date = $4::date
          ORDER BY seq LIMIT $5`,
        [req.params.storeId, Number(req.query.after ?? 0), tz, req.query.day, limit],
      );
      const seqs = sales.map((s: { seq: number }) => s.seq);
      const lines = await q(
        'SELECT seq, line_no, gtin, qty, weight_g, unit_price_fen, gross_fen, final_fen, tax_fen FROM sale_lines WHERE store_id = $1 AND seq = ANY($2) ORDER BY seq, line_no',
        [req.params.storeId, seqs],
      );
      const pays = await q(
        'SELECT seq, kind, amount_fen, reference FROM sale_payments WHERE store_id = $1 AND seq = ANY($2) ORDER BY seq, n',
        [req.params.storeId, seqs],
      );
      return {
        storeId: req.params.storeId,
        day: req.query.day,
        timeZone: tz,
        sales: sales.map((s: Record<string, unknown>) => ({
          ...camel(s),
          lines: lines
            .filter((l: { seq: number }) => l.seq === s.seq)
            .map(({ seq: _s, ...l }: Record<string, unknown>) => camel(l)),
          payments: pays
            .filter((p: { seq: number }) => p.seq === s.seq)
            .map(({ seq: _s, ...p }: Record<string, unknown>) => camel(p)),
        })),
        next: sales.length === limit ? String(sales.at(-1).seq) : null,
      };
    },
  );

  app.get(
    '/stores/:storeId/counts',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Counts },
        params: Type.Object({ storeId: StoreId }),
        querystring: Type.Object({ from: Ms, to: Ms }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const { from, to } = period(req.query, 62);
      const lines = await q(
        `SELECT camera_id, line_id, date_trunc('hour', minute) AS hour, sum(ins)::int AS ins, sum(outs)::int AS outs
           FROM vision_line_counts WHERE store_id = $1 AND minute >= $2 AND minute < $3
          GROUP BY 1, 2, 3 ORDER BY 3, 1, 2`,
        [req.params.storeId, from, to],
      );
      const zones = await q(
        `SELECT camera_id, zone_id, sum(visits)::int AS visits, sum(dwell_ms)::bigint AS dwell_ms
           FROM vision_zone_dwell WHERE store_id = $1 AND minute >= $2 AND minute < $3 GROUP BY 1, 2 ORDER BY 1, 2`,
        [req.params.storeId, from, to],
      );
      return {
        storeId: req.params.storeId,
        from: from.getTime(),
        to: to.getTime(),
        hours: lines.map(camel),
        zones: zones.map(camel),
      };
    },
  );

  app.get(
    '/stores/:storeId/heatmap',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Heatmap },
        params: Type.Object({ storeId: StoreId }),
        querystring: Type.Object(
          { camera: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), from: Ms, to: Ms },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const { from, to } = period(req.query, 31);
      const grids = await q(
        `SELECT cols, rows, cell_m, cells FROM vision_heatmaps
          WHERE store_id = $1 AND camera_id = $2 AND quarter >= $3 AND quarter < $4 ORDER BY quarter`,
        [req.params.storeId, req.query.camera, from, to],
      );
      if (!grids.length)
        return { storeId: req.params.storeId, camera: req.query.camera, quarters: 0, grid: null };
      // the latest floor plan's size wins; grids of another size are left out
      const last = grids.at(-1);
      const sum = new Array<number>(last.cols * last.rows).fill(0);
      let quarters = 0;
      for (const g of grids) {
        if (g.cols !== last.cols || g.rows !== last.rows) continue;
        quarters++;
        g.cells.forEach((v: number, i: number) => {
          sum[i] = (sum[i] ?? 0) + v;
        });
      }
      return {
        storeId: req.params.storeId,
        camera: req.query.camera,
        quarters,
        grid: {
          cols: last.cols,
          rows: last.rows,
          cellM: last.cell_m,
          cells: sum.map((v) => Math.round(v * 10) / 10),
        },
        peopleSeconds: Math.round(sum.reduce((a, v) => a + v, 0)),
      };
    },
  );

  app.get(
    '/quarantine',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Quarantine },
        querystring: Type.Object(
          {
            store: Type.Optional(StoreId),
            limit: Limit,
            after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const limit = limitOf(req.query.limit);
      const rows = await q(
        `SELECT id, store_id, seq, topic, reason, detail, payload, received_at FROM quarantine
          WHERE id > $1 AND ($2::text IS NULL OR store_id = $2) ORDER BY id LIMIT $3`,
        [Number(req.query.after ?? 0), req.query.store ?? null, limit],
      );
      return { entries: rows.map(camel), next: rows.length === limit ? String(rows.at(-1).id) : null };
    },
  );

  app.post(
    '/pushes',
    {
      config: { role: 'operator' },
      schema: {
        response: { 202: R.PushAccepted },
        body: Type.Object(
          {
            dataset: Type.String({ minLength: 1, maxLength: 40 }),
            version: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
            body: Type.Unknown(),
            stores: Type.Optional(Type.Array(StoreId, { minItems: 1, maxItems: 5000 })),
            group: Type.Optional(GroupName),
            region: Type.Optional(GroupName),
            all: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const s = d.auth.require(req, 'operator');
      const r = await d.pushes.send(s.userId, req.body);
      reply.status(202);
      return r;
    },
  );

  app.get(
    '/pushes',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.PushList },
        querystring: Type.Object({ limit: Limit }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return { pushes: await d.pushes.list(limitOf(req.query.limit, 20)) };
    },
  );

  app.get(
    '/pushes/:id',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.PushStatus },
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return d.pushes.status(Number(req.params.id));
    },
  );
};

/** A row with its columns in camelCase; checked against the route's response schema on the way out. */
// biome-ignore lint/suspicious/noExplicitAny: rows from PostgreSQL are typed by the response schema that serializes them
const camel = (row: Record<string, unknown>): any =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );

/** The store's config drift (hq/config-drift.ts), with what it reported and when. */
function configView(r: Record<string, unknown>) {
  const report = r.config_report as { digest?: string; hq?: { version?: number } | null } | null;
  const state = r.config_state as ConfigState;
  return {
    state,
    drifted: DRIFTED.includes(state),
    meaning: CONFIG_STATES[state],
    pushedVersion: r.config_pushed === null || r.config_pushed === undefined ? null : Number(r.config_pushed),
    runningVersion: report?.hq?.version ?? null,
    digest: report?.digest ?? null,
    reportedAt: r.config_reported_at ? new Date(r.config_reported_at as string).toISOString() : null,
  };
}

function storeView(r: Record<string, unknown>) {
  const state = (r.last_state ?? {}) as { version?: string };
  const beat = (r.last_heartbeat ?? {}) as {
    at?: number;
    backlog?: unknown;
    openAlerts?: number;
    vision?: { model?: { id?: string; version?: string; pushedVersion?: number | null } | null };
  };
  const model = beat.vision?.model;
  return {
    storeId: r.store_id as string,
    name: (r.name as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    groups: (r.groups as string[] | null) ?? [],
    timeZone: (r.time_zone as string | null) ?? 'Asia/Shanghai',
    hasFloorPlan: Boolean(r.has_floor_plan),
    online: Boolean(r.online),
    lastSeen: r.last_seen ? new Date(r.last_seen as string).toISOString() : null,
    lastHeartbeat: typeof beat.at === 'number' ? new Date(beat.at).toISOString() : null,
    version: state.version ?? null,
    model: model ? `${model.id ?? '?'}@${model.version ?? '?'}` : null,
    datasets: (r.datasets ?? {}) as Record<string, number>,
    config: configView(r),
    backlog: beat.backlog ?? null,
    openAlerts: typeof beat.openAlerts === 'number' ? beat.openAlerts : null,
    events: {
      contiguousSeq: (r.contiguous_seq as number) ?? 0,
      maxSeq: (r.max_seq as number) ?? 0,
      sentThrough: (r.sent_through as number) ?? 0,
      stored: (r.events as number) ?? 0,
      duplicates: (r.duplicates as number) ?? 0,
      quarantined: (r.quarantined as number) ?? 0,
      resendRequests: (r.resend_requests as number) ?? 0,
    },
  };
}
