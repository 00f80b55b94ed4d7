import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../edge/api/app.js';
import { createMetrics } from '../../edge/api/metrics.js';
import type { ErrorCode } from '../../sync/kernel/error-codes.js';
import { ApiError } from '../../sync/kernel/errors.js';
import type { PartStatus } from '../../sync/kernel/lifecycle.js';
import { memoryLogger } from '../helpers/log.js';

let parts: PartStatus[] = [];
let app: FastifyInstance;
let logs: ReturnType<typeof memoryLogger>;

function makeApp(): FastifyInstance {
  logs = memoryLogger();
  app = buildApp({
    log: logs.log,
    parts: () => parts,
    metrics: createMetrics(() => parts),
    info: {
      storeId: 'sh-0001',
      version: '0.1.0',
      configSource: '/etc/storeedge/store.yaml',
      configSha256: 'ab'.repeat(32),
    },
    startedAt: Date.now(),
    bodyLimitBytes: 2048,
    requestTimeoutMs: 5000,
  });
  // routes like the business routes, registered as they are (in a plugin, after the
  // document's generator) so that the published document has them
  app.register(async (t) => {
    // a route like the business routes: schema-validated body
    t.post(
      '/test/echo',
      {
        schema: {
          body: {
            type: 'object',
            required: ['qty'],
            additionalProperties: false,
            properties: { qty: { type: 'integer', minimum: 1 }, note: { type: 'string', maxLength: 100 } },
          },
        },
      },
      async (req) => req.body,
    );
    t.get('/test/boom', async () => {
      throw new Error('secret connection string leaked?');
    });
    t.get('/test/conflict', async () => {
      // a code of this test's own, not the catalogue's: the handler passes any ApiError through
      throw new ApiError(409, 'CART_CLOSED' as ErrorCode, 'cart is already paid', { cartId: 'c1' });
    });
  });
  return app;
}

const ready = (name: string): PartStatus => ({ name, state: 'ready', since: new Date().toISOString() });

afterEach(async () => {
  await app?.close();
});

describe('ops routes', () => {
  it('/healthz answers while the process lives', async () => {
    makeApp();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('/readyz is 200 with each part when all are ready, 503 when one is not', async () => {
    makeApp();
    parts = [ready('db'), { ...ready('http'), details: { address: 'http://127.0.0.1:8080' } }];
    let res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ready: true,
      storeId: 'sh-0001',
      config: { source: '/etc/storeedge/store.yaml' },
      parts: [
        { name: 'db', state: 'ready' },
        { name: 'http', details: { address: 'http://127.0.0.1:8080' } },
      ],
    });
    parts = [
      ready('db'),
      { name: 'devices', state: 'failed', since: new Date().toISOString(), error: 'scale gone' },
    ];
    res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().parts[1]).toMatchObject({ state: 'failed', error: 'scale gone' });
  });

  it('/metrics is Prometheus text with request counts and part states', async () => {
    makeApp();
    parts = [ready('db'), { name: 'sync', state: 'starting', since: new Date().toISOString() }];
    await app.inject({ method: 'GET', url: '/healthz' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('storeedge_http_requests_total{method="GET",route="/healthz",status="200"} 1');
    expect(res.body).toContain('storeedge_part_state{part="db",state="ready"} 1');
    expect(res.body).toContain('storeedge_part_state{part="sync",state="starting"} 1');
    expect(res.body).toContain('storeedge_part_state{part="sync",state="ready"} 0');
    expect(res.body).toContain('storeedge_process_resident_memory_bytes');
  });
});

describe('uniform errors', () => {
  it('a schema violation is 400 VALIDATION_FAILED naming the field', async () => {
    makeApp();
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { qty: 0 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'body/qty', message: 'must be >= 1' }],
    });
    const extra = await app.inject({ method: 'POST', url: '/test/echo', payload: { qty: 1, admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('invalid JSON is 400 INVALID_JSON', async () => {
    makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"qty": 1,',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_JSON');
  });

  it('an oversized body is 413 BODY_TOO_LARGE', async () => {
    makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/test/echo',
      payload: { qty: 1, note: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('an unsupported media type is 415', async () => {
    makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<qty>1</qty>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route is 404 NOT_FOUND', async () => {
    makeApp();
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /nope' });
  });

  it('a domain error keeps its status, code and details', async () => {
    makeApp();
    const res = await app.inject({ method: 'GET', url: '/test/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'CART_CLOSED',
      message: 'cart is already paid',
      details: { cartId: 'c1' },
    });
  });

  it('an unexpected error is 500 with no internals in the body, and is logged', async () => {
    makeApp();
    const res = await app.inject({ method: 'GET', url: '/test/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(res.body).not.toContain('secret');
    const requestId = res.json().error.requestId;
    expect(logs.lines().some((l) => l.reqId === requestId && l.level === 'error')).toBe(true);
  });
});
