// Exit passes: the shopper's phone fetches the pass for its paid sale (a QR code on the
// page); staff at the door check it once, and see there whether the sale is audited and
// which lines to check; they record the audit's result, a missing item paid for in a
// recovery sale there and then.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../sync/kernel/errors.js';
import { createCart } from '../checkout/carts.js';
import { auditFigures, auditView, recordAudit, widenAudit } from '../checkout/exit-audit.js';
import { checkExitPass, issueExitPass } from '../checkout/exit-pass.js';
import { scanIntoCart } from '../checkout/scan-into-cart.js';
import { payCash, startPayment } from '../checkout/tenders.js';
import { storeSecret } from './access.js';
import { type BusinessDeps, checkoutContext, writer } from './deps.js';
import { Fen, SaleParams } from './schemas.js';

const AuditLine = Type.Object({
  lineNo: Type.Integer(),
  gtin: Type.String(),
  name: Type.Object({ zh: Type.String(), en: Type.String() }),
  qty: Type.Integer(),
  weightG: Type.Union([Type.Integer(), Type.Null()]),
});
const AuditSchema = Type.Object({
  required: Type.Boolean(),
  status: Type.Enum(['not_selected', 'pending', 'ok', 'recovered', 'refused']),
  fullCheck: Type.Boolean(),
  lines: Type.Array(AuditLine),
});

export const exitPassRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const key = () => storeSecret(d.db, 'exit-pass');
  const write = writer(d);

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
            audit: Type.Optional(AuditSchema),
          }),
        },
      },
    },
    // checking marks the pass used, so it is a write without an idempotency key on purpose:
    // a repeated check must say "already used", never "valid" twice
    async (req) => {
      const staff = d.staffAuth.require(req);
      const r = checkExitPass(d.db, key(), req.body.payload, staff.id, d.clock());
      // staff see the audit of an authentic pass; an audit still open stays open on a re-scan
      return r.saleId ? { ...r, audit: auditView(d.db, r.saleId) } : r;
    },
  );

  app.post(
    '/staff/exit-audits/:saleId/widen',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        params: SaleParams,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 200: AuditSchema },
      },
    },
    async (req, reply) => {
      d.staffAuth.require(req);
      return write(req, reply, () => ({ status: 200, body: widenAudit(d.db, req.params.saleId) }));
    },
  );

  app.post(
    '/staff/exit-audits/:saleId/result',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        params: SaleParams,
        body: Type.Union([
          Type.Object({ result: Type.Enum(['ok', 'refused']) }, { additionalProperties: false }),
          Type.Object(
            {
              result: Type.Literal('recovered'),
              // what was found in the bag and not on the sale, and the cash the shopper paid for it
              items: Type.Array(
                Type.Object(
                  {
                    code: Type.String({ minLength: 1, maxLength: 600 }),
                    qty: Type.Integer({ minimum: 1, maximum: 99 }),
                  },
                  { additionalProperties: false },
                ),
                { minItems: 1, maxItems: 20 },
              ),
              tenderedFen: Fen,
            },
            { additionalProperties: false },
          ),
        ]),
        response: {
          200: Type.Object({
            audit: AuditSchema,
            recovery: Type.Union([
              Type.Object({
                saleId: Type.String(),
                receiptNo: Type.String(),
                totalFen: Type.Integer(),
                changeFen: Type.Integer(),
              }),
              Type.Null(),
            ]),
          }),
        },
      },
    },
    async (req, reply) => {
      const staff = d.staffAuth.require(req);
      const { saleId } = req.params;
      type Recovery = { saleId: string; receiptNo: string; totalFen: number; changeFen: number } | null;
      return write<{ audit: ReturnType<typeof auditView>; recovery: Recovery }>(req, reply, () => {
        const now = d.clock();
        const b = req.body;
        if (b.result !== 'recovered')
          return {
            status: 200,
            body: {
              audit: recordAudit(d.db, saleId, { result: b.result, staffId: staff.id, now }),
              recovery: null,
            },
          };
        // the missing items are sold in a sale of their own, paid in cash at the door, and
        // the audit records it: all of it or none of it
        return d.db.transaction(() => {
          // without the audit policy: a recovery sale is not audited again
          const { exitAudit: _policy, ...ctx } = checkoutContext(d);
          const cart = createCart(d.db, { channel: 'phone', now });
          const missing = b.items.map((i) => {
            const line = scanIntoCart(
              d.db,
              cart.id,
              i.code,
              { scanOptions: d.scanOptions, timezone: d.store.timezone },
              { qty: i.qty, now },
            );
            return { gtin: line.gtin, qty: i.qty };
          });
          const q = startPayment(d.db, cart.id, ctx);
          if (b.tenderedFen < q.totalFen)
            throw new DomainError(
              'invalid',
              'AMOUNT_TOO_LOW',
              `¥${(q.totalFen / 100).toFixed(2)} is due for the missing items`,
              {
                dueFen: q.totalFen,
              },
            );
          const paid = payCash(d.db, cart.id, b.tenderedFen, ctx);
          const sale = paid.sale!;
          const audit = recordAudit(d.db, saleId, {
            result: 'recovered',
            staffId: staff.id,
            now,
            missing,
            recoverySaleId: sale.saleId,
            recoveredFen: sale.quote.totalFen,
          });
          return {
            status: 200,
            body: {
              audit,
              recovery: {
                saleId: sale.saleId,
                receiptNo: sale.receiptNo,
                totalFen: sale.quote.totalFen,
                changeFen: sale.changeFen,
              },
            },
          };
        })();
      });
    },
  );

  app.get(
    '/staff/exit-audits/figures',
    {
      config: { access: 'staff' },
      schema: {
        response: {
          200: Type.Object({
            scanAndGoSales: Type.Integer(),
            audited: Type.Integer(),
            checked: Type.Integer(),
            hits: Type.Integer(),
            refused: Type.Integer(),
            recoveredFen: Type.Integer(),
            auditRate: Type.Union([Type.Number(), Type.Null()]),
            hitRate: Type.Union([Type.Number(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      return auditFigures(d.db, d.clock(), d.store.timezone);
    },
  );
};
