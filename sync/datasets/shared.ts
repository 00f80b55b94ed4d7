// Schema pieces used by the catalog, promotions and coupons documents.
import Type, { type Static } from 'typebox';

export const Name = Type.Object(
  { zh: Type.String({ minLength: 1, maxLength: 200 }), en: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type Name = Static<typeof Name>;

/** Any GTIN as written (8, 12, 13 or 14 digits); normalised to GTIN-14 on apply. */
export const AnyGtin = Type.String({ pattern: '^[0-9]{8}$|^[0-9]{12,14}$', description: 'GTIN-8/12/13/14' });
export const RefId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
export const Fen = Type.Integer({
  minimum: 0,
  maximum: 100_000_000,
  description: 'money in fen (1/100 CNY)',
});
export const EpochMs = Type.Integer({ minimum: 0, description: 'unix time in ms' });

/** Which cart lines a rule looks at. Empty lists mean "no restriction by that field". */
export const Scope = Type.Object(
  {
    gtins: Type.Array(AnyGtin, { default: [] }),
    categories: Type.Array(RefId, { default: [] }),
    brands: Type.Array(RefId, { default: [] }),
    excludeGtins: Type.Array(AnyGtin, { default: [] }),
  },
  { additionalProperties: false, default: {} },
);
export type Scope = Static<typeof Scope>;

export const Window = Type.Object(
  {
    from: Type.Optional(EpochMs),
    to: Type.Optional(EpochMs),
    daysOfWeek: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'ISO, 1=Mon',
      }),
    ),
    hours: Type.Optional(
      Type.Object(
        {
          from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
          to: Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' }),
        },
        { additionalProperties: false, description: 'store-local time of day' },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
);
