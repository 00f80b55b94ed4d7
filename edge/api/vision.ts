// People counting for staff: live occupancy, counts and dwell over a period, the floor
// heatmap (JSON or PNG), conversion per hour, and the cameras' state. Numbers only:
// no frame or image of a person is ever served.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { RESOLUTION_MS } from '../vision/buckets.js';
import {
  conversionByHour,
  countSeries,
  dwellSeries,
  heatmapOver,
  zoneDwellVsSales,
} from '../vision/queries.js';
import { renderHeatmapPng } from '../vision/render.js';
import type { BusinessDeps } from './deps.js';
import { ApiError } from './errors.js';

// query strings are not coerced (app.ts): times come as digit strings, epoch ms
const Ms = Type.String({ pattern: '^[0-9]{1,15}$', description: 'epoch ms' });
const Period = {
  from: Type.Optional(Ms),
  to: Type.Optional(Ms),
};
const CameraId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const MAX_BUCKETS = 2000;
const MAX_RANGE_MS = 400 * 86_400_000;

const Occupancy = Type.Object({
  store: Type.Object({
    ins: Type.Integer(),
    outs: Type.Integer(),
    inside: Type.Integer(),
    since: Type.Integer(),
  }),
  cameras: Type.Array(
    Type.Object({
      id: Type.String(),
      visible: Type.Integer(),
      zones: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});

export const visionRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const vision = () => {
    if (!d.vision) throw new ApiError(404, 'NO_VISION', 'this store runs no people counting');
    return d.vision;
  };
  /** Defaults to today so far; refuses reversed or enormous ranges. */
  const period = (q: { from?: string | undefined; to?: string | undefined }) => {
    const to = q.to !== undefined ? Number(q.to) : d.clock();
    const from = q.from !== undefined ? Number(q.from) : to - 86_400_000;
    if (to <= from) throw new ApiError(400, 'BAD_RANGE', 'to must be after from');
    if (to - from > MAX_RANGE_MS) throw new ApiError(400, 'BAD_RANGE', 'at most 400 days at a time');
    return { from, to };
  };

  app.get(
    '/vision/occupancy',
    { config: { access: 'staff' }, schema: { response: { 200: Occupancy } } },
    async (req) => {
      d.staffAuth.require(req);
      return vision().occupancy();
    },
  );

  app.get(
    '/vision/counts',
    {
      config: { access: 'staff' },
      schema: {
        querystring: Type.Object(
          { ...Period, res: Type.Optional(Type.Enum(['1m', '15m', '1h'])), camera: Type.Optional(CameraId) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      const { from, to } = period(req.query);
      const res = req.query.res ?? '15m';
      if ((to - from) / RESOLUTION_MS[res] > MAX_BUCKETS)
        throw new ApiError(
          400,
          'BAD_RANGE',
          `at most ${MAX_BUCKETS} buckets: choose a coarser res or a shorter period`,
        );
      const q = { from, to, res, camera: req.query.camera };
      return { from, to, res, lines: countSeries(d.db, q), zones: dwellSeries(d.db, q) };
    },
  );

  app.get(
    '/vision/conversion',
    {
      config: { access: 'staff' },
      schema: { querystring: Type.Object(Period, { additionalProperties: false }) },
    },
    async (req) => {
      d.staffAuth.require(req);
      const { from, to } = period(req.query);
      if (to - from > 31 * 86_400_000) throw new ApiError(400, 'BAD_RANGE', 'at most 31 days of hours');
      return { from, to, hours: conversionByHour(d.db, from, to) };
    },
  );

  app.get(
    '/vision/zone-sales',
    {
      config: { access: 'staff' },
      schema: { querystring: Type.Object(Period, { additionalProperties: false }) },
    },
    async (req) => {
      d.staffAuth.require(req);
      const { from, to } = period(req.query);
      return { from, to, zones: zoneDwellVsSales(d.db, vision().zoneCategories(), from, to) };
    },
  );

  app.get(
    '/vision/heatmap',
    {
      config: { access: 'staff' },
      schema: {
        querystring: Type.Object(
          { ...Period, camera: CameraId, format: Type.Optional(Type.Enum(['json', 'png'])) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      d.staffAuth.require(req);
      const { from, to } = period(req.query);
      const grid = heatmapOver(d.db, req.query.camera, from, to);
      if (!grid)
        throw new ApiError(404, 'NO_HEATMAP', `no heatmap for camera "${req.query.camera}" in that period`);
      if (req.query.format === 'png') {
        reply.type('image/png').header('cache-control', 'no-store');
        return renderHeatmapPng(grid);
      }
      return grid;
    },
  );

  app.get('/vision/status', { config: { access: 'staff' } }, async (req) => {
    d.staffAuth.require(req);
    return vision().details();
  });
};
