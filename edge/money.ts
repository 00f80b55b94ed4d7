// Money is integer fen. Every computed amount is rounded once, by ONE rule: half up
// (四舍五入) at the fen, half away from zero for negatives. Prices are tax-inclusive;
// the tax part is derived from the gross, never added on top.

/** numerator/denominator rounded half up (half away from zero), as an integer. */
export function roundHalfUp(numerator: number, denominator: number): number {
  if (denominator <= 0 || !Number.isInteger(denominator))
    throw new RangeError('denominator must be a positive integer');
  const sign = numerator < 0 ? -1 : 1;
  const n = Math.abs(numerator);
  const q = Math.floor(n / denominator);
  const r = n - q * denominator;
  return sign * (r * 2 >= denominator ? q + 1 : q);
}

/** The VAT contained in a tax-inclusive amount: gross × rate / (1 + rate). */
export function includedTax(grossFen: number, rateBp: number): number {
  return roundHalfUp(grossFen * rateBp, 10_000 + rateBp);
}

/** Price of a weighed item: per-kg price × grams / 1000. */
export function weightPrice(perKgFen: number, grams: number): number {
  return roundHalfUp(perKgFen * grams, 1000);
}

export function percentOf(amountFen: number, percent: number): number {
  return roundHalfUp(amountFen * percent, 100);
}

/** Splits `total` over `weights` in proportion, in whole fen, summing exactly to total
 * (largest remainder; ties to the earlier index). Used so each line carries its share
 * of a cart-level discount — refunds then give back exactly what was paid. */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) {
    const out = weights.map(() => 0);
    out[0] = total;
    return out;
  }
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left -= 1;
  }
  return out;
}

/** ¥12.34 style, for receipts and logs. */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}¥${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}
