// People counting for staff: live occupancy, the kiosks' queues and their hours, counts
// and dwell over a period, the floor
// heatmap (JSON, or a PNG over the floor plan), conversion per hour, the cameras' state
// and each camera's still scene with what it ignores. No frame is ever served: the
// pictures are drawn from the camera's running median, which people walking by leave
// no trace in, and from memory only (edge/vision/render.ts).

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import { RESOLUTION_MS } from '../vision/buckets.js';
import {
  conversionByHour,
  countSeries,
  dwellSeries,
  heatmapOver,
  zoneDwellVsSales,
} from '../vision/queries.js';
import { queueHours } from '../vision/queues.js';
import { renderHeatmapPng, renderScenePng } from '../vision/render.js';
import type { BusinessDeps } from './deps.js';

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

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Counts = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  res: Type.String(),
  lines: Type.Array(
    Type.Object({
      cameraId: Type.String(),
      lineId: Type.String(),
      bucket: Type.Integer(),
      footfall: Type.Boolean(),
      ins: Type.Integer(),
      outs: Type.Integer(),
    }),
  ),
  zones: Type.Array(
    Type.Object({
      cameraId: Type.String(),
      zoneId: Type.String(),
      bucket: Type.Integer(),
      visits: Type.Integer(),
      dwellMs: Type.Integer(),
      avgDwellMs: Type.Integer(),
    }),
  ),
});
const Conversion = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  hours: Type.Array(
    Type.Object({
      hour: Type.Integer(),
      footfall: Type.Integer(),
      sales: Type.Integer(),
      conversion: Nullable(Type.Number()),
    }),
  ),
});
const ZoneSales = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  zones: Type.Array(
    Type.Object({
      cameraId: Type.String(),
      zoneId: Type.String(),
      categories: Type.Array(Type.String()),
      visits: Type.Integer(),
      avgDwellMs: Type.Integer(),
      units: Type.Integer(),
      salesFen: Type.Integer(),
      salesPerVisitFen: Nullable(Type.Integer()),
    }),
  ),
});
const Heatmap = Type.Object(
  {
    cameraId: Type.String(),
    from: Type.Integer(),
    to: Type.Integer(),
    cols: Type.Integer(),
    rows: Type.Integer(),
    cellM: Type.Number(),
    cells: Type.Array(Type.Number(), { description: 'presence-seconds per cell, row-major' }),
    peopleSeconds: Type.Number(),
  },
  { description: 'format=json; format=png answers an image/png drawing of the same grid' },
);
const Status = Type.Object({
  enabled: Type.Boolean(),
  model: Nullable(
    Type.Object({
      id: Type.String(),
      version: Type.String(),
      sha256: Type.String(),
      pushedVersion: Nullable(Type.Integer()),
    }),
  ),
  modelError: Nullable(Type.String()),
  telemetrySkipped: Type.Integer(),
  cameras: Type.Array(
    Type.Object({
      id: Type.String(),
      source: Type.String(),
      state: Type.String(),
      frames: Type.Integer(),
      inferred: Type.Integer(),
      dropped: Type.Integer(),
      inferMs: Type.Number(),
      lastFrameAt: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
      staticObjects: Type.Array(
        Type.Object({
          box: Type.Array(Type.Number(), {
            minItems: 4,
            maxItems: 4,
            description: 'x1, y1, x2, y2 in normalised image coordinates',
          }),
          since: Type.Integer(),
          lastSeen: Type.Integer(),
          present: Type.Boolean(),
        }),
        { description: 'things taken for people that never moved: they add no heat, dwell or counts' },
      ),
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

  const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
  const Queue = Type.Object({
    cameraId: Type.String(),
    zoneId: Type.String(),
    length: Nullable(
      Type.Integer({ description: 'people in the zone now; null while its camera sends nothing' }),
    ),
    salesPerMinute: Type.Number({ description: "the kiosks' sales a minute over the queue's window" }),
    waitSeconds: Nullable(
      Type.Integer({
        description: 'length ÷ pace; null when nobody waits or the kiosks sold nothing lately',
      }),
    ),
    maxLength: Type.Integer(),
    maxWaitSeconds: Type.Integer(),
    alertId: Nullable(
      Type.String({ description: 'the open alert; it closes by itself once the queue clears' }),
    ),
    alertSince: Nullable(Type.Number()),
  });
  app.get(
    '/vision/queues',
    {
      config: { access: 'staff' },
      schema: {
        querystring: Type.Object(Period, { additionalProperties: false }),
        response: {
          200: Type.Object({
            from: Type.Number(),
            to: Type.Number(),
            queues: Type.Array(Queue),
            hours: Type.Array(
              Type.Object({
                cameraId: Type.String(),
                zoneId: Type.String(),
                hour: Type.Number({ description: "the hour's start, epoch ms" }),
                avgLength: Nullable(Type.Number()),
                maxLength: Type.Integer(),
                alerts: Type.Integer(),
                alertSeconds: Type.Integer(),
                avgWaitSeconds: Nullable(Type.Integer()),
                maxWaitSeconds: Nullable(Type.Integer()),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      const { from, to } = period(req.query);
      return { from, to, queues: d.queues?.states() ?? [], hours: queueHours(d.db, from, to) };
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
        response: { 200: Counts },
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
      schema: {
        querystring: Type.Object(Period, { additionalProperties: false }),
        response: { 200: Conversion },
      },
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
      schema: {
        querystring: Type.Object(Period, { additionalProperties: false }),
        response: { 200: ZoneSales },
      },
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
        response: {
          200: {
            content: {
              'application/json': { schema: Heatmap },
              'image/png': { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
        },
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
        // a Buffer goes out as it is; the typed reply knows only the JSON shape
        return (reply as FastifyReply).send(await renderHeatmapPng(grid, d.vision?.scene(req.query.camera)));
      }
      return grid;
    },
  );

  app.get(
    '/vision/cameras/:camera/scene',
    {
      config: { access: 'staff' },
      schema: {
        description:
          'the camera’s still scene (its running median: people walking by are not in it) with its lines, zones, ignore regions and the static objects it ignores; drawn from memory',
        params: Type.Object({ camera: CameraId }, { additionalProperties: false }),
        response: {
          200: { content: { 'image/png': { schema: { type: 'string', contentEncoding: 'binary' } } } },
        },
      },
    },
    async (req, reply) => {
      d.staffAuth.require(req);
      if (!vision().showsStillScene())
        throw new ApiError(
          404,
          'SCENE_OFF',
          'this store shows no camera pictures (vision.stillScene is false)',
        );
      const scene = vision().scene(req.params.camera);
      if (!scene) throw new ApiError(404, 'NO_CAMERA', `no camera "${req.params.camera}" runs here`);
      const png = await renderScenePng(scene);
      if (!png) throw new ApiError(404, 'NO_SCENE', `camera "${req.params.camera}" has shown no frame yet`);
      reply.type('image/png').header('cache-control', 'no-store');
      return (reply as FastifyReply).send(png);
    },
  );

  app.get(
    '/vision/status',
    { config: { access: 'staff' }, schema: { response: { 200: Status } } },
    async (req) => {
      d.staffAuth.require(req);
      return vision().details();
    },
  );
};
