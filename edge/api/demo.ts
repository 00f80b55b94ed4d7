// Demo-store routes: drive the simulated devices of a kiosk from a browser or curl, so
// a person trying the demo can "scan" at the kiosk (bytes go through the pty to the
// real serial driver), put things on the scale, and read what the printer printed.
// Registered only when some device is simulated.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import type { Simulator } from '../devices/build.js';

export interface DemoDeps {
  simulators(kioskId: string): Simulator[];
}

const KioskParams = Type.Object(
  { kioskId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) },
  { additionalProperties: false },
);

export const demoRoutes: FastifyPluginAsync<DemoDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const sim = <K extends Simulator['kind']>(kioskId: string, kind: K, role?: string) => {
    const s = d
      .simulators(kioskId)
      .find((x) => x.kind === kind && (!role || (x.kind === 'scale' && x.role === role)));
    if (!s) throw new ApiError(404, 'NO_SIMULATOR', `kiosk ${kioskId} has no simulated ${kind}`);
    return s as Extract<Simulator, { kind: K }>;
  };

  app.post(
    '/demo/kiosks/:kioskId/scanner',
    {
      config: { access: 'public' },
      schema: {
        params: KioskParams,
        body: Type.Object(
          {
            code: Type.String({ pattern: '^[\\x20-\\x7e\\x1d]{1,200}$' }),
            aim: Type.Optional(Type.String({ pattern: '^\\][A-Za-z][0-9A-Za-z]$' })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ sent: Type.Boolean() }) },
      },
    },
    async (req, reply) => {
      await sim(req.params.kioskId, 'scanner').sim.scan(req.body.code, { aim: req.body.aim });
      reply.status(202);
      return { sent: true };
    },
  );

  app.put(
    '/demo/kiosks/:kioskId/scale',
    {
      config: { access: 'public' },
      schema: {
        params: KioskParams,
        body: Type.Object(
          {
            grams: Type.Integer({ minimum: 0, maximum: 50_000 }),
            settleMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
            area: Type.Optional(
              Type.Enum(['weigh', 'bagging'], { description: 'which scale; default weigh' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ grams: Type.Number() }) },
      },
    },
    async (req) => {
      const s = sim(req.params.kioskId, 'scale', req.body.area ?? 'weigh').sim;
      s.place(req.body.grams, req.body.settleMs ?? 300);
      return { grams: s.netGrams };
    },
  );

  app.put(
    '/demo/kiosks/:kioskId/printer',
    {
      config: { access: 'public' },
      schema: {
        params: KioskParams,
        body: Type.Object(
          { paper: Type.Boolean(), coverOpen: Type.Boolean() },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ paper: Type.Boolean(), coverOpen: Type.Boolean() }) },
      },
    },
    async (req) => {
      const s = sim(req.params.kioskId, 'printer').sim;
      if (req.body.paper) s.refill();
      else s.paperLines = 0;
      s.coverOpen = req.body.coverOpen;
      return req.body;
    },
  );

  app.get(
    '/demo/kiosks/:kioskId/printer/receipts',
    {
      config: { access: 'public' },
      schema: {
        params: KioskParams,
        response: {
          200: Type.Array(Type.Object({ lines: Type.Array(Type.String()), qr: Type.Array(Type.String()) })),
        },
      },
    },
    async (req) =>
      sim(req.params.kioskId, 'printer')
        .sim.jobs.slice(-10)
        .map((j) => ({ lines: j.lines.map((l) => l.text), qr: j.qr })),
  );

  app.put(
    '/demo/kiosks/:kioskId/terminal',
    {
      config: { access: 'public' },
      schema: {
        params: KioskParams,
        body: Type.Object(
          {
            online: Type.Boolean(),
            nextFault: Type.Optional(
              Type.Enum([
                'drop-answer',
                'disconnect-before-charge',
                'disconnect-after-charge',
                'garble-answer',
                'decline',
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ online: Type.Boolean() }) },
      },
    },
    async (req) => {
      const s = sim(req.params.kioskId, 'payment-terminal').sim;
      if (req.body.nextFault) s.inject(req.body.nextFault);
      // off: the terminal's socket vanishes; on: it listens again on the same port
      if (!req.body.online) await s.unplug();
      else if (!s.listening) await s.listen(s.port);
      return { online: req.body.online };
    },
  );
};
