import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, formatFen, includedTax, percentOf, roundHalfUp, weightPrice } from '../../edge/money.js';

describe('money', () => {
  it('rounds half up, half away from zero for negatives', () => {
    expect(roundHalfUp(5, 10)).toBe(1);
    expect(roundHalfUp(4, 10)).toBe(0);
    expect(roundHalfUp(15, 10)).toBe(2);
    expect(roundHalfUp(-15, 10)).toBe(-2);
    expect(roundHalfUp(-14, 10)).toBe(-1);
  });

  it('derives the VAT inside a tax-inclusive price', () => {
    expect(includedTax(1130, 1300)).toBe(130); // ¥11.30 at 13% holds ¥1.30
    expect(includedTax(109, 900)).toBe(9);
    expect(includedTax(200, 1300)).toBe(23); // 23.0088…
    expect(includedTax(0, 1300)).toBe(0);
  });

  it('prices weighed items per kg', () => {
    expect(weightPrice(1280, 455)).toBe(582); // ¥12.80/kg × 0.455 kg = ¥5.824
    expect(weightPrice(798, 1000)).toBe(798);
    expect(percentOf(1999, 50)).toBe(1000); // 999.5 → 1000
  });

  it('allocates exactly, in proportion', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(1000, [300, 700])).toEqual([300, 700]);
    expect(allocate(5, [0, 0])).toEqual([5, 0]);
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.array(fc.nat(100_000), { minLength: 1, maxLength: 50 }),
        (total, weights) => {
          const out = allocate(total, weights);
          expect(out.reduce((a, b) => a + b, 0)).toBe(total);
          expect(out.every((x) => x >= 0)).toBe(true);
        },
      ),
    );
  });

  it('formats fen as yuan', () => {
    expect(formatFen(123456)).toBe('¥1234.56');
    expect(formatFen(-5)).toBe('-¥0.05');
  });
});
