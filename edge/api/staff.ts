// Staff routes: sign-in, attendant actions on kiosk carts, refunds, member enrolment.
// Each action needs a staff token and the role the action asks for.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { notFound } from '../../sync/kernel/errors.js';
import { openAlerts, resolveAlert } from '../alerts/alerts.js';
import { approveAge, approveLabel, cancelCart, overridePrice, voidLine } from '../checkout/carts.js';
import { quoteCart } from '../checkout/quote.js';
import { refundSale } from '../checkout/refunds.js';
import type { Staff } from '../checkout/staff.js';
import { chainHoldsOf } from '../coupons/chain.js';
import { enrollMember } from '../members/members.js';
import { type BusinessDeps, writer } from './deps.js';
import { quoteAnswer } from './idempotency.js';
import { CartParams, Fen, LineParams, QuoteSchema, Reason, SaleParams, Uuid } from './schemas.js';

const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export const staffRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  const quote = (cartId: string) => quoteCart(d.db, cartId, { now: d.clock(), timezone: d.store.timezone });

  app.post(
    '/staff/sessions',
    {
      config: { access: 'public' },
      schema: {
        body: Type.Object(
          {
            staffId: Type.String({ minLength: 1, maxLength: 64 }),
            pin: Type.String({ pattern: '^[0-9]{4,12}$' }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            token: Type.String(),
            expiresAt: Type.Integer(),
            staff: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() }),
          }),
        },
      },
    },
    async (req, reply) => {
      reply.status(201);
      return d.staffAuth.signIn(req.body.staffId, req.body.pin);
    },
  );

  app.delete(
    '/staff/sessions',
    { config: { access: 'staff' }, schema: { response: { 204: Type.Null() } } },
    async (req, reply) => {
      d.staffAuth.require(req);
      d.staffAuth.signOut(String(req.headers['x-staff-token']));
      reply.status(204);
      return null;
    },
  );

  const lineAction = (
    path: string,
    run: (staff: Staff, cartId: string, lineId: string, body: { reason: string; priceFen?: number }) => void,
    body = ReasonBody,
  ) =>
    app.post(
      `/staff/carts/:cartId/lines/:lineId/${path}`,
      {
        config: { access: 'staff', idempotent: true },
        schema: { params: LineParams, body, response: { 200: QuoteSchema } },
      },
      async (req, reply) => {
        const staff = d.staffAuth.require(req);
        return write(req, reply, () => {
          run(staff, req.params.cartId, req.params.lineId, req.body as { reason: string; priceFen?: number });
          return quoteAnswer(200, quote(req.params.cartId));
        });
      },
    );

  lineAction('age-approval', (staff, cartId, lineId, b) =>
    approveAge(d.db, cartId, lineId, staff, b.reason, d.clock()),
  );
  lineAction('label-approval', (staff, cartId, lineId, b) =>
    approveLabel(d.db, cartId, lineId, staff, b.reason, d.clock()),
  );
  lineAction('void', (staff, cartId, lineId, b) =>
    voidLine(d.db, cartId, lineId, staff, b.reason, d.clock()),
  );
  lineAction(
    'price',
    (staff, cartId, lineId, b) =>
      overridePrice(d.db, cartId, lineId, b.priceFen ?? -1, staff, b.reason, d.clock()),
    Type.Object({ priceFen: Fen, reason: Reason }, { additionalProperties: false }),
  );

  app.post(
    '/staff/carts/:cartId/cancel',
    {
      config: { access: 'staff', idempotent: true },
      schema: { params: CartParams, body: ReasonBody, response: { 200: QuoteSchema } },
    },
    async (req, reply) => {
      const staff = d.staffAuth.require(req);
      return write(req, reply, () => {
        const holds = chainHoldsOf(d.db, req.params.cartId);
        cancelCart(d.db, req.params.cartId, staff, req.body.reason, d.clock());
        // the cart's chain coupons are free for another sale again
        for (const h of holds) d.couponGate?.release(h);
        return quoteAnswer(200, quote(req.params.cartId));
      });
    },
  );

  // an attendant finds the sale to refund by the number printed on its receipt
  app.get(
    '/staff/sales/by-receipt/:receiptNo',
    {
      config: { access: 'staff' },
      schema: {
        params: Type.Object(
          { receiptNo: Type.String({ pattern: '^[A-Z0-9-]{1,40}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            saleId: Type.String(),
            receiptNo: Type.String(),
            totalFen: Type.Integer(),
            refundedFen: Type.Integer(),
            createdAt: Type.Integer(),
            // what can still be refunded, line by line (a partial refund names lines and units)
            lines: Type.Array(
              Type.Object({
                lineNo: Type.Integer(),
                gtin: Type.String(),
                name: Type.Object({ zh: Type.String(), en: Type.String() }),
                qty: Type.Integer(),
                refundedQty: Type.Integer(),
                netFen: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      const s = d.db
        .prepare(
          `SELECT s.id, s.receipt_no, s.total_fen, s.created_at,
                  (SELECT COALESCE(SUM(amount_fen), 0) FROM refunds r WHERE r.sale_id = s.id) AS refunded
           FROM sales s WHERE s.receipt_no = ?`,
        )
        .get(req.params.receiptNo) as
        | { id: string; receipt_no: string; total_fen: number; created_at: number; refunded: number }
        | undefined;
      if (!s) throw notFound('receipt', req.params.receiptNo);
      const lines = d.db
        .prepare(
          'SELECT line_no, gtin, name_zh, name_en, qty, refunded_qty, net_fen FROM sale_lines WHERE sale_id = ? ORDER BY line_no',
        )
        .all(s.id) as {
        line_no: number;
        gtin: string;
        name_zh: string;
        name_en: string;
        qty: number;
        refunded_qty: number;
        net_fen: number;
      }[];
      return {
        saleId: s.id,
        receiptNo: s.receipt_no,
        totalFen: s.total_fen,
        refundedFen: s.refunded,
        createdAt: s.created_at,
        lines: lines.map((l) => ({
          lineNo: l.line_no,
          gtin: l.gtin,
          name: { zh: l.name_zh, en: l.name_en },
          qty: l.qty,
          refundedQty: l.refunded_qty,
          netFen: l.net_fen,
        })),
      };
    },
  );

  app.post(
    '/staff/sales/:saleId/refunds',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        params: SaleParams,
        body: Type.Object(
          {
            reason: Reason,
            lines: Type.Optional(
              Type.Array(
                Type.Object(
                  { lineNo: Type.Integer({ minimum: 1 }), qty: Type.Integer({ minimum: 1, maximum: 999 }) },
                  { additionalProperties: false },
                ),
                { minItems: 1, maxItems: 200 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            refundId: Type.String(),
            saleId: Type.String(),
            amountFen: Type.Integer(),
            lines: Type.Array(
              Type.Object({ lineNo: Type.Integer(), qty: Type.Integer(), amountFen: Type.Integer() }),
            ),
            tenders: Type.Array(
              Type.Object({ kind: Type.String(), amountFen: Type.Integer(), reference: Type.String() }),
            ),
            pointsReversed: Type.Integer(),
            pointsReturned: Type.Integer(),
            couponsReversed: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (req, reply) => {
      const staff = d.staffAuth.require(req);
      const answer = write(req, reply, () => ({
        status: 201,
        body: refundSale(d.db, req.params.saleId, {
          lines: req.body.lines,
          staff,
          reason: req.body.reason,
          now: d.clock(),
          fenPerPoint: d.loyalty.fenPerPoint,
        }),
      }));
      d.providerRefunds?.kick(); // a wallet share goes back through the gateway now
      return answer;
    },
  );

  app.post(
    '/staff/members',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            member: Type.Object({
              id: Type.String(),
              name: Type.Union([Type.String(), Type.Null()]),
              points: Type.Integer(),
            }),
            code: Type.String(),
          }),
        },
      },
    },
    async (req, reply) => {
      d.staffAuth.require(req);
      return write(req, reply, () => ({
        status: 201,
        body: enrollMember(d.db, req.body.name ?? null, d.clock()),
      }));
    },
  );

  const AlertSchema = Type.Object({
    id: Type.String(),
    kioskId: Type.String(),
    kind: Type.String(),
    message: Type.String(),
    cartId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Integer(),
    resolvedAt: Type.Union([Type.Integer(), Type.Null()]),
    resolvedBy: Type.Union([Type.String(), Type.Null()]),
  });

  app.get(
    '/staff/alerts',
    { config: { access: 'staff' }, schema: { response: { 200: Type.Array(AlertSchema) } } },
    async (req) => {
      d.staffAuth.require(req);
      return openAlerts(d.db);
    },
  );

  app.post(
    '/staff/alerts/:alertId/resolve',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        params: Type.Object({ alertId: Uuid }, { additionalProperties: false }),
        response: { 200: AlertSchema },
      },
    },
    async (req, reply) => {
      const staff = d.staffAuth.require(req);
      return write(req, reply, () => ({
        status: 200,
        body: resolveAlert(d.db, req.params.alertId, staff.id, d.clock()),
      }));
    },
  );
};
