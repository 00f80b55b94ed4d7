// Support bundles: an operator asks a store for one and reads it at HQ
// (hq/support-bundles.ts). Operators only: a bundle holds the store's config (secrets
// redacted) and its recent log lines.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import type { SupportBundles } from '../support-bundles.js';
import type { HqAuth } from './auth.js';
import { Limit, limitOf, StoreId } from './params.js';
import * as R from './responses.js';

export interface SupportRouteDeps {
  auth: HqAuth;
  bundles: SupportBundles | null;
}

export const supportRoutes: FastifyPluginAsync<SupportRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const bundles = () => {
    if (!d.bundles) throw new ApiError(503, 'NO_SIGNING_KEY', 'HQ has no push signing key configured');
    return d.bundles;
  };

  app.post(
    '/stores/:storeId/support-bundles',
    {
      config: { role: 'operator' },
      schema: { response: { 201: R.SupportBundle }, params: Type.Object({ storeId: StoreId }) },
    },
    async (req, reply) => {
      const s = d.auth.require(req, 'operator');
      const b = await bundles().request(s.userId, req.params.storeId);
      reply.status(201);
      return b;
    },
  );

  app.get(
    '/stores/:storeId/support-bundles',
    {
      config: { role: 'operator' },
      schema: {
        response: { 200: R.SupportBundles },
        params: Type.Object({ storeId: StoreId }),
        querystring: Type.Object({ limit: Limit }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'operator');
      return { bundles: await bundles().list(req.params.storeId, limitOf(req.query.limit, 20)) };
    },
  );

  app.get(
    '/support-bundles/:id',
    {
      config: { role: 'operator' },
      schema: {
        response: { 200: R.SupportBundleBody },
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
      },
    },
    async (req) => {
      d.auth.require(req, 'operator');
      // the store's document, checked for its kind when it came in
      return (await bundles().get(Number(req.params.id))) as never;
    },
  );
};
