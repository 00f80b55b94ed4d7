// HQ's figures over HTTP (analysts and up): stores ranked by any figure, one store by day
// or hour, guides ranked across stores (or a store's by day), zones against their shelves'
// sales (one zone type across stores too), campaigns, and a period-over-period comparison
// of a store or a zone. A selection is a store, a group or a region (store_profiles), or
// the whole chain.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import { campaignFigures } from '../figures/campaigns.js';
import {
  GUIDE_RANKABLE,
  type GuideBy,
  type GuideRankable,
  guideFigures,
  rankGuides,
} from '../figures/guides.js';
import { countingStores } from '../figures/plausibility.js';
import { queueFigures } from '../figures/queues.js';
import { rankStores } from '../figures/ranking.js';
import { type Bucket, noFigures, RANKABLE, type Rankable, storeFigures } from '../figures/store-figures.js';
import { change, zoneFigures } from '../figures/zones.js';
import type { HqAuth } from './auth.js';
import { GroupName, Limit, limitOf, Ms, StoreId, TimeZone, validZone } from './params.js';
import * as R from './responses.js';

export interface FigureRouteDeps {
  pool: pg.Pool;
  auth: HqAuth;
}

const DAY_MS = 86_400_000;
const Selection = {
  store: Type.Optional(StoreId),
  group: Type.Optional(GroupName),
  region: Type.Optional(GroupName),
};
const Period = { from: Ms, to: Ms };
const ZoneType = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' });

export function periodOf(q: { from: string; to: string }, maxDays: number): { from: number; to: number } {
  const from = Number(q.from);
  const to = Number(q.to);
  if (!(to > from)) throw new ApiError(400, 'BAD_RANGE', '`to` must be after `from`');
  if (to - from > maxDays * DAY_MS) throw new ApiError(400, 'BAD_RANGE', `at most ${maxDays} days`);
  return { from, to };
}

/** The store ids a selection names (null: the whole chain). */
export async function selectStores(
  pool: pg.Pool,
  q: { store?: string | undefined; group?: string | undefined; region?: string | undefined },
): Promise<string[] | null> {
  if ([q.store, q.group, q.region].filter((x) => x !== undefined).length > 1)
    throw new ApiError(400, 'BAD_SELECTION', 'name one of store, group or region');
  if (q.store) return [q.store];
  if (q.group)
    return (
      await pool.query('SELECT store_id FROM store_profiles WHERE $1 = ANY(groups)', [q.group])
    ).rows.map((r) => r.store_id);
  if (q.region)
    return (await pool.query('SELECT store_id FROM store_profiles WHERE region = $1', [q.region])).rows.map(
      (r) => r.store_id,
    );
  return null;
}

export const figureRoutes: FastifyPluginAsync<FigureRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/figures/stores',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.StoreRanking },
        querystring: Type.Object(
          {
            ...Selection,
            ...Period,
            tz: TimeZone,
            sort: Type.Optional(Type.Enum([...RANKABLE])),
            order: Type.Optional(Type.Enum(['asc', 'desc'])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const p = periodOf(req.query, 366);
      const stores = await selectStores(d.pool, req.query);
      const rows = await storeFigures(d.pool, {
        stores,
        ...p,
        timeZone: validZone(req.query.tz ?? 'Asia/Shanghai'),
        bucket: 'total',
      });
      const sort: Rankable = req.query.sort ?? 'netSalesFen';
      const order = req.query.order === 'asc' ? ('asc' as const) : ('desc' as const);
      const ranked = rankStores(rows, sort, order, await countingStores(d.pool, stores));
      const names = await profileNames(d.pool);
      return {
        ...p,
        sort,
        order,
        stores: ranked.map((r) => ({ ...r, name: names.get(r.storeId) ?? null })),
      };
    },
  );

  app.get(
    '/figures/stores/:storeId',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.StoreSeries },
        params: Type.Object({ storeId: StoreId }),
        querystring: Type.Object(
          { ...Period, tz: TimeZone, bucket: Type.Optional(Type.Enum(['total', 'day', 'hour'])) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const bucket = (req.query.bucket ?? 'hour') as Bucket;
      const p = periodOf(req.query, bucket === 'hour' ? 31 : 366);
      const rows = await storeFigures(d.pool, {
        stores: [req.params.storeId],
        ...p,
        timeZone: validZone(req.query.tz ?? 'Asia/Shanghai'),
        bucket,
      });
      return { storeId: req.params.storeId, bucket, ...p, rows };
    },
  );

  app.get(
    '/figures/guides',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.GuideFigures },
        querystring: Type.Object(
          {
            ...Selection,
            ...Period,
            tz: TimeZone,
            by: Type.Optional(Type.Enum(['guide', 'store', 'chain'])),
            bucket: Type.Optional(Type.Enum(['total', 'day'])),
            sort: Type.Optional(Type.Enum([...GUIDE_RANKABLE])),
            order: Type.Optional(Type.Enum(['asc', 'desc'])),
            limit: Limit,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const by = (req.query.by ?? 'guide') as GuideBy;
      const bucket = req.query.bucket ?? 'total';
      const p = periodOf(req.query, bucket === 'day' ? 93 : 366);
      const figures = await guideFigures(d.pool, {
        stores: await selectStores(d.pool, req.query),
        ...p,
        timeZone: validZone(req.query.tz ?? 'Asia/Shanghai'),
        bucket,
        by,
      });
      const sort: GuideRankable = req.query.sort ?? 'netAssistedFen';
      const order = req.query.order === 'asc' ? ('asc' as const) : ('desc' as const);
      // by day: in store, guide and day order; a total: ranked
      const ranked = bucket === 'day' ? figures : rankGuides(figures, sort, order);
      const rows = ranked.slice(0, limitOf(req.query.limit, 1000));
      const names = await profileNames(d.pool);
      return {
        ...p,
        by,
        bucket,
        sort,
        order,
        rows: rows.map((r) => ({ ...r, name: r.storeId === null ? null : (names.get(r.storeId) ?? null) })),
      };
    },
  );

  app.get(
    '/figures/queues',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.QueueFigures },
        querystring: Type.Object(
          {
            ...Selection,
            ...Period,
            tz: TimeZone,
            bucket: Type.Optional(Type.Enum(['total', 'day', 'hour'])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const bucket = req.query.bucket ?? 'total';
      const p = periodOf(req.query, bucket === 'hour' ? 31 : 366);
      const rows = await queueFigures(d.pool, {
        stores: await selectStores(d.pool, req.query),
        ...p,
        timeZone: validZone(req.query.tz ?? 'Asia/Shanghai'),
        bucket,
      });
      return { ...p, bucket, rows };
    },
  );

  app.get(
    '/figures/zones',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.ZoneFigures },
        querystring: Type.Object(
          { ...Selection, ...Period, zoneType: Type.Optional(ZoneType) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const p = periodOf(req.query, 366);
      const zones = await zoneFigures(d.pool, {
        stores: await selectStores(d.pool, req.query),
        ...p,
        zoneType: req.query.zoneType,
      });
      return { ...p, zoneType: req.query.zoneType ?? null, zones };
    },
  );

  app.get(
    '/figures/zone-types',
    { config: { role: 'analyst' }, schema: { response: { 200: R.ZoneTypes } } },
    async (req) => {
      d.auth.require(req, 'analyst');
      const rows = await d.pool.query(
        `WITH layout AS (SELECT DISTINCT ON (store_id) store_id, layout FROM store_layouts ORDER BY store_id, seq DESC)
       SELECT z->>'type' AS zone_type, count(DISTINCT l.store_id)::int AS stores
         FROM layout l, jsonb_array_elements(l.layout->'cameras') c, jsonb_array_elements(c->'zones') z
        GROUP BY 1 ORDER BY 1`,
      );
      return { zoneTypes: rows.rows.map((r) => ({ zoneType: r.zone_type, stores: r.stores })) };
    },
  );

  app.get(
    '/figures/campaigns',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.CampaignFigures },
        querystring: Type.Object({ ...Selection, ...Period }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const p = periodOf(req.query, 366);
      return {
        ...p,
        campaigns: await campaignFigures(d.pool, { stores: await selectStores(d.pool, req.query), ...p }),
      };
    },
  );

  app.get(
    '/figures/compare',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Compare },
        querystring: Type.Object(
          {
            store: StoreId,
            zone: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' })),
            beforeFrom: Ms,
            beforeTo: Ms,
            afterFrom: Ms,
            afterTo: Ms,
            tz: TimeZone,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const q = req.query;
      const before = periodOf({ from: q.beforeFrom, to: q.beforeTo }, 366);
      const after = periodOf({ from: q.afterFrom, to: q.afterTo }, 366);
      const stores = [q.store];
      if (q.zone) {
        const pick = async (p: { from: number; to: number }) =>
          (await zoneFigures(d.pool, { stores, ...p })).find((z) => z.zoneId === q.zone);
        const [a, b] = await Promise.all([pick(before), pick(after)]);
        if (!a && !b) throw new ApiError(404, 'ZONE_NOT_FOUND', `store ${q.store} has no zone ${q.zone}`);
        const empty = { ...(a ?? b)!, visits: 0, dwellMs: 0, avgDwellMs: null, units: 0, salesFen: 0 };
        return {
          store: q.store,
          zone: q.zone,
          before: a ?? empty,
          after: b ?? empty,
          change: change(a ?? empty, b ?? empty),
        };
      }
      const tz = validZone(q.tz ?? 'Asia/Shanghai');
      const one = async (p: { from: number; to: number }) =>
        (await storeFigures(d.pool, { stores, ...p, timeZone: tz, bucket: 'total' }))[0] ??
        noFigures(q.store);
      const [a, b] = await Promise.all([one(before), one(after)]);
      return { store: q.store, zone: null, before: a, after: b, change: change(a, b) };
    },
  );
};

async function profileNames(pool: pg.Pool): Promise<Map<string, string>> {
  const rows = (await pool.query('SELECT store_id, name FROM store_profiles WHERE name IS NOT NULL')).rows;
  return new Map(rows.map((r) => [r.store_id, r.name]));
}
