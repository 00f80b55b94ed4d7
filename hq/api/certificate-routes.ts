// Every store's HTTPS certificate as HQ obtained and pushed it: anyone signed in reads
// them (expiry, what the store answered, why an order failed); an operator asks for a
// store's certificate to be renewed now.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import type { StoreCertificates } from '../certificates/part.js';
import type { HqAuth } from './auth.js';
import { StoreId } from './params.js';
import * as R from './responses.js';

export interface CertificateRouteDeps {
  auth: HqAuth;
  /** null: this HQ obtains no certificates (certificates.enabled false) */
  certificates: StoreCertificates | null;
}

export const certificateRoutes: FastifyPluginAsync<CertificateRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const desk = () => {
    if (!d.certificates)
      throw new ApiError(
        404,
        'NO_CERTIFICATES',
        'this HQ obtains no store certificates (certificates.enabled)',
      );
    return d.certificates;
  };

  app.get(
    '/certificates',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Certificates },
        querystring: Type.Object({ store: Type.Optional(StoreId) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return { certificates: await desk().list(req.query.store) };
    },
  );

  app.post(
    '/stores/:storeId/certificate/renew',
    {
      config: { role: 'operator' },
      schema: {
        response: { 202: R.RenewalAsked },
        params: Type.Object({ storeId: StoreId }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      d.auth.require(req, 'operator');
      if (!(await desk().askRenewal(req.params.storeId)))
        throw new ApiError(
          404,
          'NO_CERTIFICATE',
          `store ${req.params.storeId} has not asked for a certificate yet`,
        );
      reply.status(202);
      return { storeId: req.params.storeId, renewal: 'asked' as const };
    },
  );
};
