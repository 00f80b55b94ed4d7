// Paying on the phone: the wallet order for a phone cart and the pay parameters its
// wallet needs, the page asking how it went, the shopper cancelling, and the gateway's
// payment notifications (raw body: the signature covers the bytes as sent). In the demo
// store a simulated wallet stands in for the wallet app the phone does not have.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError, DomainError } from '../../sync/kernel/errors.js';
import { getCart } from '../checkout/carts.js';
import { startPayment } from '../checkout/tenders.js';
import type { WalletPayments } from '../payments/wallet-payments.js';
import { asyncWriter, type BusinessDeps, checkoutContext } from './deps.js';
import { nestedQuoteAnswer } from './idempotency.js';
import { CartParams, QuoteSchema } from './schemas.js';

const NoBody = Type.Optional(Type.Object({}, { additionalProperties: false }));

const PayParamsSchema = Type.Object(
  {
    appId: Type.String({ maxLength: 64 }),
    timeStamp: Type.String({ pattern: '^[0-9]{1,12}$' }),
    nonceStr: Type.String({ maxLength: 64 }),
    package: Type.String({ maxLength: 128 }),
    signType: Type.Literal('RSA'),
    paySign: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const WalletAnswer = Type.Object({
  status: Type.Enum(['approved', 'declined', 'pending']),
  reason: Type.Union([Type.String(), Type.Null()]),
  saleId: Type.Union([Type.String(), Type.Null()]),
  quote: QuoteSchema,
});

export const walletRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const writeAsync = asyncWriter(d);
  const wallet = (): WalletPayments => {
    if (!d.wallet)
      throw new DomainError(
        'conflict',
        'WALLET_UNAVAILABLE',
        'phone payment is not set up here: pay at a kiosk',
      );
    return d.wallet;
  };
  // a cart taken over by a kiosk is paid there
  const phoneCart = (cartId: string) => {
    const cart = getCart(d.db, cartId);
    if (cart.channel !== 'phone' || cart.kiosk_id)
      throw new DomainError('conflict', 'PAY_AT_KIOSK', 'this cart is at a kiosk: pay there');
    return cart;
  };

  app.post(
    '/carts/:cartId/payments/wallet',
    {
      config: { access: 'cart', idempotent: true },
      schema: {
        params: CartParams,
        body: NoBody,
        response: {
          201: Type.Object({
            paymentId: Type.String(),
            reference: Type.String(),
            amountFen: Type.Integer(),
            expiresAt: Type.Integer(),
            payParams: PayParamsSchema,
            simulatedWallet: Type.Boolean(),
          }),
        },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const w = wallet();
        const { cartId } = req.params;
        phoneCart(cartId);
        startPayment(d.db, cartId, checkoutContext(d)); // locks the cart's lines; a paying cart stays as it is
        const order = await w.open(cartId);
        return { status: 201, body: { ...order, simulatedWallet: Boolean(d.walletDemo) } };
      }),
  );

  app.get(
    '/carts/:cartId/payments/wallet',
    { config: { access: 'cart' }, schema: { params: CartParams, response: { 200: WalletAnswer } } },
    async (req) => wallet().check(req.params.cartId),
  );

  app.post(
    '/carts/:cartId/payments/wallet/cancel',
    {
      config: { access: 'cart', idempotent: true },
      schema: { params: CartParams, body: NoBody, response: { 200: WalletAnswer } },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const { quote, ...rest } = await wallet().cancel(req.params.cartId);
        return nestedQuoteAnswer(200, quote, rest);
      }),
  );

  // the gateway's notifications: verified by their signature, not by who sends them
  await app.register(async (notify) => {
    notify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    notify.post(
      '/payments/wallet/notify',
      {
        config: { access: 'public', rateLimit: false },
        schema: { body: Type.String({ maxLength: 65_536 }), response: { 204: Type.Null() } },
      },
      async (req, reply) => {
        await wallet().notify(req.headers, req.body as string);
        // no body at all: the gateway reads any answer body as a failure report
        return reply.status(204).send();
      },
    );
  });

  // the demo's stand-in for the wallet app: the shopper confirms, the simulated gateway pays
  app.post(
    '/demo/wallet/pay',
    {
      config: { access: 'public' },
      schema: {
        body: Type.Object(
          { ...PayParamsSchema.properties, funds: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ result: Type.Enum(['paid', 'refused']), reason: Type.Optional(Type.String()) }),
        },
      },
    },
    async (req) => {
      if (!d.walletDemo) throw new ApiError(404, 'NO_SIMULATOR', 'no simulated wallet here');
      return d.walletDemo(req.body);
    },
  );
};
