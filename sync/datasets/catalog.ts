// The datasets HQ pushes (catalog, promotions, coupon campaigns), as JSON Schema: the
// store validates a push whole against them before applying it (edge/catalog/dataset.ts).
import Type, { type Static } from 'typebox';
import { CouponCampaign } from './coupon-campaign.js';
import { Promotion } from './promotion.js';
import { AnyGtin, Fen, Name, RefId } from './shared.js';

export const CatalogDataset = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    categories: Type.Array(
      Type.Object({ id: RefId, parent: Type.Optional(RefId), name: Name }, { additionalProperties: false }),
    ),
    brands: Type.Array(Type.Object({ id: RefId, name: Name }, { additionalProperties: false })),
    products: Type.Array(
      Type.Object(
        {
          gtin: AnyGtin,
          name: Name,
          category: RefId,
          brand: Type.Optional(RefId),
          size: Type.Optional(Type.String({ maxLength: 40 })),
          soldBy: Type.Enum(['each', 'weight'], { default: 'each' }),
          plu: Type.Optional(Type.String({ pattern: '^[0-9]{4,6}$' })),
          variableMeasure: Type.Optional(
            Type.Boolean({
              description:
                'a label (the store scale, or GS1 310x/392x/393x) may weigh or price it; default: sold by weight',
            }),
          ),
          label: Type.Optional(
            Type.Object(
              {
                weightG: Type.Optional(
                  Type.Object(
                    {
                      min: Type.Integer({ minimum: 1, maximum: 100_000 }),
                      max: Type.Integer({ minimum: 1, maximum: 100_000 }),
                    },
                    { additionalProperties: false, description: 'plausible weight of one labelled pack' },
                  ),
                ),
                maxAgeDays: Type.Optional(
                  Type.Integer({
                    minimum: 0,
                    maximum: 3650,
                    description: 'a pack date (AI 13) older is flagged',
                  }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          taxRateBp: Type.Integer({
            minimum: 0,
            maximum: 10000,
            description: 'VAT in basis points, 1300 = 13%',
          }),
          minAge: Type.Integer({ minimum: 0, maximum: 25, default: 0 }),
          priceFen: Fen,
          barcodes: Type.Array(
            Type.Object(
              { gtin: AnyGtin, packQty: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }) },
              { additionalProperties: false },
            ),
            { default: [] },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CatalogDataset = Static<typeof CatalogDataset>;

export const PromotionsDataset = Type.Object(
  { version: Type.Integer({ minimum: 1 }), promotions: Type.Array(Promotion) },
  { additionalProperties: false },
);
export type PromotionsDataset = Static<typeof PromotionsDataset>;

export const CouponCampaignsDataset = Type.Object(
  { version: Type.Integer({ minimum: 1 }), campaigns: Type.Array(CouponCampaign) },
  { additionalProperties: false },
);
export type CouponCampaignsDataset = Static<typeof CouponCampaignsDataset>;

export type DatasetName = 'catalog' | 'promotions' | 'coupon_campaigns';
