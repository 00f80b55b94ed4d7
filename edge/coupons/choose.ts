// Automatic redemption: of the coupons a shopper holds, apply the combination that
// saves the most, without the shopper choosing. One coupon per campaign per sale.
// A coupon's minimum spend is measured on its in-scope lines after promotions; its
// discount is capped by what those lines still cost and spread over them in proportion.

import type { CouponCampaign } from '../../sync/datasets/coupon-campaign.js';
import type { Name, Scope } from '../../sync/datasets/shared.js';
import { scopeMatcher } from '../catalog/scope.js';
import { allocate, percentOf } from '../money.js';

export interface CouponTerms {
  campaignId: string;
  name: Name;
  benefit: CouponCampaign['benefit'];
  scope: Scope;
  minSpendFen: number;
}

export interface CouponCandidate {
  couponId: string;
  expiresAt: number;
  terms: CouponTerms;
}

export interface ChoiceLine {
  gtin: string;
  categories: readonly string[];
  brandId: string | null;
  netFen: number;
}

export interface CouponApplication {
  couponId: string;
  campaignId: string;
  name: Name;
  amountFen: number;
  /** the discount's share on each cart line, in cart line order */
  perLine: number[];
}

/** Exhaustive search is exact; past this many candidates the best ones are kept. */
const MAX_CANDIDATES = 10;

export function inScope(scope: Scope, l: Omit<ChoiceLine, 'netFen'>): boolean {
  return scopeMatcher(scope)(l);
}

function applyOne(
  c: CouponCandidate,
  lines: readonly ChoiceLine[],
  remaining: number[],
): CouponApplication | null {
  const t = c.terms;
  const idx = lines.flatMap((l, i) => (inScope(t.scope, l) ? [i] : []));
  const spend = idx.reduce((a, i) => a + lines[i]!.netFen, 0);
  if (idx.length === 0 || spend < t.minSpendFen) return null;
  const base = idx.reduce((a, i) => a + remaining[i]!, 0);
  let amount =
    t.benefit.type === 'amount_off'
      ? t.benefit.amountFen
      : Math.min(percentOf(base, t.benefit.percent), t.benefit.maxDiscountFen ?? Number.MAX_SAFE_INTEGER);
  amount = Math.min(amount, base);
  if (amount <= 0) return null;
  const shares = allocate(
    amount,
    idx.map((i) => remaining[i]!),
  );
  const perLine = lines.map(() => 0);
  idx.forEach((i, k) => {
    perLine[i] = shares[k]!;
  });
  return { couponId: c.couponId, campaignId: t.campaignId, name: t.name, amountFen: amount, perLine };
}

function evaluate(order: readonly CouponCandidate[], lines: readonly ChoiceLine[]): CouponApplication[] {
  const remaining = lines.map((l) => l.netFen);
  const applied: CouponApplication[] = [];
  for (const c of order) {
    const a = applyOne(c, lines, remaining);
    if (!a) continue;
    a.perLine.forEach((d, i) => {
      remaining[i]! -= d;
    });
    applied.push(a);
  }
  return applied;
}

const sum = (xs: readonly CouponApplication[]) => xs.reduce((a, x) => a + x.amountFen, 0);

export function chooseCoupons(
  lines: readonly ChoiceLine[],
  candidates: readonly CouponCandidate[],
): CouponApplication[] {
  // per campaign keep the coupon that expires first: it is the one to use up
  const byCampaign = new Map<string, CouponCandidate>();
  for (const c of [...candidates].sort(
    (a, b) => a.expiresAt - b.expiresAt || (a.couponId < b.couponId ? -1 : 1),
  )) {
    if (!byCampaign.has(c.terms.campaignId)) byCampaign.set(c.terms.campaignId, c);
  }
  const alone = [...byCampaign.values()]
    .map((c) => ({ c, value: sum(evaluate([c], lines)) }))
    .filter((x) => x.value > 0)
    .sort((a, b) => b.value - a.value || a.c.expiresAt - b.c.expiresAt)
    .slice(0, MAX_CANDIDATES)
    // percent coupons first: they see the larger base, so the sum is larger
    .map((x) => x.c)
    .sort((a, b) =>
      a.terms.benefit.type === b.terms.benefit.type ? 0 : a.terms.benefit.type === 'percent_off' ? -1 : 1,
    );
  let best: CouponApplication[] = [];
  for (let mask = 1; mask < 1 << alone.length; mask++) {
    const subset = alone.filter((_, i) => mask & (1 << i));
    const result = evaluate(subset, lines);
    const better =
      sum(result) > sum(best) ||
      (sum(result) === sum(best) && result.length > 0 && result.length < best.length);
    if (better) best = result;
  }
  return best;
}
