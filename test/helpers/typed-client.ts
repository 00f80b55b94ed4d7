// Typed clients of the store's and HQ's API (openapi-fetch over the types generated from
// their OpenAPI documents, test/helpers/contracts/): a helper that calls a route through
// them stops compiling when the route's documented request or answer changes. Against a
// daemon or HQ by URL, or an app in this process through inject().
import type { FastifyInstance } from 'fastify';
import createClient from 'openapi-fetch';
import type { paths as HqPaths } from './contracts/hq-api.js';
import type { paths as StorePaths } from './contracts/store-api.js';

/** fetch() answered by a fastify app's inject(), for openapi-fetch */
function injectFetch(app: FastifyInstance): typeof fetch {
  return async (input: Request | string | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: req.method as 'GET',
      url: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      ...(body ? { payload: body } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, String(v));
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers });
  };
}

const options = (target: FastifyInstance | string, headers: Record<string, string>) =>
  typeof target === 'string'
    ? { baseUrl: target, headers }
    : { baseUrl: 'http://store.test', fetch: injectFetch(target), headers };

export const storeClient = (target: FastifyInstance | string, headers: Record<string, string> = {}) =>
  createClient<StorePaths>(options(target, headers));

export const hqClient = (target: FastifyInstance | string, headers: Record<string, string> = {}) =>
  createClient<HqPaths>(options(target, headers));

let n = 0;
/** a fresh Idempotency-Key for one write */
export const idempotencyKey = () => `typed-${process.pid}-${Date.now()}-${++n}`;
