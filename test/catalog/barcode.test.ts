import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarcodeError, parseScan, type ScanOptions } from '../../edge/catalog/barcode.js';
import { withCheckDigit } from '../../edge/catalog/gtin.js';
import { expandUpcE } from '../../edge/catalog/upc-e.js';
import { priceCheckDigit } from '../../edge/catalog/variable-measure.js';

const GS = '\x1d';
const opts: ScanOptions = {
  currencyNumeric: '156',
  variableMeasure: [
    { prefix: '20', kind: 'weight', itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
    { prefix: '21', kind: 'price', itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
    { prefix: '22', kind: 'price', itemDigits: 4, valueDigits: 5, priceCheckDigit: true },
    { prefix: '23', kind: 'price', itemDigits: 5, valueDigits: 4, priceCheckDigit: true },
  ],
};
const scan = (raw: string) => parseScan(raw, opts);
function reason(raw: string): string {
  try {
    scan(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(BarcodeError);
    return `${(err as BarcodeError).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('retail linear codes', () => {
  it.each([
    ['4006381333931', 'ean-13', '04006381333931'],
    [']E04006381333931', 'ean-13', '04006381333931'],
    ['4006381333931\r\n', 'ean-13', '04006381333931'],
    ['96385074', 'ean-8', '00000096385074'],
    [']E496385074', 'ean-8', '00000096385074'],
    ['036000291452', 'upc-a', '00036000291452'],
    [']E00036000291452', 'ean-13', '00036000291452'],
    ['01234565', 'ean-8', '00000001234565'], // valid as both: without AIM, EAN-8 wins
    [']E001234565', 'upc-e', '00012345000065'],
    ['04252614', 'upc-e', '00042100005264'], // not a valid EAN-8, so UPC-E
    [']E004252614', 'upc-e', '00042100005264'],
    [']I110614141000415', 'itf-14', '10614141000415'],
    ['10614141000415', 'itf-14', '10614141000415'],
    [']E3977123456700312', 'ean-13', '09771234567003'], // ISSN periodical with a 2-digit add-on
  ])('%j → %s %s', (raw, symbology, gtin) => {
    expect(scan(raw)).toMatchObject({ symbology, gtin });
  });

  it('expands every UPC-E form per the GS1 zero-suppression table', () => {
    expect(expandUpcE('01234565')).toBe('012345000065'); // last digit 5–9
    expect(expandUpcE('04252614')).toBe('042100005264'); // 0–2
    expect(expandUpcE('01234133')).toBe('012300000413'); // 3
    expect(expandUpcE('01234145')).toBe('012340000015'); // 4
    expect(() => expandUpcE('01234146')).toThrow(/bad check digit in UPC-E/);
  });

  it('reports the AIM identifier and keeps the raw read', () => {
    expect(scan(']E04006381333931')).toMatchObject({ aim: ']E0', raw: ']E04006381333931' });
  });
});

describe('GS1 element strings', () => {
  it('GS1-128 with batch, variable-length field ended by FNC1, and net weight', () => {
    const r = scan(`]C10109506000134352${'10ABC123'}${GS}3103000195`);
    expect(r).toMatchObject({ symbology: 'gs1-128', gtin: '09506000134352', batch: 'ABC123', weightG: 195 });
    expect(r.elements).toEqual([
      { ai: '01', value: '09506000134352' },
      { ai: '10', value: 'ABC123' },
      { ai: '3103', value: '000195' },
    ]);
  });

  it('GS1 DataBar Expanded with a weight and a price (392x) or a price in currency (393x)', () => {
    // a price needs the measure it is the price of (the dictionary's req for 392n/393n)
    expect(scan(`]e00109506000134352310300123439220${GS}01999`.replace(GS, ''))).toMatchObject({
      symbology: 'gs1-databar',
      weightG: 1234,
      priceFen: 1999,
    });
    expect(scan(']e00109506000134352310300123439321560001999')).toMatchObject({ priceFen: 1999 });
    expect(reason(']e00109506000134352310300123439329780001999')).toMatch(
      /^unsupported: price in currency 978/,
    );
    expect(reason(']e001095060001343523922001999')).toMatch(
      /^malformed: AI \(3922\) PRICE needs \(01\)\+\(30\)/,
    );
  });

  it('weights with other decimal places convert exactly to grams', () => {
    expect(scan(']C101095060001343523102000123')).toMatchObject({ weightG: 1230 }); // 1.23 kg
    expect(scan(']C101095060001343523105001234')).toMatchObject({ weightG: 12 }); // 0.01234 kg, rounded
  });

  it('GS1 QR and DataMatrix, serial and expiry; human-readable form with parentheses', () => {
    expect(scan(`]Q3010950600013435221XYZ${GS}17251231`)).toMatchObject({
      symbology: 'gs1-qr',
      serial: 'XYZ',
      expiry: '2025-12-31',
    });
    expect(scan(']d2010950600013435217260200')).toMatchObject({
      symbology: 'gs1-datamatrix',
      expiry: '2026-02-28',
    });
    expect(scan('(01)09506000134352(17)251231(10)L1')).toMatchObject({ gtin: '09506000134352', batch: 'L1' });
  });

  it('a GS1-128 read without AIM identifier is recognised by its leading AI 01', () => {
    expect(scan('010950600013435210ABC')).toMatchObject({
      symbology: 'gs1-128',
      gtin: '09506000134352',
      batch: 'ABC',
    });
  });

  it('rejects bad check digits, truncated fields and codes without a GTIN', () => {
    expect(reason(']C10109506000134353')).toMatch(/^bad_check_digit/);
    expect(reason(']C1010950600013435')).toMatch(/^malformed: AI \(01\) GTIN: value is too short/);
    expect(reason(']C110ABC')).toMatch(/^malformed: AI \(10\) BATCH\/LOT needs \(01\) or \(02\)/);
    expect(reason(']C100009506000134352008')).toBe('unsupported: GS1 code carries no GTIN (AI 01 or 02)');
    expect(reason(']C10109506000134352170213')).toMatch(/^malformed/); // AI 17 needs six digits
  });
});

describe('GS1 Digital Link', () => {
  it('reads the GTIN, qualifiers in the path and data attributes in the query', () => {
    expect(
      scan(']Q1https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=251231&linkType=gs1:pip'),
    ).toMatchObject({
      symbology: 'qr',
      gtin: '09506000134352',
      batch: 'ABC123',
      serial: '12345',
      expiry: '2025-12-31',
    });
  });

  it('accepts short names, a path prefix and a GTIN-13 padded as GTIN-14', () => {
    expect(scan('https://shop.example.com/dl/gtin/04006381333931/lot/A%2F1')).toMatchObject({
      gtin: '04006381333931',
      batch: 'A/1',
    });
  });

  it('rejects links without a GTIN, odd paths and bad check digits', () => {
    expect(reason('https://example.com/products/123')).toMatch(/^unsupported: URI is not a GS1 Digital Link/);
    expect(reason('https://id.gs1.org/01/09506000134352/10')).toMatch(
      /^malformed: GS1 Digital Link path must be AI\/value pairs/,
    );
    expect(reason('https://id.gs1.org/01/09506000134351')).toMatch(/^bad_check_digit/);
    expect(reason('https://id.gs1.org/01/09506000134352/xx/1')).toMatch(/^malformed: unknown AI "xx"/);
  });
});

describe('variable-measure (prefix 2x) codes', () => {
  it('decodes a weight label: PLU and grams', () => {
    expect(scan('2010001004554')).toMatchObject({
      plu: '10001',
      weightG: 455,
      gtin: `0${withCheckDigit('201000100000')}`,
    });
  });

  it('decodes a price label: PLU and fen', () => {
    expect(scan('2110001012907')).toMatchObject({ plu: '10001', priceFen: 1290 });
  });

  it('verifies the price verifier digit (GS1 §7.9.3) for 4- and 5-digit prices', () => {
    expect(priceCheckDigit('2875')).toBe(9); // worked example of the 4-digit method
    expect(priceCheckDigit('14685')).toBe(6);
    const five = withCheckDigit(`221234${priceCheckDigit('01999')}01999`);
    expect(scan(five)).toMatchObject({ plu: '1234', priceFen: 1999 });
    const four = withCheckDigit(`2310001${priceCheckDigit('1999')}1999`);
    expect(scan(four)).toMatchObject({ plu: '10001', priceFen: 1999 });
    const wrongVerifier = withCheckDigit(`221234${(priceCheckDigit('01999') + 1) % 10}01999`);
    expect(reason(wrongVerifier)).toMatch(/^bad_check_digit: bad price verifier digit/);
  });

  it('a 2x code with no configured layout is an ordinary in-store GTIN', () => {
    const code = withCheckDigit('290000012345');
    expect(scan(code)).toEqual({ raw: code, aim: null, symbology: 'ean-13', gtin: `0${code}` });
  });

  it('rejects a variable-measure code with a bad check digit', () => {
    expect(reason('2010001004555')).toMatch(/^bad_check_digit/);
  });
});

describe('bad input', () => {
  it.each([
    ['', /^malformed: empty scan/],
    ['   \r\n', /^malformed: empty scan/],
    ['4006381333932', /^bad_check_digit: bad check digit in 4006381333932: expected 1, got 2/],
    ['96385075', /^bad_check_digit/],
    ['036000291453', /^bad_check_digit/],
    ['12345678901', /^bad_length: no product barcode has 11 digits/],
    ['ABC-123', /^unsupported: not a product barcode/],
    ['4006381\x00333931', /^malformed: scan contains control characters/],
    ['9'.repeat(600), /^malformed: scan longer than 512/],
  ])('%j → %s', (raw, expected) => {
    expect(reason(raw)).toMatch(expected);
  });

  it('any single-digit error in a valid EAN-13 is caught', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9]\d{11}$/),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        (data, pos, delta) => {
          const code = withCheckDigit(data);
          if (code.startsWith('2')) return; // store layouts re-read 2x codes
          expect(scan(code).gtin).toBe(`0${code}`);
          const wrong = `${code.slice(0, pos)}${(Number(code[pos]) + delta) % 10}${code.slice(pos + 1)}`;
          expect(reason(wrong)).toMatch(/^bad_check_digit/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a BarcodeError, whatever arrives', () => {
    const inputs = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      // biome-ignore lint/suspicious/noControlCharactersInRegex: GS (FNC1) is part of real GS1 reads
      fc.stringMatching(/^(\]C1|\]e0|\]Q3|\]E0|\]d2)?[0-9\x1d()A-Z]{0,60}$/),
      fc.webUrl().map((u) => `${u}/01/0950600013435`),
    );
    fc.assert(
      fc.property(inputs, (raw) => {
        try {
          scan(raw);
        } catch (err) {
          expect(err).toBeInstanceOf(BarcodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
