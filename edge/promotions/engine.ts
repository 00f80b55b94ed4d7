// The promotion rule engine: a pure function from a cart's lines to the discounts
// each line gets, with the promotion that gave it (so receipts explain every fen and
// refunds give back exactly what was paid). Deterministic: promotions apply in
// priority order (lower first, then id); each sees the line amounts left by the ones
// before it. An exclusive promotion only takes lines nobody discounted yet, and the
// lines it discounts take nothing after it.

import type { Promotion } from '../../sync/datasets/promotion.js';
import type { Name } from '../../sync/datasets/shared.js';
import { scopeMatcher } from '../catalog/scope.js';
import { allocate, percentOf, weightPrice } from '../money.js';

export interface PricingLine {
  id: string;
  gtin: string;
  /** the product's category and its ancestors */
  categories: readonly string[];
  brand: string | null;
  soldBy: 'each' | 'weight';
  /** units for 'each'; 1 for weighed lines */
  qty: number;
  weightG: number | null;
  /** price before promotions: per unit, or per kg when sold by weight */
  unitPriceFen: number;
  /** an attendant set the price: promotions leave the line alone */
  priceOverridden: boolean;
}

export interface AppliedDiscount {
  promotionId: string;
  name: Name;
  amountFen: number;
}

export interface PricedLine {
  id: string;
  grossFen: number;
  discounts: AppliedDiscount[];
  netFen: number;
}

export interface PricingContext {
  now: number;
  timezone: string;
  member: boolean;
}

export interface CompiledPromotion {
  promotion: Promotion;
  matches(line: PricingLine): boolean;
}

/** Prepares promotions once (sorting, scope sets) so pricing a cart stays cheap. */
export function compilePromotions(promotions: readonly Promotion[]): CompiledPromotion[] {
  return [...promotions]
    .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((promotion) => {
      const inScope = scopeMatcher(promotion.scope);
      return {
        promotion,
        matches: (l: PricingLine) => inScope({ gtin: l.gtin, categories: l.categories, brandId: l.brand }),
      };
    });
}

export function lineGross(l: PricingLine): number {
  return l.soldBy === 'weight' ? weightPrice(l.unitPriceFen, l.weightG ?? 0) : l.unitPriceFen * l.qty;
}

interface Work {
  line: PricingLine;
  net: number;
  discounts: AppliedDiscount[];
  locked: boolean;
}

export function applyPromotions(
  lines: readonly PricingLine[],
  promotions: readonly CompiledPromotion[],
  ctx: PricingContext,
): PricedLine[] {
  const work: Work[] = lines.map((line) => ({ line, net: lineGross(line), discounts: [], locked: false }));
  const local = localTime(ctx.now, ctx.timezone);
  for (const cp of promotions) {
    const p = cp.promotion;
    if (p.memberOnly && !ctx.member) continue;
    if (!inWindow(p.window, ctx.now, local)) continue;
    const eligible = work.filter(
      (w) =>
        !w.locked &&
        !w.line.priceOverridden &&
        w.net > 0 &&
        (!p.exclusive || w.discounts.length === 0) &&
        cp.matches(w.line),
    );
    if (eligible.length === 0) continue;
    const amounts = benefitAmounts(p, eligible);
    eligible.forEach((w, i) => {
      const amount = Math.min(amounts[i] ?? 0, w.net);
      if (amount <= 0) return;
      w.net -= amount;
      w.discounts.push({ promotionId: p.id, name: p.name, amountFen: amount });
      if (p.exclusive) w.locked = true;
    });
  }
  return work.map((w) => ({
    id: w.line.id,
    grossFen: lineGross(w.line),
    discounts: w.discounts,
    netFen: w.net,
  }));
}

/** The discount each eligible line gets from one promotion. */
function benefitAmounts(p: Promotion, lines: Work[]): number[] {
  const b = p.benefit;
  switch (b.type) {
    case 'percent_off':
      return lines.map((w) => percentOf(w.net, b.percent));
    case 'amount_off':
      return lines.map((w) => (w.line.soldBy === 'each' ? b.amountFen * w.line.qty : b.amountFen));
    case 'fixed_price':
      return lines.map((w) => {
        const target =
          w.line.soldBy === 'each' ? b.priceFen * w.line.qty : weightPrice(b.priceFen, w.line.weightG ?? 0);
        return Math.max(0, w.net - target);
      });
    case 'buy_x_get_y': {
      // of every buy+get units, the cheapest `get` are discounted (units across lines)
      const units = unitsByPrice(lines);
      const groups = Math.floor(units.length / (b.buy + b.get));
      const out = lines.map(() => 0);
      for (const u of units.slice(units.length - groups * b.get))
        out[u.index]! += percentOf(u.price, b.getPercentOff);
      return out;
    }
    case 'bundle': {
      // the most expensive units are bundled first: the shopper gets the larger saving
      const units = unitsByPrice(lines);
      const out = lines.map(() => 0);
      for (let g = 0; (g + 1) * b.qty <= units.length; g++) {
        const group = units.slice(g * b.qty, (g + 1) * b.qty);
        const saving = group.reduce((a, u) => a + u.price, 0) - b.priceFen;
        if (saving <= 0) continue;
        allocate(
          saving,
          group.map((u) => u.price),
        ).forEach((share, k) => {
          out[group[k]!.index]! += share;
        });
      }
      return out;
    }
    case 'spend_threshold': {
      const spend = lines.reduce((a, w) => a + w.net, 0);
      if (b.thresholdFen <= 0) return lines.map(() => 0);
      const times = b.repeat ? Math.floor(spend / b.thresholdFen) : spend >= b.thresholdFen ? 1 : 0;
      const total = Math.min(spend, b.amountOffFen * times);
      return allocate(
        total,
        lines.map((w) => w.net),
      );
    }
  }
}

/** Units of 'each' lines at their current unit price, most expensive first (stable). */
function unitsByPrice(lines: Work[]): { index: number; price: number }[] {
  const units: { index: number; price: number }[] = [];
  lines.forEach((w, index) => {
    if (w.line.soldBy !== 'each') return;
    const qty = w.line.qty;
    // spread the line's current amount over its units without losing a fen
    const base = Math.floor(w.net / qty);
    let extra = w.net - base * qty;
    for (let k = 0; k < qty; k++) {
      units.push({ index, price: base + (extra > 0 ? 1 : 0) });
      if (extra > 0) extra--;
    }
  });
  return units.sort((a, b) => b.price - a.price || a.index - b.index);
}

interface LocalTime {
  isoDay: number;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localTime(now: number, timezone: string): LocalTime {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]));
  const isoDay = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday ?? '') + 1;
  return { isoDay, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const hm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** Whether a promotion is on for this shopper now (window and membership). */
export function isActive(p: Promotion, ctx: PricingContext): boolean {
  return (!p.memberOnly || ctx.member) && inWindow(p.window, ctx.now, localTime(ctx.now, ctx.timezone));
}

function inWindow(w: Promotion['window'], now: number, local: LocalTime): boolean {
  if (w.from !== undefined && now < w.from) return false;
  if (w.to !== undefined && now >= w.to) return false;
  if (w.daysOfWeek && !w.daysOfWeek.includes(local.isoDay)) return false;
  if (w.hours) {
    const from = hm(w.hours.from);
    const to = hm(w.hours.to);
    // a window like 22:00–06:00 wraps midnight
    const inside =
      from <= to ? local.minutes >= from && local.minutes < to : local.minutes >= from || local.minutes < to;
    if (!inside) return false;
  }
  return true;
}

/** Sum helper for callers building totals. */
export function totalDiscount(lines: readonly PricedLine[]): number {
  return lines.reduce((a, l) => a + (l.grossFen - l.netFen), 0);
}
