// Cart routes used by both kiosks and shoppers' phones: scan, change, identify,
// show coupons, pay. Every write takes an Idempotency-Key.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError, DomainError } from '../../sync/kernel/errors.js';
import { refusal } from '../../sync/kernel/http/errors.js';
import {
  createCart,
  labelRefusedIn,
  removeLine,
  resumeCart,
  setMember,
  setQty,
  suspendCart,
} from '../checkout/carts.js';
import { type Quote, quoteCart } from '../checkout/quote.js';
import { scanIntoCart } from '../checkout/scan-into-cart.js';
import { cancelPayment, payCash, payPoints, startPayment } from '../checkout/tenders.js';
import { chainCoupon, settleChainCoupon } from '../coupons/chain.js';
import { looksLikeCode } from '../coupons/codes.js';
import { presentCoupon } from '../coupons/wallet.js';
import { creditByCode, creditByRecommendation } from '../guides/credit.js';
import { seeMember } from '../members/follow.js';
import { identifyMember } from '../members/members.js';
import { asyncWriter, type BusinessDeps, checkoutContext, writer } from './deps.js';
import { nestedQuoteAnswer, quoteAnswer } from './idempotency.js';
import { CartParams, Code, Fen, LineParams, QuoteSchema, TenderResponse, tenderBody } from './schemas.js';

const NoBody = Type.Optional(Type.Object({}, { additionalProperties: false }));

export const cartRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  const writeAsync = asyncWriter(d);
  const quote = (cartId: string) => quoteCart(d.db, cartId, { now: d.clock(), timezone: d.store.timezone });

  app.post(
    '/carts',
    {
      config: { access: 'cart-create', idempotent: true, light: true },
      schema: {
        body: Type.Object(
          {
            channel: Type.Enum(['kiosk', 'phone']),
            kioskId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
          },
          {
            additionalProperties: false,
            examples: [{ channel: 'kiosk', kioskId: 'kiosk-1' }, { channel: 'phone' }],
          },
        ),
        response: {
          201: Type.Object({
            ...QuoteSchema.properties,
            cartToken: Type.Optional(
              Type.String({ description: 'a phone cart: send as X-Cart-Token from now on' }),
            ),
          }),
        },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const kiosk = req.body.channel === 'kiosk';
        const cart = createCart(d.db, {
          channel: req.body.channel,
          // a kiosk cart belongs to the kiosk that made it (access checked its token)
          kioskId: kiosk ? req.kioskId : null,
          now: d.clock(),
        });
        return quoteAnswer(201, quote(cart.id), kiosk ? {} : { cartToken: d.cartTokens.issue(cart.id) });
      }),
  );

  app.get(
    '/carts/:cartId',
    { config: { access: 'cart' }, schema: { params: CartParams, response: { 200: QuoteSchema } } },
    async (req) => quote(req.params.cartId),
  );

  app.post(
    '/carts/:cartId/scans',
    {
      config: { access: 'cart', idempotent: true, light: true },
      schema: {
        params: CartParams,
        body: Type.Object(
          {
            code: Type.String({ minLength: 1, maxLength: 600 }),
            weightG: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
            qty: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
            recommendationId: Type.Optional(
              Type.String({
                pattern: '^[0-9a-f-]{36}$',
                description: "added from a guide's recommendation: the cart is credited to that guide",
              }),
            ),
          },
          {
            additionalProperties: false,
            description:
              'a barcode as scanned (GS1 AIM prefix, element string or Digital Link), a member card or a coupon',
            examples: [{ code: '6911001001016' }, { code: '6911001001016', qty: 6 }],
          },
        ),
        response: { 201: Type.Object({ lineId: Type.String(), quote: QuoteSchema }) },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const { cartId } = req.params;
        const raw = req.body.code;
        // a member card or coupon scanned at the same scanner goes where it belongs
        if (looksLikeCode(raw.trim(), 'member') || looksLikeCode(raw.trim(), 'coupon')) {
          throw new DomainError(
            'invalid',
            'NOT_A_PRODUCT',
            'this is a member or coupon code: send it to /member or /coupons',
          );
        }
        let line: ReturnType<typeof scanIntoCart>;
        try {
          line = scanIntoCart(
            d.db,
            cartId,
            raw,
            { scanOptions: d.scanOptions, timezone: d.store.timezone },
            { weightG: req.body.weightG, qty: req.body.qty, now: d.clock() },
          );
        } catch (err) {
          // the scan is refused, but the label it carried stays recorded for staff and HQ
          if (err instanceof DomainError && labelRefusedIn(err)) return refusal(err, String(req.id)) as never;
          throw err;
        }
        if (req.body.recommendationId)
          creditByRecommendation(d.db, cartId, req.body.recommendationId, line.gtin, d.clock());
        return nestedQuoteAnswer(201, quote(cartId), { lineId: line.id });
      }),
  );

  // a guide's code scanned into the cart (their QR, read by the shopper's phone or typed)
  app.post(
    '/carts/:cartId/guide',
    {
      config: { access: 'cart', idempotent: true },
      schema: {
        params: CartParams,
        body: Type.Object(
          { code: Type.String({ minLength: 1, maxLength: 200, examples: ['storeedge:guide:guide-1'] }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ guide: Type.Object({ id: Type.String(), name: Type.String() }) }) },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const id = creditByCode(d.db, req.params.cartId, req.body.code.trim(), (s) => d.staffAuth.isGuide(s));
        return { status: 200, body: { guide: { id, name: d.staffAuth.nameOf(id) ?? id } } };
      }),
  );

  app.patch(
    '/carts/:cartId/lines/:lineId',
    {
      config: { access: 'cart', idempotent: true, light: true },
      schema: {
        params: LineParams,
        body: Type.Object(
          { qty: Type.Integer({ minimum: 1, maximum: 999 }) },
          { additionalProperties: false },
        ),
        response: { 200: QuoteSchema },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        setQty(d.db, req.params.cartId, req.params.lineId, req.body.qty, d.clock());
        return quoteAnswer(200, quote(req.params.cartId));
      }),
  );

  app.delete(
    '/carts/:cartId/lines/:lineId',
    {
      config: { access: 'cart', idempotent: true, light: true },
      schema: { params: LineParams, response: { 200: QuoteSchema } },
    },
    async (req, reply) =>
      write(req, reply, () => {
        removeLine(d.db, req.params.cartId, req.params.lineId, d.clock());
        return quoteAnswer(200, quote(req.params.cartId));
      }),
  );

  app.post(
    '/carts/:cartId/member',
    {
      config: { access: 'cart', idempotent: true },
      schema: {
        params: CartParams,
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: QuoteSchema },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const member = identifyMember(d.db, req.body.code, d.clock());
        // a member this store does not follow: HQ's figure first (bounded by the request timeout)
        await seeMember(d.db, d.memberGate, member.id, d.clock());
        setMember(d.db, req.params.cartId, member.id, d.clock());
        return quoteAnswer(200, quote(req.params.cartId));
      }),
  );

  app.post(
    '/carts/:cartId/coupons',
    {
      config: { access: 'cart', idempotent: true },
      schema: {
        params: CartParams,
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: QuoteSchema },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const cart = quote(req.params.cartId);
        const w = presentCoupon(d.db, req.params.cartId, req.body.code, cart.memberId, d.clock());
        // a chain coupon (HQ-signed) is held at HQ for this cart, or the campaign's offline policy decides
        const chain = d.couponGate ? chainCoupon(d.db, w.id, req.params.cartId) : null;
        if (chain && d.couponGate) settleChainCoupon(d.db, chain, await d.couponGate.reserve(chain));
        return quoteAnswer(200, quote(req.params.cartId));
      }),
  );

  // state changes of a cart that take no body and answer with the quote; light: no
  // money moves (cancelling a payment hands tenders back, so it waits for the disk)
  const transitions: [string, (cartId: string) => Quote, boolean][] = [
    [
      'suspend',
      (id) => {
        suspendCart(d.db, id, d.clock());
        return quote(id);
      },
      true,
    ],
    [
      'resume',
      (id) => {
        resumeCart(d.db, id, d.clock());
        return quote(id);
      },
      true,
    ],
    ['checkout', (id) => startPayment(d.db, id, checkoutContext(d)), true],
    ['checkout/cancel', (id) => cancelPayment(d.db, id, checkoutContext(d)), false],
  ];
  for (const [path, action, light] of transitions) {
    app.post(
      `/carts/:cartId/${path}`,
      {
        config: { access: 'cart', idempotent: true, light },
        schema: { params: CartParams, body: NoBody, response: { 200: QuoteSchema } },
      },
      async (req, reply) => write(req, reply, () => quoteAnswer(200, action(req.params.cartId))),
    );
  }

  app.post(
    '/carts/:cartId/tenders',
    {
      config: { access: 'cart', idempotent: true },
      schema: {
        params: CartParams,
        body: Type.Union(
          [
            Type.Object({ kind: Type.Literal('cash'), tenderedFen: Fen }, { additionalProperties: false }),
            Type.Object(
              { kind: Type.Literal('points'), points: Type.Integer({ minimum: 1, maximum: 100_000_000 }) },
              { additionalProperties: false },
            ),
          ],
          {
            examples: [
              { kind: 'cash', tenderedFen: 5000 },
              { kind: 'points', points: 200 },
            ],
          },
        ),
        response: { 201: TenderResponse },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const ctx = checkoutContext(d);
        const b = req.body;
        // cash changes hands at a kiosk or a staffed till, never on a phone
        if (b.kind === 'cash' && !req.kioskId && !d.staffAuth.optional(req))
          throw new ApiError(403, 'FORBIDDEN', 'cash is taken at a kiosk or by staff');
        const r =
          b.kind === 'cash'
            ? payCash(d.db, req.params.cartId, b.tenderedFen, ctx)
            : payPoints(d.db, req.params.cartId, b.points, ctx);
        const { quote: q, ...rest } = tenderBody(r);
        return nestedQuoteAnswer(201, q, rest);
      }),
  );
};
