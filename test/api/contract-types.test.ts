// The generated API types (test/helpers/contracts/) are those of the documents as they
// are now, and the typed client drives the real routes with them: a change to a route's
// schema that nobody regenerated for fails here; one that breaks a caller fails the typecheck.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi } from '../helpers/api.js';
import { FILES, hqDocument, storeDocument, typesOf } from '../helpers/contracts/generate.js';
import { idempotencyKey, storeClient } from '../helpers/typed-client.js';

const formatted = (path: string, text: string) =>
  execFileSync('npx', ['biome', 'format', `--stdin-file-path=${path}`], { input: text, encoding: 'utf8' });

it('the committed API types are generated from the current documents (npm run contracts)', async () => {
  const fresh = {
    store: formatted(FILES.store, await typesOf(await storeDocument(), 'the store API')),
    hq: formatted(FILES.hq, await typesOf(await hqDocument(), 'the HQ API')),
  };
  expect(
    fresh.store === readFileSync(FILES.store, 'utf8'),
    'store API types are stale: npm run contracts',
  ).toBe(true);
  expect(fresh.hq === readFileSync(FILES.hq, 'utf8'), 'HQ API types are stale: npm run contracts').toBe(true);
}, 60_000);

describe('the typed client', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await testApi();
  });
  afterAll(() => t.app.close());

  it('fills a phone cart and reads it back, and gets refusals in the documented error shape', async () => {
    const api = storeClient(t.app);
    const made = await api.POST('/api/v1/carts', {
      params: { header: { 'idempotency-key': idempotencyKey() } },
      body: { channel: 'phone' },
    });
    expect(made.response.status).toBe(201);
    const { cartId, cartToken } = made.data!;
    expect(cartToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const shopper = storeClient(t.app, { 'x-cart-token': cartToken! });
    const scanned = await shopper.POST('/api/v1/carts/{cartId}/scans', {
      params: { path: { cartId }, header: { 'idempotency-key': idempotencyKey() } },
      body: { code: '6911001001016' },
    });
    expect(scanned.response.status).toBe(201);
    const quote = await shopper.GET('/api/v1/carts/{cartId}', { params: { path: { cartId } } });
    expect(quote.data!.lines.map((l) => l.gtin)).toEqual(['06911001001016']);
    expect(quote.data!.totalFen).toBe(quote.data!.lines[0]!.finalFen);

    const bad = await shopper.POST('/api/v1/carts/{cartId}/scans', {
      params: { path: { cartId }, header: { 'idempotency-key': idempotencyKey() } },
      body: { code: '6911001001017' },
    });
    expect(bad.response.status).toBe(422);
    expect(bad.error).toMatchObject({ error: { code: 'BAD_BARCODE' } });
  });
});
