// GS1 element strings against the Barcode Syntax Dictionary's AI table: one valid and
// one invalid string per rule, then a property test that builds random valid element
// strings from the table (they must read back exactly) and random corruptions of them
// (each must be refused with a BarcodeError, and over HTTP with a 422, never a 5xx).
import currencyCodes from 'currency-codes';
import fc from 'fast-check';
import countries from 'i18n-iso-countries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarcodeError, parseScan } from '../../edge/catalog/barcode.js';
import type { AiSpec, Component } from '../../edge/catalog/gs1/ai-spec.js';
import { AI_TABLE } from '../../edge/catalog/gs1/ai-table.js';
import {
  AI_SPECS,
  type Element,
  matchesAiPattern,
  parseElementString,
} from '../../edge/catalog/gs1/element-string.js';
import { CHARSETS, checkPair, LINTERS, mod10 } from '../../edge/catalog/gs1/linters.js';
import { KIOSK_TOKENS, type TestApi, testApi } from '../helpers/api.js';

const GS = '\x1d';
const GTIN = '0109506000134352'; // AI 01 with a valid GTIN-14
const opts = { variableMeasure: [], currencyNumeric: '156' };

/** The reason a code is refused, as "kind: message", or 'ok'. */
function verdict(code: string): string {
  try {
    parseScan(code, opts);
    return 'ok';
  } catch (err) {
    if (!(err instanceof BarcodeError)) throw err;
    return `${err.code}: ${err.message}`;
  }
}
const withCheck = (body: string) => body + mod10(body);
const SSCC = withCheck('09506000134352000');
const badCheck = (key: string) => key.slice(0, -1) + ((Number(key.at(-1)) + 1) % 10);

describe('GS1 element strings are read as strictly as the syntax dictionary says', () => {
  // [rule, valid, invalid, the reason the invalid one gives]
  const cases: [string, string, string, RegExp][] = [
    [
      'AI 10 is at most 20 characters',
      `]C1${GTIN}10${'A'.repeat(20)}`,
      `]C1${GTIN}10${'A'.repeat(21)}`,
      /\(10\).*too long/,
    ],
    [
      'AI 21 takes CSET 82 only (no space)',
      `]C1${GTIN}21AB-12`,
      `]C1${GTIN}21AB 12`,
      /\(21\).*not in GS1 CSET 82/,
    ],
    [
      'AI 7003 is a date and a time, 10 digits',
      `]C1${GTIN}70032612311200`,
      `]C1${GTIN}7003261231120000`,
      /\(7003\).*too long/,
    ],
    [
      'AI 3922 is at most 15 digits',
      `]C1${GTIN}3103000500${'3922'}${'1'.repeat(15)}`,
      `]C1${GTIN}3103000500${'3922'}${'1'.repeat(16)}`,
      /\(3922\).*too long/,
    ],
    ['no empty values', `]C1${GTIN}10A${GS}21B`, `]C1${GTIN}10${GS}21B`, /\(10\).*empty/],
    ['no empty value at the end', `]C1${GTIN}10A`, `]C1${GTIN}10`, /\(10\).*empty/],
    [
      'an AI repeated only with the same value',
      `]C1${GTIN}1726123117261231`,
      `]C1${GTIN}1726123117270101`,
      /\(17\) appears twice/,
    ],
    [
      '310x needs 01 or 02',
      `]C1${GTIN}3103000500`,
      `]C100${SSCC}3103000500`,
      /\(3103\).*needs \(01\) or \(02\)/,
    ],
    [
      '392x needs 01 with a measure',
      `]C1${GTIN}31030005003922199`,
      `]C1${GTIN}3922199`,
      /\(3922\) PRICE needs \(01\)\+\(30\)/,
    ],
    [
      '393x needs a measure too',
      `]C1${GTIN}310300050039321561999`,
      `]C1${GTIN}39321561999`,
      /\(3932\) PRICE needs/,
    ],
    ['21 needs 01', `]C1${GTIN}21X1`, `]C100${SSCC}21X1`, /\(21\) SERIAL needs \(01\)/],
    [
      '01 and 02 exclude each other',
      `]C100${SSCC}020950600013435237${'12'}`,
      `]C1${GTIN}0209506000134352`,
      /may not appear together/,
    ],
    [
      'one net weight per item (310n)',
      `]C1${GTIN}3103000500`,
      `]C1${GTIN}31030005003102000050`,
      /\(310[23]\) may not appear together with \(310[23]\)/,
    ],
    ['GTIN check digit', `]C1${GTIN}`, `]C10109506000134353`, /\(01\).*check digit/],
    ['SSCC (00) check digit', `]C1${GTIN}00${SSCC}`, `]C1${GTIN}00${badCheck(SSCC)}`, /\(00\).*check digit/],
    [
      'GLN (414) check digit',
      `]C1${GTIN}414${withCheck('950600013435')}`,
      `]C1${GTIN}414${badCheck(withCheck('950600013435'))}`,
      /\(414\).*check digit/,
    ],
    [
      'GDTI (253) check digit',
      `]C1${GTIN}253${withCheck('950600013435')}DOC1`,
      `]C1${GTIN}253${badCheck(withCheck('950600013435'))}DOC1`,
      /\(253\).*check digit/,
    ],
    [
      'GSRN (8018) check digit',
      `]C1${GTIN}8018${withCheck('95060001343500000')}`,
      `]C1${GTIN}8018${badCheck(withCheck('95060001343500000'))}`,
      /\(8018\).*check digit/,
    ],
    [
      'GMN (8013) check character pair',
      `]C1${GTIN}80131987654Ad4X4bL5ttr2310c2K`,
      `]C1${GTIN}80131987654Ad4X4bL5ttr2310cXK`,
      /\(8013\).*check character pair/,
    ],
    [
      'dates: month and day exist',
      `]C1${GTIN}17261130`,
      `]C1${GTIN}17261131`,
      /\(17\).*day 31 does not exist/,
    ],
    ['dates: day 00 only where allowed', `]C1${GTIN}17261100`, `]C1${GTIN}7006261100`, /\(7006\).*day 00/],
    ['country codes are ISO 3166', `]C1${GTIN}422156`, `]C1${GTIN}422999`, /\(422\).*not an ISO 3166/],
    [
      'currencies are ISO 4217',
      `]C1${GTIN}310300050039321561999`,
      `]C1${GTIN}310300050039320001999`,
      /\(3932\).*not an ISO 4217/,
    ],
    ['unknown AIs are refused', `]C1${GTIN}10A`, `]C1${GTIN}23A`, /unknown AI/],
    ['no separator at the end', `]C1${GTIN}10A`, `]C1${GTIN}10A${GS}`, /ends with a separator/],
  ];
  for (const [rule, good, bad, why] of cases) {
    it(rule, () => {
      expect(verdict(good)).toBe('ok');
      expect(verdict(bad)).toMatch(why);
    });
  }

  it('element strings a store never takes are refused as unsupported, not half-checked', () => {
    expect(verdict(`]C1${GTIN}8110106141416543213500110000310123196000`)).toMatch(
      /^unsupported: AI \(8110\)/,
    );
  });

  it('GS1 Digital Link: query keys must be data attributes, qualifiers in their order', () => {
    expect(verdict('https://id.gs1.org/01/09506000134352/10/ABC/21/S1?17=261231')).toBe('ok');
    expect(verdict('https://id.gs1.org/01/09506000134352/21/S1/10/ABC')).toMatch(
      /not allowed after \/01\/ in this order/,
    );
    expect(verdict('https://id.gs1.org/01/09506000134352?21=S1')).toMatch(
      /not a GS1 Digital Link data attribute/,
    );
    expect(verdict('https://id.gs1.org/01/09506000134352?10=')).toMatch(/\(10\).*empty/);
    expect(verdict('https://id.gs1.org/01/09506000134352?3922=0001')).toMatch(/\(3922\) PRICE needs/);
  });

  it('linters agree with the GS1 check-pair examples', () => {
    expect(checkPair('1987654Ad4X4bL5ttr2310c')).toBe('2K');
    expect(checkPair('12345_ABCDEFGHIJKLM')).toBe('CP');
    expect((LINTERS.csumalpha as (v: string) => string | null)('22')).toBeNull();
  });
});

// ---- the property test ----

/** A small seeded generator, so fast-check's seed reproduces a failing string. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  return { int, pick };
}
type Rng = ReturnType<typeof rng>;

const numericCountries = Object.keys(countries.getNumericCodes());
const alpha2 = Object.values(countries.getNumericCodes());
const currencies = currencyCodes.numbers().map(String);
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const chars = (r: Rng, set: string, n: number) => Array.from({ length: n }, () => r.pick([...set])).join('');

/** A valid value for one component, or null when this test cannot make one (IBAN). */
function componentValue(c: Component, r: Rng): string | null {
  const L =
    c.min === c.max
      ? c.max
      : r.int(
          Math.max(c.min, c.linters.some((l) => l.startsWith('gcp') || l === 'csumalpha') ? 6 : 1),
          c.max,
        );
  const has = (l: string) => c.linters.includes(l);
  const set = has('pcenc') ? CHARSETS[c.cset].replace('%', '') : CHARSETS[c.cset];
  if (has('iban')) return null;
  if (has('csum')) return withCheck(chars(r, '0123456789', L - 1));
  if (has('csumalpha')) {
    let body = chars(r, '0123456789', 4) + chars(r, set, L - 6);
    if (has('hasnondigit')) body = `${body.slice(0, 4)}A${body.slice(5)}`;
    return body + checkPair(body);
  }
  if (has('yymmd0') || has('yymmdd'))
    return pad(r.int(0, 99), 2) + pad(r.int(1, 12), 2) + pad(r.int(1, 28), 2);
  if (has('yyyymmdd') || has('yyyymmd0'))
    return pad(r.int(1990, 2099), 4) + pad(r.int(1, 12), 2) + pad(r.int(1, 28), 2);
  if (has('hhmi')) return pad(r.int(0, 23), 2) + pad(r.int(0, 59), 2);
  if (has('hh')) return pad(r.int(0, 23), 2);
  if (has('mi') || has('ss')) return pad(r.int(0, 59), 2);
  if (has('iso3166')) return r.pick(numericCountries);
  if (has('iso3166999')) return r.pick([...numericCountries, '999']);
  if (has('iso3166alpha2')) return r.pick(alpha2);
  if (has('iso4217')) return r.pick(currencies);
  if (has('zero')) return '0';
  if (has('winding')) return r.pick(['0', '1', '9']);
  if (has('yesno')) return r.pick(['0', '1']);
  if (has('iso5218')) return r.pick(['0', '1', '2', '9']);
  if (has('mediatype')) return pad(r.pick([r.int(1, 10), r.int(80, 99)]), 2);
  if (has('hyphen')) return '-'.repeat(L);
  if (has('importeridx')) return r.pick(['A', 'z', '0', '-', '_']);
  if (has('latitude')) return pad(r.int(0, 1_800_000_000), 10);
  if (has('longitude')) return pad(r.int(0, 3_600_000_000), 10);
  if (has('pieceoftotal')) {
    const total = r.int(1, 99);
    return pad(r.int(1, total), 2) + pad(total, 2);
  }
  if (has('posinseqslash')) {
    const end = r.int(1, 9);
    return `${r.int(1, end)}/${end}`;
  }
  let v = chars(r, set, L);
  if (has('gcppos1')) v = chars(r, '0123456789', Math.min(4, L)) + v.slice(4);
  if (has('nonzero') && !/[1-9]/.test(v)) v = `${v.slice(0, -1)}1`;
  if (has('nozeroprefix') && v.startsWith('0')) v = `1${v.slice(1)}`;
  return v;
}

function valueFor(spec: AiSpec, r: Rng): string | null {
  let v = '';
  for (const c of spec.components) {
    if (c.optional && r.int(0, 1) === 0) break;
    const part = componentValue(c, r);
    if (part === null) return null;
    v += part;
  }
  return v;
}

const CHECKABLE = AI_TABLE.filter(
  (s) => !s.components.some((c) => c.linters.some((l) => LINTERS[l] === 'unsupported' || l === 'iban')),
);
const concrete = (p: string) => p.replaceAll('n', '0');

/** Random AIs closed over their requirements; null when they exclude each other. */
function randomElements(r: Rng): Element[] | null {
  const ais = new Set<string>();
  for (let i = r.int(1, 4); i > 0; i--) ais.add(r.pick(CHECKABLE).ai);
  for (let round = 0; round < 6; round++) {
    for (const ai of [...ais]) {
      for (const alternatives of AI_SPECS.get(ai)!.req) {
        if (alternatives.some((g) => g.every((p) => [...ais].some((a) => matchesAiPattern(p, a))))) continue;
        for (const p of r.pick(alternatives)) ais.add(concrete(p));
      }
    }
  }
  const list = [...ais];
  for (const ai of list) {
    const spec = AI_SPECS.get(ai);
    if (!spec || !CHECKABLE.includes(spec)) return null;
    if (list.some((o) => o !== ai && spec.ex.some((p) => matchesAiPattern(p, o)))) return null;
    if (!spec.req.every((alts) => alts.some((g) => g.every((p) => list.some((a) => matchesAiPattern(p, a))))))
      return null;
  }
  const out: Element[] = [];
  for (const ai of list) {
    const value = valueFor(AI_SPECS.get(ai)!, r);
    if (value === null) return null;
    out.push({ ai, value });
  }
  return out;
}

/** Element string as a scanner sends it: FNC1 (GS) after each variable-length value but the last. */
const encode = (els: Element[]) =>
  els
    .map((e, i) => e.ai + e.value + (AI_SPECS.get(e.ai)!.predefined || i === els.length - 1 ? '' : GS))
    .join('');

type Corruption = (els: Element[], r: Rng) => string | null;
const CORRUPTIONS: Record<string, Corruption> = {
  'check digit changed': (els, r) => {
    const k = els.filter((e) => AI_SPECS.get(e.ai)!.components[0]!.linters.includes('csum'));
    if (!k.length) return null;
    const e = r.pick(k);
    const n = AI_SPECS.get(e.ai)!.components[0]!.max;
    const bad = `${e.value.slice(0, n - 1)}${(Number(e.value[n - 1]) + r.int(1, 9)) % 10}${e.value.slice(n)}`;
    return encode(els.map((x) => (x === e ? { ...x, value: bad } : x)));
  },
  'value emptied': (els, r) => {
    const e = r.pick(els);
    if (AI_SPECS.get(e.ai)!.predefined) return null;
    return encode(els.map((x) => (x === e ? { ...x, value: '' } : x)));
  },
  'value too long': (els, r) => {
    const e = r.pick(els);
    const spec = AI_SPECS.get(e.ai)!;
    if (spec.predefined) return null;
    const max = spec.components.reduce((n, c) => n + c.max, 0);
    return encode(els.map((x) => (x === e ? { ...x, value: x.value.padEnd(max + 1, '1') } : x)));
  },
  'character outside the set': (els, r) => {
    const e = r.pick(els);
    const c = AI_SPECS.get(e.ai)!.components[0]!;
    const bad = { N: 'A', X: ' ', Y: 'a', Z: '!' }[c.cset];
    const at = r.int(0, Math.min(c.max, e.value.length) - 1);
    return encode(
      els.map((x) => (x === e ? { ...x, value: x.value.slice(0, at) + bad + x.value.slice(at + 1) } : x)),
    );
  },
  'unknown AI added': (els) => `${encode(els)}${AI_SPECS.get(els.at(-1)!.ai)!.predefined ? '' : GS}23X`,
  'same AI with another value': (els, r) => {
    const e = r.pick(els);
    for (let i = 0; i < 5; i++) {
      const other = valueFor(AI_SPECS.get(e.ai)!, r);
      if (other !== null && other !== e.value) return encode([...els, { ai: e.ai, value: other }]);
    }
    return null;
  },
  'required AI removed': (els, r) => {
    const needy = els.filter((e) => AI_SPECS.get(e.ai)!.req.length);
    if (!needy.length) return null;
    const e = r.pick(needy);
    const patterns = AI_SPECS.get(e.ai)!.req[0]!.flat();
    const kept = els.filter((x) => x === e || !patterns.some((p) => matchesAiPattern(p, x.ai)));
    return encode(kept);
  },
};

describe('property: random element strings from the AI table', () => {
  it('every valid one reads back exactly', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const els = randomElements(rng(seed));
        if (!els) return;
        checked++;
        expect(parseElementString(encode(els))).toEqual(els);
      }),
      { numRuns: 2000, seed: 20261129 },
    );
    expect(checked).toBeGreaterThan(500);
  });

  it('every corruption is refused with a BarcodeError', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...Object.keys(CORRUPTIONS)), (seed, kind) => {
        const r = rng(seed);
        const els = randomElements(r);
        if (!els) return;
        const bad = CORRUPTIONS[kind]!(els, r);
        if (bad === null) return;
        seen.add(kind);
        expect(() => parseElementString(bad), JSON.stringify(bad)).toThrow(BarcodeError);
      }),
      { numRuns: 3000, seed: 20261130 },
    );
    expect([...seen].sort()).toEqual(Object.keys(CORRUPTIONS).sort());
  });

  describe('over HTTP', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await testApi();
    });
    afterAll(async () => {
      await api.app.close();
      api.db.close();
    });

    it('a corrupted GS1 code is a 422 BAD_BARCODE and changes nothing, never a 5xx', async () => {
      const kiosk = { authorization: `Bearer ${KIOSK_TOKENS['kiosk-1']}` };
      let n = 0;
      const cart = await api.app.inject({
        method: 'POST',
        url: '/api/v1/carts',
        headers: { ...kiosk, 'idempotency-key': 'gs1-prop-cart' },
        payload: { channel: 'kiosk' },
      });
      const cartId = cart.json().cartId as string;
      const lines = () => api.db.prepare('SELECT count(*) FROM cart_lines').pluck().get();
      const outbox = () => api.db.prepare('SELECT count(*) FROM outbox').pluck().get();
      const before = [lines(), outbox()];
      await fc.assert(
        fc.asyncProperty(fc.integer(), fc.constantFrom(...Object.keys(CORRUPTIONS)), async (seed, kind) => {
          const r = rng(seed);
          const els = randomElements(r);
          const bad = els && CORRUPTIONS[kind]!(els, r);
          if (!bad) return;
          const res = await api.app.inject({
            method: 'POST',
            url: `/api/v1/carts/${cartId}/scans`,
            headers: { ...kiosk, 'idempotency-key': `gs1-prop-${++n}` },
            payload: { code: `]C1${bad}` },
          });
          expect(res.statusCode, bad).toBe(422);
          expect(res.json().error.code).toBe('BAD_BARCODE');
        }),
        { numRuns: 300, seed: 20261131 },
      );
      expect(n).toBeGreaterThan(100);
      expect([lines(), outbox()]).toEqual(before);
    });
  });
});
