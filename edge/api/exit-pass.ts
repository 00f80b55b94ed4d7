// Exit passes: the shopper's phone fetches the pass for its paid sale (a QR code on the
// page); staff at the door check it once.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { checkExitPass, issueExitPass } from '../checkout/exit-pass.js';
import { storeSecret } from './access.js';
import type { BusinessDeps } from './deps.js';
import { SaleParams } from './schemas.js';

export const exitPassRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const key = () => storeSecret(d.db, 'exit-pass');

  app.get(
    '/sales/:saleId/exit-pass',
    {
      config: { access: 'sale' },
      schema: {
        params: SaleParams,
        response: {
          200: Type.Object({
            saleId: Type.String(),
            receiptNo: Type.String(),
            itemCount: Type.Integer(),
            totalFen: Type.Integer(),
            issuedAt: Type.Integer(),
            expiresAt: Type.Integer(),
            payload: Type.String(),
          }),
        },
      },
    },
    async (req) => issueExitPass(d.db, key(), req.params.saleId, d.clock()),
  );

  app.post(
    '/staff/exit-passes/check',
    {
      config: { access: 'staff' },
      schema: {
        body: Type.Object(
          { payload: Type.String({ minLength: 1, maxLength: 300 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            valid: Type.Boolean(),
            reason: Type.Optional(Type.String()),
            checkedAt: Type.Optional(Type.Integer()),
            saleId: Type.Optional(Type.String()),
            receiptNo: Type.Optional(Type.String()),
            itemCount: Type.Optional(Type.Integer()),
            totalFen: Type.Optional(Type.Integer()),
          }),
        },
      },
    },
    // checking marks the pass used, so it is a write without an idempotency key on purpose:
    // a repeated check must say "already used", never "valid" twice
    async (req) => {
      const staff = d.staffAuth.require(req);
      return checkExitPass(d.db, key(), req.body.payload, staff.id, d.clock());
    },
  );
};
