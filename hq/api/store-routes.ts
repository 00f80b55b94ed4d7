// What HQ's people say of a store (operators write, analysts read): its name, region,
// groups and time zone, and its floor plan image. A floor plan is decoded and re-encoded
// by sharp before it is kept: PNG, JPEG or WebP only (never SVG, which could carry
// script), at most 4 MB and 40 megapixels, metadata dropped, scaled to fit 2000 px.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import sharp, { type Metadata } from 'sharp';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import type { HqAuth } from './auth.js';
import { GroupName, StoreId, validZone } from './params.js';
import * as R from './responses.js';

export interface StoreRouteDeps {
  pool: pg.Pool;
  auth: HqAuth;
}

export const FLOOR_PLAN_MAX_BYTES = 4 * 1024 * 1024;
const FLOOR_PLAN_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const FORMATS = new Set(['png', 'jpeg', 'webp']);
const MAX_SIDE = 2000;

/** The image re-encoded as PNG, or a 4xx that says why not. */
export async function cleanFloorPlan(bytes: Buffer): Promise<{ png: Buffer; width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: 40_000_000 }).metadata();
  } catch (err) {
    throw new ApiError(422, 'BAD_IMAGE', `not an image sharp can read: ${(err as Error).message}`);
  }
  // the declared type is the sender's word; the bytes decide
  if (!meta.format || !FORMATS.has(meta.format))
    throw new ApiError(
      415,
      'UNSUPPORTED_IMAGE',
      `a floor plan is PNG, JPEG or WebP, not ${meta.format ?? 'unknown'}`,
    );
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 40_000_000, failOn: 'error' })
      .rotate()
      .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { png: data, width: info.width, height: info.height };
  } catch (err) {
    throw new ApiError(422, 'BAD_IMAGE', `the image does not decode: ${(err as Error).message}`);
  }
}

export const storeRoutes: FastifyPluginAsync<StoreRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // image bodies for the floor plan only (this plugin's scope); any other type is a 415
  app.addContentTypeParser(
    FLOOR_PLAN_TYPES,
    { parseAs: 'buffer', bodyLimit: FLOOR_PLAN_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.put(
    '/stores/:storeId/profile',
    {
      config: { role: 'operator' },
      schema: {
        response: { 200: R.Profile },
        params: Type.Object({ storeId: StoreId }),
        body: Type.Object(
          {
            name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 80 }), Type.Null()])),
            region: Type.Optional(Type.Union([GroupName, Type.Null()])),
            groups: Type.Optional(Type.Array(GroupName, { maxItems: 20, uniqueItems: true })),
            timeZone: Type.Optional(Type.String({ pattern: '^[A-Za-z_]+(/[A-Za-z_+-]+){0,2}$' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (req) => {
      const s = d.auth.require(req, 'operator');
      const b = req.body;
      if (b.timeZone) validZone(b.timeZone);
      const r = await d.pool.query(
        `INSERT INTO store_profiles (store_id, name, region, groups, time_zone, updated_by)
         VALUES ($1, $2, $3, coalesce($4, '{}'::text[]), coalesce($5, 'Asia/Shanghai'), $6)
         ON CONFLICT (store_id) DO UPDATE SET
           name = CASE WHEN $7 THEN EXCLUDED.name ELSE store_profiles.name END,
           region = CASE WHEN $8 THEN EXCLUDED.region ELSE store_profiles.region END,
           groups = coalesce($4, store_profiles.groups),
           time_zone = coalesce($5, store_profiles.time_zone),
           updated_by = $6, updated_at = now()
         RETURNING store_id, name, region, groups, time_zone`,
        [
          req.params.storeId,
          b.name ?? null,
          b.region ?? null,
          b.groups ?? null,
          b.timeZone ?? null,
          s.userId,
          'name' in b,
          'region' in b,
        ],
      );
      const p = r.rows[0];
      return { storeId: p.store_id, name: p.name, region: p.region, groups: p.groups, timeZone: p.time_zone };
    },
  );

  app.get(
    '/groups',
    { config: { role: 'analyst' }, schema: { response: { 200: R.Groups } } },
    async (req) => {
      d.auth.require(req, 'analyst');
      const groups = await d.pool.query(
        'SELECT g AS name, count(*)::int AS stores FROM store_profiles, unnest(groups) g GROUP BY 1 ORDER BY 1',
      );
      const regions = await d.pool.query(
        'SELECT region AS name, count(*)::int AS stores FROM store_profiles WHERE region IS NOT NULL GROUP BY 1 ORDER BY 1',
      );
      return { groups: groups.rows, regions: regions.rows };
    },
  );

  app.put(
    '/stores/:storeId/floor-plan',
    {
      config: { role: 'operator' },
      schema: { response: { 201: R.FloorPlanStored }, params: Type.Object({ storeId: StoreId }) },
      bodyLimit: FLOOR_PLAN_MAX_BYTES,
    },
    async (req, reply) => {
      const s = d.auth.require(req, 'operator');
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw new ApiError(415, 'UNSUPPORTED_IMAGE', `send the image as ${FLOOR_PLAN_TYPES.join(', ')}`);
      const img = await cleanFloorPlan(req.body);
      await d.pool.query(
        `INSERT INTO store_profiles (store_id, floor_plan, floor_plan_width, floor_plan_height, updated_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (store_id) DO UPDATE SET floor_plan = $2, floor_plan_width = $3, floor_plan_height = $4,
           updated_by = $5, updated_at = now()`,
        [req.params.storeId, img.png, img.width, img.height, s.userId],
      );
      reply.status(201);
      return { storeId: req.params.storeId, width: img.width, height: img.height, bytes: img.png.length };
    },
  );

  app.get(
    '/stores/:storeId/floor-plan',
    {
      config: { role: 'analyst' },
      schema: { response: { 200: R.pngImage }, params: Type.Object({ storeId: StoreId }) },
    },
    async (req, reply) => {
      d.auth.require(req, 'analyst');
      const r = await d.pool.query('SELECT floor_plan FROM store_profiles WHERE store_id = $1', [
        req.params.storeId,
      ]);
      const png = r.rows[0]?.floor_plan as Buffer | null | undefined;
      if (!png) throw new ApiError(404, 'NO_FLOOR_PLAN', `store ${req.params.storeId} has no floor plan`);
      reply.header('content-type', 'image/png').header('cache-control', 'private, no-store');
      return png;
    },
  );

  app.get(
    '/stores/:storeId/layout',
    {
      config: { role: 'analyst' },
      schema: { response: { 200: R.Layout }, params: Type.Object({ storeId: StoreId }) },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const r = await d.pool.query(
        'SELECT layout, at FROM store_layouts WHERE store_id = $1 ORDER BY seq DESC LIMIT 1',
        [req.params.storeId],
      );
      if (!r.rows.length)
        throw new ApiError(404, 'NO_LAYOUT', `store ${req.params.storeId} sent no layout yet`);
      return { storeId: req.params.storeId, at: r.rows[0].at, ...r.rows[0].layout };
    },
  );
};
