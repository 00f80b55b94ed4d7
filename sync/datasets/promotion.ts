// A promotion as HQ pushes it. The rule engine prices carts with these; the schema is
// the contract, checked before anything is stored.
import Type, { type Static } from 'typebox';
import { Fen, Name, RefId, Scope, Window } from './shared.js';

const Percent = Type.Integer({ minimum: 1, maximum: 100 });

export const PromotionBenefit = Type.Union([
  Type.Object({ type: Type.Literal('percent_off'), percent: Percent }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('amount_off'), amountFen: Fen, description: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('fixed_price'), priceFen: Fen }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('buy_x_get_y'),
      buy: Type.Integer({ minimum: 1, maximum: 99 }),
      get: Type.Integer({ minimum: 1, maximum: 99 }),
      getPercentOff: Type.Integer({ minimum: 1, maximum: 100, default: 100 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('bundle'), qty: Type.Integer({ minimum: 2, maximum: 99 }), priceFen: Fen },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('spend_threshold'),
      thresholdFen: Fen,
      amountOffFen: Fen,
      repeat: Type.Boolean({
        default: false,
        description: 'every full threshold, e.g. 满100减10 twice at 200',
      }),
    },
    { additionalProperties: false },
  ),
]);

export const Promotion = Type.Object(
  {
    id: RefId,
    name: Name,
    scope: Scope,
    benefit: PromotionBenefit,
    priority: Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'lower applies first' }),
    exclusive: Type.Boolean({ default: false, description: 'lines it discounts take no other promotion' }),
    memberOnly: Type.Boolean({ default: false }),
    window: Window,
  },
  { additionalProperties: false },
);
export type Promotion = Static<typeof Promotion>;
