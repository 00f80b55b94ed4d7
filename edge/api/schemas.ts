// Request and response schemas shared by the business routes.
import Type from 'typebox';
import type { TenderResult } from '../checkout/tenders.js';

export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
export const CartParams = Type.Object({ cartId: Uuid }, { additionalProperties: false });
export const LineParams = Type.Object({ cartId: Uuid, lineId: Uuid }, { additionalProperties: false });
export const SaleParams = Type.Object({ saleId: Uuid }, { additionalProperties: false });
export const Reason = Type.String({ minLength: 1, maxLength: 200 });
export const Fen = Type.Integer({ minimum: 0, maximum: 100_000_000 });
export const Code = Type.String({ minLength: 1, maxLength: 600 });

const Name = Type.Object({ zh: Type.String(), en: Type.String() });
const Discount = Type.Object({ promotionId: Type.String(), name: Name, amountFen: Type.Integer() });

export const QuoteSchema = Type.Object({
  cartId: Type.String(),
  cartCode: Type.String(),
  status: Type.String(),
  memberId: Type.Union([Type.String(), Type.Null()]),
  saleId: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(
    Type.Object({
      id: Type.String(),
      seq: Type.Integer(),
      gtin: Type.String(),
      name: Name,
      soldBy: Type.String(),
      qty: Type.Integer(),
      weightG: Type.Union([Type.Integer(), Type.Null()]),
      unitPriceFen: Type.Integer(),
      priceSource: Type.String(),
      taxRateBp: Type.Integer(),
      minAge: Type.Integer(),
      ageApprovedBy: Type.Union([Type.String(), Type.Null()]),
      labelHold: Type.Union([Type.Array(Type.String()), Type.Null()]),
      labelApprovedBy: Type.Union([Type.String(), Type.Null()]),
      grossFen: Type.Integer(),
      discounts: Type.Array(Discount),
      netFen: Type.Integer(),
      couponFen: Type.Integer(),
      finalFen: Type.Integer(),
      taxFen: Type.Integer(),
    }),
  ),
  grossFen: Type.Integer(),
  promoDiscountFen: Type.Integer(),
  coupons: Type.Array(
    Type.Object({
      couponId: Type.String(),
      campaignId: Type.String(),
      name: Name,
      amountFen: Type.Integer(),
    }),
  ),
  couponDiscountFen: Type.Integer(),
  totalFen: Type.Integer(),
  taxFen: Type.Integer(),
  taxByRate: Type.Array(
    Type.Object({ rateBp: Type.Integer(), finalFen: Type.Integer(), taxFen: Type.Integer() }),
  ),
  payments: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      amountFen: Type.Integer(),
      tenderedFen: Type.Integer(),
      status: Type.String(),
      reference: Type.String(),
    }),
  ),
  paidFen: Type.Integer(),
  dueFen: Type.Integer(),
  ageChecksPending: Type.Array(Type.String()),
  labelChecksPending: Type.Array(Type.String({ description: 'lines whose label waits for an attendant' })),
});

export const SaleSchema = Type.Object({
  saleId: Type.String(),
  receiptNo: Type.String(),
  changeFen: Type.Integer(),
  pointsEarned: Type.Integer(),
});

export const TenderResponse = Type.Object({
  paymentId: Type.String(),
  quote: QuoteSchema,
  sale: Type.Union([SaleSchema, Type.Null()]),
});

export function tenderBody(r: TenderResult) {
  return {
    paymentId: r.paymentId,
    quote: r.quote,
    sale: r.sale
      ? {
          saleId: r.sale.saleId,
          receiptNo: r.sale.receiptNo,
          changeFen: r.sale.changeFen,
          pointsEarned: r.sale.pointsEarned,
        }
      : null,
  };
}

export const CouponSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  campaignId: Type.String(),
  name: Name,
  issuedAt: Type.Integer(),
  expiresAt: Type.Integer(),
  status: Type.Optional(Type.String()),
  terms: Type.Object({}, { additionalProperties: true }),
});

export const CampaignSummary = Type.Object({
  id: Type.String(),
  name: Name,
  benefit: Type.Object({}, { additionalProperties: true }),
  minSpendFen: Type.Integer(),
  validDaysAfterIssue: Type.Integer(),
});

/** A receipt as the e-receipt page shows it: no member id, no points balance. */
export const EReceiptSchema = Type.Object(
  {
    storeName: Type.String(),
    timeZone: Type.String(),
    receiptNo: Type.String(),
    at: Type.Integer(),
    lines: Type.Array(
      Type.Object({
        name: Name,
        qty: Type.Integer(),
        weightG: Type.Union([Type.Integer(), Type.Null()]),
        unitPriceFen: Type.Integer(),
        discounts: Type.Array(Type.Object({ label: Name, amountFen: Type.Integer() })),
        finalFen: Type.Integer(),
        refundedQty: Type.Integer(),
      }),
    ),
    grossFen: Type.Integer(),
    promoDiscountFen: Type.Integer(),
    couponDiscountFen: Type.Integer(),
    totalFen: Type.Integer(),
    taxFen: Type.Integer(),
    taxByRate: Type.Array(Type.Object({ rateBp: Type.Integer(), taxFen: Type.Integer() })),
    payments: Type.Array(Type.Object({ kind: Type.String(), amountFen: Type.Integer() })),
    changeFen: Type.Integer(),
    pointsEarned: Type.Union([Type.Integer(), Type.Null()]),
    refundState: Type.Enum(['none', 'partial', 'full']),
    refundedFen: Type.Integer(),
    refunds: Type.Array(Type.Object({ amountFen: Type.Integer(), at: Type.Integer() })),
    expiresAt: Type.Integer(),
  },
  { additionalProperties: false },
);
