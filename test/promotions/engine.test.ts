import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { applyPromotions, compilePromotions, type PricingLine } from '../../edge/promotions/engine.js';
import { Promotion } from '../../sync/datasets/promotion.js';

const promo = (p: Record<string, unknown>): Promotion => {
  const v = Value.Default(Promotion, { name: { zh: String(p.id), en: String(p.id) }, ...p });
  if (!Value.Check(Promotion, v))
    throw new Error(`bad test promotion ${JSON.stringify([...Value.Errors(Promotion, v)])}`);
  return v as Promotion;
};
// GTIN-14 shaped ids (the scope schema wants digits; check digits are the catalog's concern)
const [A, B, C, W] = ['00000000000011', '00000000000022', '00000000000033', '00000000000044'];
let n = 0;
const line = (gtin: string, unitPriceFen: number, qty = 1, more: Partial<PricingLine> = {}): PricingLine => ({
  id: `L${++n}`,
  gtin,
  categories: ['tea-drinks', 'drinks'],
  brand: 'chaxiang',
  soldBy: 'each',
  qty,
  weightG: null,
  unitPriceFen,
  priceOverridden: false,
  ...more,
});
// Wed 2026-11-18 20:30 in Shanghai
const ctx = { now: Date.UTC(2026, 10, 18, 12, 30), timezone: 'Asia/Shanghai', member: false };
const price = (lines: PricingLine[], promos: Promotion[], c = ctx) =>
  applyPromotions(lines, compilePromotions(promos), c);
const discountsOf = (r: ReturnType<typeof price>) =>
  r.map((l) => l.discounts.map((d) => `${d.promotionId}:${d.amountFen}`));

describe('each rule type', () => {
  it('percent off', () => {
    const r = price([line(A, 1999, 2)], [promo({ id: 'p', benefit: { type: 'percent_off', percent: 10 } })]);
    expect(r[0]).toMatchObject({
      grossFen: 3998,
      netFen: 3598,
      discounts: [{ promotionId: 'p', amountFen: 400 }],
    });
  });

  it('amount off per unit, never below zero', () => {
    const r = price(
      [line(A, 690, 3), line(B, 150, 1)],
      [promo({ id: 'a', benefit: { type: 'amount_off', amountFen: 200 } })],
    );
    expect(r.map((l) => l.netFen)).toEqual([1470, 0]);
  });

  it('fixed price, per unit and per kg', () => {
    const r = price(
      [line(A, 14990, 2), line(W, 3598, 1, { soldBy: 'weight', weightG: 500 })],
      [promo({ id: 'f', benefit: { type: 'fixed_price', priceFen: 2990 } })],
    );
    expect(r[0]?.netFen).toBe(5980);
    expect(r[1]).toMatchObject({ grossFen: 1799, netFen: 1495 }); // ¥29.90/kg × 0.5 kg
  });

  it('buy X get Y: the cheapest units of each group, across lines', () => {
    const r = price(
      [line(A, 500, 1), line(B, 300, 2), line(C, 400, 1)],
      [promo({ id: 'b1g1', benefit: { type: 'buy_x_get_y', buy: 1, get: 1, getPercentOff: 50 } })],
    );
    // units by price: 500, 400, 300, 300 → two groups, the two cheapest (300, 300) half price
    expect(discountsOf(r)).toEqual([[], ['b1g1:300'], []]);
    const three = price(
      [line(A, 450, 3)],
      [promo({ id: '3f2', benefit: { type: 'buy_x_get_y', buy: 2, get: 1 } })],
    );
    expect(three[0]?.netFen).toBe(900);
    const two = price(
      [line(A, 450, 2)],
      [promo({ id: '3f2', benefit: { type: 'buy_x_get_y', buy: 2, get: 1 } })],
    );
    expect(two[0]?.discounts).toEqual([]);
  });

  it('bundle: N units from the set for a price, the dearest bundled first', () => {
    const r = price(
      [line(A, 450, 2), line(B, 500, 2)],
      [promo({ id: 'n3', benefit: { type: 'bundle', qty: 3, priceFen: 1200 } })],
    );
    // units 500, 500, 450 bundled for 1200 (saving 250); one 450 left at full price
    const saving = r.reduce((a, l) => a + l.grossFen - l.netFen, 0);
    expect(saving).toBe(250);
    expect(r.reduce((a, l) => a + l.netFen, 0)).toBe(1200 + 450);
  });

  it('spend threshold, once or repeated, spread over the lines in proportion', () => {
    const lines = [line(A, 3000, 1), line(B, 7500, 1)];
    const once = price(lines, [
      promo({ id: 's', benefit: { type: 'spend_threshold', thresholdFen: 5000, amountOffFen: 1000 } }),
    ]);
    expect(once.map((l) => l.grossFen - l.netFen)).toEqual([286, 714]);
    const rep = price(lines, [
      promo({
        id: 's',
        benefit: { type: 'spend_threshold', thresholdFen: 5000, amountOffFen: 1000, repeat: true },
      }),
    ]);
    expect(rep.reduce((a, l) => a + l.grossFen - l.netFen, 0)).toBe(2000);
    const under = price(
      [line(A, 4999)],
      [promo({ id: 's', benefit: { type: 'spend_threshold', thresholdFen: 5000, amountOffFen: 1000 } })],
    );
    expect(under[0]?.discounts).toEqual([]);
  });
});

describe('scope', () => {
  it('by GTIN, category (including ancestors), brand, with exclusions', () => {
    const lines = [
      line(A, 1000),
      line(B, 1000, 1, { categories: ['snacks', 'food'], brand: 'xiaoxiong' }),
      line(C, 1000, 1, { brand: null }),
    ];
    const ten = { type: 'percent_off', percent: 10 };
    expect(discountsOf(price(lines, [promo({ id: 'g', scope: { gtins: [B] }, benefit: ten })]))).toEqual([
      [],
      ['g:100'],
      [],
    ]);
    expect(
      discountsOf(price(lines, [promo({ id: 'c', scope: { categories: ['drinks'] }, benefit: ten })])),
    ).toEqual([['c:100'], [], ['c:100']]);
    expect(
      discountsOf(price(lines, [promo({ id: 'b', scope: { brands: ['chaxiang'] }, benefit: ten })])),
    ).toEqual([['b:100'], [], []]);
    expect(
      discountsOf(price(lines, [promo({ id: 'x', scope: { excludeGtins: [A] }, benefit: ten })])),
    ).toEqual([[], ['x:100'], ['x:100']]);
  });

  it('skips lines whose price an attendant overrode', () => {
    const r = price(
      [line(A, 1000, 1, { priceOverridden: true })],
      [promo({ id: 'p', benefit: { type: 'percent_off', percent: 50 } })],
    );
    expect(r[0]?.discounts).toEqual([]);
  });
});

describe('eligibility', () => {
  const half = { type: 'percent_off', percent: 50 };
  it('member-only promotions need a member', () => {
    const p = promo({ id: 'm', memberOnly: true, benefit: half });
    expect(price([line(A, 1000)], [p])[0]?.netFen).toBe(1000);
    expect(price([line(A, 1000)], [p], { ...ctx, member: true })[0]?.netFen).toBe(500);
  });

  it('time windows: dates, days of week and store-local hours (also across midnight)', () => {
    const at = (p: Record<string, unknown>) =>
      price([line(A, 1000)], [promo({ id: 't', benefit: half, ...p })])[0]?.netFen;
    expect(at({ window: { from: ctx.now + 1 } })).toBe(1000);
    expect(at({ window: { to: ctx.now } })).toBe(1000);
    expect(at({ window: { from: ctx.now, to: ctx.now + 1 } })).toBe(500);
    expect(at({ window: { daysOfWeek: [3] } })).toBe(500); // Wednesday
    expect(at({ window: { daysOfWeek: [6, 7] } })).toBe(1000);
    expect(at({ window: { hours: { from: '19:00', to: '22:00' } } })).toBe(500); // 20:30 local
    expect(at({ window: { hours: { from: '08:00', to: '12:00' } } })).toBe(1000);
    expect(at({ window: { hours: { from: '20:00', to: '02:00' } } })).toBe(500);
  });
});

describe('stacking, priority and exclusivity', () => {
  it('stackable promotions apply in priority order, each on what the previous left', () => {
    const r = price(
      [line(A, 1000, 2)],
      [
        promo({ id: 'later', priority: 50, benefit: { type: 'amount_off', amountFen: 100 } }),
        promo({ id: 'first', priority: 10, benefit: { type: 'percent_off', percent: 10 } }),
      ],
    );
    expect(discountsOf(r)).toEqual([['first:200', 'later:200']]);
    expect(r[0]?.netFen).toBe(1600);
  });

  it('an exclusive promotion locks the lines it discounts', () => {
    const r = price(
      [line(A, 450, 3), line(B, 1000)],
      [
        promo({
          id: 'bundle',
          priority: 10,
          exclusive: true,
          scope: { gtins: [A] },
          benefit: { type: 'bundle', qty: 3, priceFen: 1200 },
        }),
        promo({ id: 'ten', priority: 20, benefit: { type: 'percent_off', percent: 10 } }),
      ],
    );
    expect(discountsOf(r)).toEqual([['bundle:150'], ['ten:100']]);
  });

  it('an exclusive promotion does not take lines another promotion already discounted', () => {
    const r = price(
      [line(A, 1000), line(B, 1000)],
      [
        promo({
          id: 'first',
          priority: 1,
          scope: { gtins: [A] },
          benefit: { type: 'amount_off', amountFen: 100 },
        }),
        promo({ id: 'excl', priority: 2, exclusive: true, benefit: { type: 'percent_off', percent: 20 } }),
      ],
    );
    expect(discountsOf(r)).toEqual([['first:100'], ['excl:200']]);
  });

  it('equal priority is ordered by id, so pricing is deterministic', () => {
    const promos = [
      promo({ id: 'b', benefit: { type: 'amount_off', amountFen: 100 } }),
      promo({ id: 'a', benefit: { type: 'percent_off', percent: 50 } }),
    ];
    const r1 = price([line(A, 1000)], promos);
    const r2 = price([line(A, 1000)], [...promos].reverse());
    expect(discountsOf(r1)).toEqual([['a:500', 'b:100']]);
    expect(discountsOf(r2)).toEqual(discountsOf(r1));
  });

  it('never discounts a line below zero, whatever stacks', () => {
    const r = price(
      [line(A, 300, 1)],
      [
        promo({ id: 'a', priority: 1, benefit: { type: 'amount_off', amountFen: 250 } }),
        promo({ id: 'b', priority: 2, benefit: { type: 'amount_off', amountFen: 250 } }),
        promo({ id: 'c', priority: 3, benefit: { type: 'percent_off', percent: 100 } }),
      ],
    );
    expect(r[0]?.netFen).toBe(0);
    expect(discountsOf(r)).toEqual([['a:250', 'b:50']]);
  });
});
