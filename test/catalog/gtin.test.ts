import { describe, expect, it } from 'vitest';
import {
  BarcodeError,
  gs1CheckDigit,
  hasValidCheckDigit,
  toGtin14,
  withCheckDigit,
} from '../../edge/catalog/gtin.js';

describe('GS1 check digits', () => {
  // Examples from the GS1 General Specifications and well-known printed codes.
  const valid = [
    '4006381333931', // EAN-13 (Wikipedia/GS1 example)
    '9780306406157', // ISBN-13 as EAN-13
    '036000291452', // UPC-A
    '96385074', // EAN-8
    '73513537', // EAN-8
    '10614141000415', // GTIN-14 from the GS1 Digital Link standard
    '09506000134352', // GS1 example GTIN-14
    '6901234567892',
  ];
  it.each(valid)('%s has a valid check digit', (code) => {
    expect(hasValidCheckDigit(code)).toBe(true);
    expect(withCheckDigit(code.slice(0, -1))).toBe(code);
  });

  it('finds every single-digit error', () => {
    for (const code of valid) {
      for (let i = 0; i < code.length; i++) {
        const d = Number(code[i]);
        const wrong = `${code.slice(0, i)}${(d + 1) % 10}${code.slice(i + 1)}`;
        expect(hasValidCheckDigit(wrong), wrong).toBe(false);
      }
    }
  });

  it('computes the mod-10 weights 3,1,3,… from the right', () => {
    expect(gs1CheckDigit('400638133393')).toBe(1);
    expect(gs1CheckDigit('0')).toBe(0);
    expect(() => gs1CheckDigit('12a')).toThrow(BarcodeError);
  });

  it('normalises GTIN-8/12/13/14 to GTIN-14', () => {
    expect(toGtin14('96385074')).toBe('00000096385074');
    expect(toGtin14('036000291452')).toBe('00036000291452');
    expect(toGtin14('4006381333931')).toBe('04006381333931');
    expect(toGtin14('10614141000415')).toBe('10614141000415');
  });

  it('rejects bad codes with a reason', () => {
    const reason = (code: string) => {
      try {
        toGtin14(code);
      } catch (err) {
        return (err as BarcodeError).code;
      }
      return 'accepted';
    };
    expect(reason('4006381333932')).toBe('bad_check_digit');
    expect(reason('400638133393')).toBe('bad_check_digit');
    expect(reason('40063813339')).toBe('bad_length');
    expect(reason('40063813339a1')).toBe('not_digits');
    expect(reason('')).toBe('not_digits');
  });
});
