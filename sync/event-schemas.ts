// The payload of each event type a store sends, as both sides read it: the store writes
// these in edge/ (checkout, members, coupons, vision, pushes); HQ validates every event
// against its type's schema before it is stored and projected, and quarantines one that
// fails. Types HQ does not know yet (a store newer than HQ) are stored unprojected.
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { formatSchemaErrors } from '../config/errors.js';
import { HHMM_PATTERN } from './maintenance-window.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Fen = Type.Integer({ minimum: 0, maximum: 100_000_000_00 });
const SignedInt = Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Gtin = Type.String({ pattern: '^[0-9]{14}$' });
const Ms = Type.Integer({ minimum: 0 });

const SaleLine = Type.Object({
  gtin: Gtin,
  qty: Type.Integer({ minimum: 1, maximum: 100_000 }),
  weightG: Nullable(Type.Integer({ minimum: 0 })),
  unitPriceFen: Fen,
  grossFen: Fen,
  promotions: Type.Array(Type.Object({ id: Id, amountFen: Fen })),
  couponFen: Fen,
  finalFen: Fen,
  taxRateBp: Type.Integer({ minimum: 0, maximum: 10_000 }),
  taxFen: Fen,
  /** the product's category first, then its ancestors (stores before 0.2 leave it out) */
  categories: Type.Optional(Type.Array(Id, { maxItems: 32 })),
});

const CameraLayout = Type.Object({
  id: Id,
  lines: Type.Array(Type.Object({ id: Id, footfall: Type.Boolean() }), { maxItems: 64 }),
  zones: Type.Array(Type.Object({ id: Id, type: Id, categories: Type.Array(Id, { maxItems: 50 }) }), {
    maxItems: 64,
  }),
  floor: Nullable(
    Type.Object({
      widthM: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
      depthM: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
      cellM: Type.Number({ minimum: 0.1, maximum: 10 }),
      cols: Type.Integer({ minimum: 1, maximum: 5000 }),
      rows: Type.Integer({ minimum: 1, maximum: 5000 }),
    }),
  ),
});

/** A telemetry row the store's backlog guard rolled up into another or dropped keeps its
 * sequence number and travels as a tombstone (edge/sync/backlog.ts). */
const telemetry = <T extends TSchema>(full: T) =>
  Type.Union([
    full,
    Type.Object({ rolledUpInto: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    Type.Object({ dropped: Type.Literal(true) }, { additionalProperties: false }),
  ]);

export const EVENT_SCHEMAS: Record<string, TSchema> = {
  'sale.completed': Type.Object({
    saleId: Id,
    receiptNo: Id,
    channel: Type.Enum(['kiosk', 'phone']),
    kioskId: Nullable(Id),
    memberId: Nullable(Id),
    grossFen: Fen,
    promoDiscountFen: Fen,
    couponDiscountFen: Fen,
    totalFen: Fen,
    taxFen: Fen,
    changeFen: Fen,
    pointsEarned: Type.Integer({ minimum: 0 }),
    lines: Type.Array(SaleLine, { minItems: 1, maxItems: 1000 }),
    payments: Type.Array(
      Type.Object({ kind: Id, amountFen: Fen, reference: Type.String({ maxLength: 128 }) }),
    ),
    at: Ms,
  }),
  'refund.completed': Type.Object({
    refundId: Id,
    saleId: Id,
    amountFen: Fen,
    lines: Type.Array(Type.Object({}, { additionalProperties: true })),
    tenders: Type.Array(Type.Object({}, { additionalProperties: true })),
    pointsReversed: Type.Integer({ minimum: 0 }),
    pointsReturned: Type.Integer({ minimum: 0 }),
    couponsReversed: Type.Array(Id),
    staffId: Id,
    at: Ms,
  }),
  'coupon.redeemed': Type.Object({ couponId: Id, campaignId: Id, saleId: Id, amountFen: Fen }),
  'coupon.redemption_reversed': Type.Object({ couponId: Id, saleId: Id, refundId: Id, amountFen: Fen }),
  'coupon.issued': Type.Object({
    couponId: Id,
    campaignId: Id,
    memberId: Nullable(Id),
    source: Type.Enum(['claim', 'after_purchase']),
    saleId: Nullable(Id),
    expiresAt: Ms,
  }),
  'offer.shown': Type.Object({ saleId: Id, campaignId: Id }),
  'member.enrolled': Type.Object({ memberId: Id }),
  'store.layout': Type.Object({ cameras: Type.Array(CameraLayout, { maxItems: 64 }) }),
  'points.moved': Type.Object({
    memberId: Id,
    delta: SignedInt,
    reason: Id,
    saleId: Nullable(Id),
    refundId: Nullable(Id),
    balance: Type.Integer({ minimum: 0 }),
  }),
  'label.refused': Type.Object({ cartId: Id, gtin: Gtin, refused: Type.Array(Type.String()) }),
  'label.flagged': Type.Object({ cartId: Id, gtin: Gtin, flags: Type.Array(Type.String(), { minItems: 1 }) }),
  'label.approved': Type.Object({ cartId: Id, lineId: Id, gtin: Gtin, staffId: Id }),
  'vision.counts': telemetry(Type.Object({ cameras: Type.Record(Type.String(), Type.Object({})) })),
  'vision.heatmap': telemetry(Type.Object({ cameras: Type.Record(Type.String(), Type.Object({})) })),
  // a queue zone at the kiosks, one closed hour: sums, so HQ can add hours and stores up
  'vision.queue': Type.Object({
    cameraId: Id,
    zoneId: Id,
    hour: Ms,
    seconds: Type.Number({ minimum: 0, maximum: 3600, description: 'seconds the zone was watched' }),
    personSeconds: Type.Number({
      minimum: 0,
      description: 'people in the zone × seconds: ÷ seconds, the mean length',
    }),
    maxLength: Type.Integer({ minimum: 0 }),
    alerts: Type.Integer({ minimum: 0 }),
    alertSeconds: Type.Number({ minimum: 0, maximum: 3600 }),
    waitSeconds: Type.Number({ minimum: 0, description: 'the estimated waits added up, one a second' }),
    waitSamples: Type.Integer({ minimum: 0 }),
    maxWaitSeconds: Nullable(Type.Number({ minimum: 0 })),
  }),
  'push.applied': Type.Object({ dataset: Id, version: Nullable(Type.Integer()) }),
  'push.unchanged': Type.Object({ dataset: Id, version: Nullable(Type.Integer()) }),
  'push.rejected': Type.Object({ dataset: Id, problems: Type.Array(Type.String()) }),
  // the store's request for its HTTPS certificate: HQ orders it from the CA (hq/certificates/)
  'tls.csr': Type.Object({
    hostname: Type.String({ minLength: 3, maxLength: 253 }),
    csrPem: Type.String({ minLength: 100, maxLength: 8192, pattern: '^-----BEGIN CERTIFICATE REQUEST-----' }),
    keySha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  }),
  // scan & go exit checks: the decision at payment (every scan & go sale), then the result
  'exit_audit.decided': Type.Object({
    saleId: Id,
    selected: Type.Boolean(),
    probability: Type.Number({ minimum: 0, maximum: 1 }),
    signals: Type.Array(Id, { maxItems: 16 }),
  }),
  'exit_audit.completed': Type.Object({
    saleId: Id,
    probability: Type.Number({ minimum: 0, maximum: 1 }),
    signals: Type.Array(Id, { maxItems: 16 }),
    fullCheck: Type.Boolean(),
    result: Type.Enum(['ok', 'recovered', 'refused']),
    missing: Type.Array(Type.Object({ gtin: Gtin, qty: Type.Integer({ minimum: 1 }) }), { maxItems: 50 }),
    recoverySaleId: Nullable(Id),
    recoveredFen: Fen,
    at: Ms,
  }),
  // store guides: how each shopper's call ended (no shopper in it), and a sale credited to a guide
  'guide.call': Type.Object({
    callId: Id,
    reason: Type.Enum(['find', 'advice', 'price']),
    zoneId: Nullable(Id),
    status: Type.Enum(['done', 'cancelled']),
    staffId: Nullable(Id),
    createdAt: Ms,
    acceptedAt: Nullable(Ms),
    endedAt: Nullable(Ms),
    escalated: Type.Boolean(),
  }),
  'guide.assist': Type.Object({
    saleId: Id,
    staffId: Id,
    source: Type.Enum(['code', 'recommendation']),
    callId: Nullable(Id),
    totalFen: Fen,
    at: Ms,
  }),
  'software.status': Type.Object({
    rollout: Type.Integer({ minimum: 1 }),
    version: Type.String({ minLength: 1, maxLength: 64 }),
    state: Type.Enum(['downloading', 'installed', 'switching', 'healthy', 'rolled_back', 'rejected']),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    from: Type.Optional(Type.String({ maxLength: 64 })),
    switchAt: Type.Optional(
      Type.Integer({ minimum: 0, description: 'held for a maintenance window: when it opens (ms)' }),
    ),
    window: Type.Optional(
      Type.Object({
        from: Type.String({ pattern: HHMM_PATTERN }),
        to: Type.String({ pattern: HHMM_PATTERN }),
        timeZone: Type.String({ maxLength: 64 }),
      }),
    ),
  }),
};

// compiled once: HQ checks every event of every store
const validators = new Map(Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, Compile(schema)]));

/** Problems with an event's payload for its type (empty: fine, or a type not known here). */
export function payloadProblems(type: string, payload: unknown): string[] {
  const v = validators.get(type);
  if (!v || v.Check(payload)) return [];
  return formatSchemaErrors([...v.Errors(payload)], payload).slice(0, 5);
}

export const knownEventType = (type: string): boolean => type in EVENT_SCHEMAS;
