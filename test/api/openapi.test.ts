// The published HTTP contracts: the store's and HQ's OpenAPI 3.1 documents are served,
// are valid OpenAPI (checked by a validator of the spec's own schemas), say for every
// route who may call it, which writes need an Idempotency-Key and what each answer is;
// and the check that holds every answer of the suites to them does catch a breach.
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { storeOpenApi } from '../../edge/api/store-openapi.js';
import {
  answerProblem,
  installContractCheck,
  schemaCompiler,
} from '../../sync/kernel/http/contract-check.js';
import { installErrorHandling } from '../../sync/kernel/http/errors.js';
import { installOpenApi } from '../../sync/kernel/http/openapi.js';
import { type TestApi, testApi } from '../helpers/api.js';
import { hqDocsApp } from '../helpers/contracts/generate.js';

// biome-ignore lint/suspicious/noExplicitAny: documents are read loosely here
type J = any;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const operations = (doc: J) =>
  Object.entries(doc.paths as Record<string, J>).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, J>)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ path, method, op })),
  );

async function valid(doc: J) {
  const r = await new Validator().validate(doc);
  expect(r.errors ?? [], JSON.stringify(r.errors)?.slice(0, 2000)).toEqual([]);
  expect(r.valid).toBe(true);
}

describe('the store API document', () => {
  let t: TestApi;
  let doc: J;
  beforeAll(async () => {
    t = await testApi();
    const r = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    doc = r.json();
  });
  afterAll(() => t.app.close());

  it('is valid OpenAPI 3.1, names the auth schemes and documents every business route', async () => {
    await valid(doc);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      ['cartToken', 'kioskToken', 'memberCode', 'memberSession', 'staffToken'].sort(),
    );
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(50);
    // no static page or redirect in the API's document
    expect(ops.filter((o) => o.path.startsWith('/ui/') || o.path === '/')).toEqual([]);
    for (const { path, method, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      // every route says what it answers on success, and errors have the one shape
      const success = Object.keys(op.responses).filter((s) => /^2/.test(s));
      expect(success.length, where).toBeGreaterThan(0);
      for (const s of success)
        if (s !== '204') expect(op.responses[s].content, `${where} ${s}`).toBeDefined();
      expect(op.responses.default.content['application/json'].schema.required, where).toEqual(['error']);
      expect(Array.isArray(op.security), where).toBe(true);
    }
  });

  it('has examples that keep their own schemas', () => {
    const compile = schemaCompiler();
    let checked = 0;
    // media types carry named examples beside their schema, parameters one example
    const walk = (node: J, where: string) => {
      if (!node || typeof node !== 'object') return;
      const values =
        node.schema && node.examples && typeof node.examples === 'object'
          ? Object.values(node.examples as Record<string, { value: unknown }>).map((e) => e.value)
          : node.schema && node.example !== undefined
            ? [node.example]
            : [];
      if (values.length) {
        const validate = compile(node.schema);
        for (const v of values) {
          expect(validate(v), `${where}: ${JSON.stringify(v)} ${JSON.stringify(validate.errors)}`).toBe(true);
          checked++;
        }
      }
      for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
    };
    walk(doc.paths, '');
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('says who may call what: staff routes need a staff token, cart routes a cart, kiosk or staff', () => {
    const op = (method: string, path: string) => doc.paths[path][method];
    expect(op('post', '/api/v1/staff/sales/{saleId}/refunds').security).toEqual([{ staffToken: [] }]);
    expect(op('get', '/api/v1/carts/{cartId}').security).toEqual([
      { kioskToken: [] },
      { cartToken: [] },
      { staffToken: [] },
    ]);
    expect(op('get', '/api/v1/products/{code}').security).toEqual([]);
    expect(op('get', '/api/v1/wallet').security).toContainEqual({ memberSession: [] });
  });

  it('marks the writes that need an Idempotency-Key, and only those', () => {
    const header = (o: J) =>
      (o.parameters ?? []).find((p: J) => p.in === 'header' && p.name === 'idempotency-key');
    const scan = header(doc.paths['/api/v1/carts/{cartId}/scans'].post);
    expect(scan).toMatchObject({ required: true, schema: { pattern: '^[A-Za-z0-9_.:-]{8,128}$' } });
    expect(header(doc.paths['/api/v1/carts/{cartId}/tenders'].post)?.required).toBe(true);
    // reads and sign-in take none
    expect(header(doc.paths['/api/v1/carts/{cartId}'].get)).toBeUndefined();
    expect(header(doc.paths['/api/v1/staff/sessions'].post)).toBeUndefined();
    const writes = operations(doc).filter((o) => header(o.op));
    expect(writes.length).toBeGreaterThanOrEqual(24);
  });

  it('is browsable at /docs from files this box serves (no CDN)', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    // scripts and styles come from this box, by relative paths
    expect(page.body).toContain('./static/swagger-ui-bundle.js');
    expect(page.body).not.toMatch(/(src|href)=["']https?:/);
    const css = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
  });
});

describe("HQ's API document", () => {
  it('is valid OpenAPI 3.1, and every API route needs an HQ session of its role but sign-in and bundles', async () => {
    const hq = await hqDocsApp();
    const { app } = hq;
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    await valid(doc);
    expect(doc.components.securitySchemes.hqSession).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = operations(doc).filter((o) => o.path.startsWith('/api/'));
    expect(ops.length).toBeGreaterThan(30);
    const open = ops.filter((o) => o.op.security.length === 0).map((o) => `${o.method} ${o.path}`);
    // sign-in, sign-out (of the token it is given) and bundle and delta downloads (checked by the signed sha256)
    expect(open.sort()).toEqual([
      'delete /api/v1/sessions',
      'get /api/v1/releases/{version}/{arch}/bundle',
      'get /api/v1/releases/{version}/{arch}/delta/{from}',
      'post /api/v1/sessions',
    ]);
    expect(doc.paths['/api/v1/pushes'].post.security).toEqual([{ hqSession: ['operator'] }]);
    expect(doc.paths['/api/v1/figures/stores'].get.security).toEqual([{ hqSession: ['analyst'] }]);
    // and the MQTT interface's document beside it
    const asyncApi = await app.inject({ method: 'GET', url: '/docs/asyncapi.json' });
    expect(asyncApi.json().asyncapi).toBe('3.1.0');
    await hq.close();
  });
});

describe('the contract check', () => {
  it('turns an answer the document does not allow into a 500 that names the breach', async () => {
    // these breaches are on purpose: kept out of the run's record of breaches
    const record = process.env.STOREEDGE_CONTRACT_VIOLATIONS;
    delete process.env.STOREEDGE_CONTRACT_VIOLATIONS;
    onTestFinished(() => {
      process.env.STOREEDGE_CONTRACT_VIOLATIONS = record;
    });
    const app = Fastify({ logger: false });
    installErrorHandling(app);
    installOpenApi(app, { ...storeOpenApi, security: () => [] });
    installContractCheck(app, () => app.swagger());
    app.register(async (r) => {
      const schema = {
        response: { 200: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } },
      };
      r.get('/good', { schema }, async () => ({ n: 1 }));
      // a status the schema does not list (the typed reply knows only 200, hence the cast)
      r.get('/undocumented-status', { schema }, async (_req, reply) => reply.code(201 as 200).send({ n: 1 }));
      // a route that documents no answer at all
      r.get('/no-answer-documented', { schema: {} }, async () => ({ n: 'one' }));
      r.get('/refused', { schema }, async () => {
        throw Object.assign(new Error('nope'), { statusCode: 409 });
      });
    });
    await app.ready();
    const get = (url: string) => app.inject({ method: 'GET', url });
    expect((await get('/good')).statusCode).toBe(200);
    // errors fall to the documented error shape
    expect((await get('/refused')).statusCode).toBe(409);
    const undocumented = await get('/undocumented-status');
    expect(undocumented.statusCode).toBe(500);
    expect(undocumented.json().error).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect(undocumented.json().error.message).toContain('status 201 is not documented');
    const wrong = await get('/no-answer-documented');
    expect(wrong.statusCode).toBe(500);
    expect(wrong.json().error.message).toContain('status 200 is not documented');
    await app.close();
  });

  it('checks bodies against the schema, content types and empty answers', () => {
    const doc = {
      paths: {
        '/x/{id}': {
          get: {
            responses: {
              200: {
                content: {
                  'application/json': {
                    schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
                  },
                },
              },
              204: {},
            },
          },
        },
      },
    };
    const compile = schemaCompiler();
    const a = (status: number, body: string | null, contentType = 'application/json; charset=utf-8') =>
      answerProblem(doc, compile, { method: 'GET', url: '/x/:id', status, contentType, body });
    expect(a(200, '{"n":1}')).toBeNull();
    expect(a(200, '{"n":"1"}')).toContain('/n must be integer');
    expect(a(200, '{}')).toContain("must have required property 'n'");
    expect(a(200, 'x', 'text/html')).toContain('content type text/html is not documented');
    expect(a(204, null)).toBeNull();
    expect(a(204, '{"n":1}')).toContain('documents no body');
    expect(a(404, '{"error":{}}')).toContain('status 404 is not documented');
  });
});
