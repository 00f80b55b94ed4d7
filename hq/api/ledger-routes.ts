// The chain ledger's report (analysts and up): conflicts the stores' offline policies
// let through and HQ found afterwards, by kind, store and amount, with what was done;
// and one member as HQ holds them (balance, movements per store, conflicts).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import { conflictReport } from '../ledger/report.js';
import type { HqAuth } from './auth.js';
import { Limit, limitOf, StoreId } from './params.js';
import * as R from './responses.js';

export interface LedgerRouteDeps {
  pool: pg.Pool;
  auth: HqAuth;
}

const MemberId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const ledgerRoutes: FastifyPluginAsync<LedgerRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/ledger/conflicts',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Conflicts },
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Enum(['points_overspend', 'coupon_reuse', 'quota_exceeded'])),
            store: Type.Optional(StoreId),
            limit: Limit,
            after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return conflictReport(d.pool, {
        kind: req.query.kind,
        store: req.query.store,
        limit: limitOf(req.query.limit),
        after: Number(req.query.after ?? 0),
      });
    },
  );

  app.get(
    '/members/:memberId',
    {
      config: { role: 'analyst' },
      schema: { response: { 200: R.Member }, params: Type.Object({ memberId: MemberId }) },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      const m = (
        await d.pool.query(
          'SELECT member_id, enrolled_store, enrolled_at, balance FROM ledger_members WHERE member_id = $1',
          [req.params.memberId],
        )
      ).rows[0];
      if (!m) throw new ApiError(404, 'MEMBER_NOT_FOUND', `HQ knows no member ${req.params.memberId}`);
      const perStore = await d.pool.query(
        `SELECT store_id AS "storeId", sum(delta)::bigint AS points, count(*)::int AS movements
         FROM points_movements WHERE member_id = $1 GROUP BY 1 ORDER BY 1`,
        [req.params.memberId],
      );
      const conflicts = await d.pool.query(
        'SELECT id, kind, store_id AS "storeId", sale_id AS "saleId", amount, resolution FROM ledger_conflicts WHERE member_id = $1 ORDER BY id',
        [req.params.memberId],
      );
      return {
        memberId: m.member_id,
        enrolledStore: m.enrolled_store,
        enrolledAt: m.enrolled_at,
        balance: Number(m.balance),
        perStore: perStore.rows.map((r) => ({ ...r, points: Number(r.points) })),
        conflicts: conflicts.rows.map((r) => ({ ...r, amount: Number(r.amount) })),
      };
    },
  );
};
