// Every business route fuzzed with generated input: wrong types, unicode, SQL-looking and
// oversized strings, bad path ids. Always a 4xx (or a 2xx when the input happens to be
// valid), never a 5xx; a refused request changes nothing in the database. Bounded: a
// fixed number of runs per route with a fixed seed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_TOKENS, type TestApi, testApi } from '../helpers/api.js';

let t: TestApi;
const routes: { method: string; url: string }[] = [];
let staffToken = '';

beforeAll(async () => {
  t = await testApi();
  // fastify has no public route list: read its printed route tree, four columns a level
  const stack: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
    // segments print without their leading slash under the root route ("/"), with it elsewhere
    const m = /^([│├└─ ]*)(\S+) \(([A-Z, ]+)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4 - 1;
    const path = (depth > 0 ? (stack[depth - 1] ?? '') : '') + (m[2] ?? '');
    stack[depth] = path;
    // the live streams never end by design; their only input is the staff token (and the
    // guide's zone, schema-checked): test/ui drives them
    const live = path === '/api/v1/staff/live' || path === '/api/v1/staff/guide-calls/live';
    for (const method of m[3]!.split(', '))
      if (path.startsWith('/api/v1/') && method !== 'HEAD' && !live) routes.push({ method, url: path });
  }
  const s = await t.app.inject({
    method: 'POST',
    url: '/api/v1/staff/sessions',
    payload: { staffId: 'sup-1', pin: '5678' },
    headers: { 'idempotency-key': 'fuzz-sign-in-1' },
  });
  staffToken = s.json().token;
});
afterAll(async () => {
  await t.app.close();
});

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    "'; DROP TABLE sales; --",
    '" OR 1=1 --',
    '\u0000',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    '../../etc/passwd',
    '%00',
    '1e309',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ minLength: 5000, maxLength: 6000 }),
);
const body = fc.oneof(
  fc.dictionary(
    fc.constantFrom(
      'code',
      'qty',
      'weightG',
      'kind',
      'tenderedFen',
      'points',
      'reason',
      'priceFen',
      'channel',
      'kioskId',
      'cartCode',
      'staffId',
      'pin',
      'lines',
      'campaignId',
      'amountFen',
      'grams',
      'x',
    ),
    nasty,
    { maxKeys: 4 },
  ),
  nasty,
  fc.array(nasty, { maxLength: 3 }),
);
const pathValue = fc.oneof(
  fc.uuid(),
  fc.constantFrom('not-a-uuid', '%27%20OR%201%3D1', 'kiosk-1', '..', 'x'.repeat(300)),
);

/** a cheap fingerprint of everything a request could change */
function state(): string {
  const tables = [
    'carts',
    'cart_lines',
    'payments',
    'sales',
    'refunds',
    'coupons',
    'members',
    'outbox',
    'kiosk_alerts',
    'attendant_actions',
  ];
  return tables.map((tb) => `${tb}:${t.db.prepare(`SELECT count(*) FROM ${tb}`).pluck().get()}`).join(' ');
}

describe('fuzzing every route', () => {
  it('finds the routes to fuzz', () => {
    expect(routes.length).toBeGreaterThan(25);
  });

  it('never answers 5xx, and a refused request changes nothing', async () => {
    let n = 0;
    const byClass = { ok: 0, refused: 0, unauthorized: 0 };
    for (const r of routes) {
      await fc.assert(
        fc.asyncProperty(body, pathValue, fc.boolean(), async (b, p, asStaff) => {
          const url = r.url.replace(/:[A-Za-z]+/g, encodeURIComponent(p));
          const before = state();
          const res = await t.app.inject({
            method: r.method as 'GET',
            url,
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `fuzz-${++n}-key`,
              authorization: `Bearer ${KIOSK_TOKENS['kiosk-1']}`,
              ...(asStaff ? { 'x-staff-token': staffToken } : {}),
            },
            ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { payload: JSON.stringify(b) }),
          });
          if (res.statusCode < 400) byClass.ok++;
          else if (res.statusCode === 401 || res.statusCode === 403) byClass.unauthorized++;
          else byClass.refused++;
          if (res.statusCode >= 500) throw new Error(`${r.method} ${url} → ${res.statusCode} ${res.body}`);
          if (res.statusCode >= 400 && state() !== before)
            throw new Error(`${r.method} ${url} → ${res.statusCode} but the database changed`);
        }),
        { numRuns: 25, seed: 20261122 },
      );
    }
    // the input reached the handlers: most is refused on its merits, not only at the door
    expect(byClass.refused).toBeGreaterThan(byClass.unauthorized);
    expect(byClass.ok).toBeGreaterThan(0);
  }, 120_000);
});
