// Kiosk routes: taking over a shopper's phone cart by its code, the kiosk's station
// (its cart, devices, alerts, events), card, payment-code and face-pay tenders through
// the kiosk's terminal, face-pay device and the store's gateway, help calls and receipt
// reprints.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { KioskScreen } from '../../config/schema.js';
import { ApiError, DomainError } from '../../sync/kernel/errors.js';
import { openAlerts } from '../alerts/alerts.js';
import { getCart, handOffCart } from '../checkout/carts.js';
import { quoteCart } from '../checkout/quote.js';
import type { KioskStation } from '../kiosk/station.js';
import { asyncWriter, type BusinessDeps, writer } from './deps.js';
import { nestedQuoteAnswer, quoteAnswer } from './idempotency.js';
import { CartParams, Fen, QuoteSchema, SaleParams, TenderResponse, tenderBody } from './schemas.js';

const KioskId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const KioskParams = Type.Object({ kioskId: KioskId }, { additionalProperties: false });

const ProviderTender = Type.Object({
  ...TenderResponse.properties,
  status: Type.Enum(['approved', 'declined', 'unknown']),
  reason: Type.Union([Type.String(), Type.Null()]),
});

/** the schema's defaults, for a daemon built without the config section (tests) */
const SCREEN_DEFAULTS = Value.Default(KioskScreen, {}) as Static<typeof KioskScreen>;

const DeviceRef = Type.Union([Type.Object({ id: Type.String(), state: Type.String() }), Type.Null()]);

export const kioskRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  const writeAsync = asyncWriter(d);

  const station = (kioskId: string): KioskStation => {
    const s = d.kiosks?.station(kioskId);
    if (!s) throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk ${kioskId} with devices here`);
    return s;
  };
  const stationOfCart = (cartId: string): KioskStation => {
    const cart = getCart(d.db, cartId);
    if (!cart.kiosk_id)
      throw new DomainError(
        'conflict',
        'NOT_AT_A_KIOSK',
        'card and payment-code tenders are taken at a kiosk',
      );
    return station(cart.kiosk_id);
  };

  app.post(
    '/kiosk/handoff',
    {
      config: { access: 'kiosk', idempotent: true },
      schema: {
        body: Type.Object(
          { cartCode: Type.String({ pattern: '^[2-9A-Za-z]{6}$' }), kioskId: KioskId },
          { additionalProperties: false },
        ),
        response: { 200: QuoteSchema },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const cart = handOffCart(d.db, req.body.cartCode, req.body.kioskId, d.clock());
        d.kiosks?.station(req.body.kioskId)?.adopt(cart.id);
        return quoteAnswer(200, quoteCart(d.db, cart.id, { now: d.clock(), timezone: d.store.timezone }));
      }),
  );

  app.get(
    '/kiosk/stations/:kioskId',
    {
      config: { access: 'kiosk-station' },
      schema: {
        params: KioskParams,
        querystring: Type.Object(
          { since: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            kioskId: Type.String(),
            cartId: Type.Union([Type.String(), Type.Null()]),
            screen: Type.Object({
              stillThereSeconds: Type.Integer(),
              setAsideSeconds: Type.Integer(),
              doneSeconds: Type.Integer(),
            }),
            devices: Type.Object({
              scanner: DeviceRef,
              scale: DeviceRef,
              printer: DeviceRef,
              terminal: DeviceRef,
              facePay: DeviceRef,
            }),
            alerts: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                message: Type.String(),
                createdAt: Type.Integer(),
              }),
            ),
            events: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                at: Type.Integer(),
                type: Type.String(),
                detail: Type.Object({}, { additionalProperties: true }),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const s = station(req.params.kioskId);
      return {
        kioskId: s.kioskId,
        cartId: s.currentCart(),
        screen: d.kioskScreen ?? SCREEN_DEFAULTS,
        devices: s.deviceState(),
        alerts: openAlerts(d.db, s.kioskId).map((a) => ({
          id: a.id,
          kind: a.kind,
          message: a.message,
          createdAt: a.createdAt,
        })),
        events: s.eventsSince(Number(req.query.since ?? 0)),
      };
    },
  );

  app.get(
    '/kiosk/stations/:kioskId/weight',
    {
      config: { access: 'kiosk-station' },
      schema: {
        params: KioskParams,
        response: { 200: Type.Object({ grams: Type.Number(), stable: Type.Boolean() }) },
      },
    },
    async (req) => station(req.params.kioskId).weigh(),
  );

  app.post(
    '/kiosk/stations/:kioskId/help',
    {
      config: { access: 'kiosk-station', idempotent: true },
      schema: { params: KioskParams, response: { 202: Type.Object({ called: Type.Boolean() }) } },
    },
    async (req, reply) =>
      write(req, reply, () => {
        station(req.params.kioskId).help();
        return { status: 202, body: { called: true } };
      }),
  );

  app.post(
    '/kiosk/stations/:kioskId/receipts/:saleId/print',
    {
      config: { access: 'kiosk-station', idempotent: true },
      schema: {
        params: Type.Object(
          { kioskId: KioskId, saleId: SaleParams.properties.saleId },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ printed: Type.Boolean() }) },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => ({
        status: 200,
        body: { printed: await station(req.params.kioskId).printReceipt(req.params.saleId) },
      })),
  );

  const providerAnswer = (r: Awaited<ReturnType<KioskStation['payCard']>>) => {
    const { quote, ...rest } = tenderBody(r);
    return nestedQuoteAnswer(200, quote, { ...rest, status: r.status, reason: r.reason ?? null });
  };

  // the kiosk's own devices: its card terminal, its face-pay device
  const devicePayments: [
    string,
    (s: KioskStation, cartId: string, amountFen: number | null) => ReturnType<KioskStation['payCard']>,
  ][] = [
    ['card', (s, cartId, amountFen) => s.payCard(cartId, amountFen)],
    ['face', (s, cartId, amountFen) => s.payFace(cartId, amountFen)],
  ];
  for (const [path, pay] of devicePayments)
    app.post(
      `/carts/:cartId/payments/${path}`,
      {
        config: { access: 'kiosk-cart', idempotent: true },
        schema: {
          params: CartParams,
          body: Type.Object({ amountFen: Type.Optional(Fen) }, { additionalProperties: false }),
          response: { 200: ProviderTender },
        },
      },
      async (req, reply) =>
        writeAsync(req, reply, async () => {
          const { cartId } = req.params;
          return providerAnswer(await pay(stationOfCart(cartId), cartId, req.body.amountFen ?? null));
        }),
    );

  app.post(
    '/carts/:cartId/payments/payment-code',
    {
      config: { access: 'kiosk-cart', idempotent: true },
      schema: {
        params: CartParams,
        body: Type.Object(
          { code: Type.String({ pattern: '^[0-9]{16,24}$' }), amountFen: Type.Optional(Fen) },
          { additionalProperties: false },
        ),
        response: { 200: ProviderTender },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const { cartId } = req.params;
        const r = await stationOfCart(cartId).payCode(cartId, req.body.code, req.body.amountFen ?? null);
        return providerAnswer(r);
      }),
  );
};
