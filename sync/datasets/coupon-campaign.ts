// A coupon campaign as HQ pushes it: what the coupon gives, where it applies, who gets
// it and when, and how many may exist.
import Type, { type Static } from 'typebox';
import { Fen, Name, RefId, Scope, Window } from './shared.js';

export const CouponBenefit = Type.Union([
  Type.Object({ type: Type.Literal('amount_off'), amountFen: Fen }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('percent_off'),
      percent: Type.Integer({ minimum: 1, maximum: 100 }),
      maxDiscountFen: Type.Optional(Fen),
    },
    { additionalProperties: false },
  ),
]);

export const CouponIssuance = Type.Union([
  Type.Object(
    { trigger: Type.Literal('claim') },
    { additionalProperties: false, description: 'shopper claims it' },
  ),
  Type.Object(
    {
      trigger: Type.Literal('after_purchase'),
      boughtScope: Scope,
      minSpendFen: Fen,
    },
    { additionalProperties: false, description: 'offered on the result page after a matching sale' },
  ),
]);

export const CouponCampaign = Type.Object(
  {
    id: RefId,
    name: Name,
    benefit: CouponBenefit,
    scope: Scope,
    minSpendFen: Type.Integer({ minimum: 0, default: 0, description: 'in-scope spend needed to redeem' }),
    issuance: CouponIssuance,
    window: Window,
    validDaysAfterIssue: Type.Integer({ minimum: 1, maximum: 366, default: 30 }),
    perMemberLimit: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    totalQuota: Type.Optional(Type.Integer({ minimum: 0 })),
    memberOnly: Type.Boolean({ default: true }),
    byGuides: Type.Optional(
      Type.Boolean({ description: 'a claim campaign store guides may hand to a shopper they serve' }),
    ),
    offline: Type.Optional(
      Type.Object(
        {
          accept: Type.Boolean({
            description: 'whether a store apart from HQ may redeem a chain coupon of this campaign',
          }),
          maxFen: Type.Optional(
            Type.Integer({ minimum: 0, description: 'accepted offline only up to this face value' }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'chain coupons (HQ-signed codes) while HQ is out of reach; absent: accepted, and HQ reports a second redemption',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CouponCampaign = Static<typeof CouponCampaign>;
