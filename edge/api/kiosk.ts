// Kiosk-only routes: taking over a shopper's phone cart by its code.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { handOffCart } from '../checkout/carts.js';
import { quoteCart } from '../checkout/quote.js';
import { type BusinessDeps, writer } from './deps.js';
import { QuoteSchema } from './schemas.js';

export const kioskRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  app.post(
    '/kiosk/handoff',
    {
      schema: {
        body: Type.Object(
          {
            cartCode: Type.String({ pattern: '^[2-9A-Za-z]{6}$' }),
            kioskId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: QuoteSchema },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const cart = handOffCart(d.db, req.body.cartCode, req.body.kioskId, d.clock());
        return {
          status: 200,
          body: quoteCart(d.db, cart.id, { now: d.clock(), timezone: d.store.timezone }),
        };
      }),
  );
};
