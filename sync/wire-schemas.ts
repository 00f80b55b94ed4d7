// The bodies of every MQTT message beside the events' payloads (those are in
// event-schemas.ts): the event envelope, birth and will, heartbeat, HQ's signed pushes
// and their bodies per dataset, the commands, the pulls HQ makes of a store and the
// requests a store makes of HQ, with their answers. They are what the AsyncAPI document
// (asyncapi.ts) publishes; the wire-tap test holds every message of a real session to
// them. Objects let unknown keys through: within a version, fields are only ever added
// (see "Versioning" in sync/README.md), so an older reader must not refuse a newer writer.
import Type, { type TProperties, type TSchema } from 'typebox';
import { ModelManifestSchema } from '../models/detector/manifest.js';
import { CatalogDataset, CouponCampaignsDataset, PromotionsDataset } from './datasets/catalog.js';
import { HHMM_PATTERN as HHMM } from './maintenance-window.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Open = <P extends TProperties>(p: P, description?: string) =>
  Type.Object(p, { additionalProperties: true, ...(description ? { description } : {}) });
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Ms = Type.Integer({ minimum: 0, description: 'epoch milliseconds' });
const Seq = Type.Integer({ minimum: 1 });
const Problems = Type.Array(Type.String());

/** `{prefix}/{store}/evt/{type}`: one outbox row; `payload` per type in event-schemas.ts */
export const EventEnvelope = Open({
  storeId: Id,
  seq: Seq,
  eventId: Type.String({ format: 'uuid' }),
  type: Id,
  class: Type.Enum(['money', 'telemetry', 'state']),
  createdAt: Ms,
  payload: Type.Object({}, { additionalProperties: true }),
});

/** `{prefix}/{store}/state`, retained: the birth, and the will or a clean stop */
export const StoreState = Type.Union([
  Open({
    online: Type.Literal(true),
    storeId: Id,
    version: Type.String(),
    at: Ms,
    codeKey: Nullable(Open({ kid: Type.String(), publicKeyBase64: Type.String() })),
    config: Type.Optional(
      Open(
        {
          digest: Type.String({
            description: "SHA-256 of the effective config's canonical JSON, secrets redacted",
          }),
          hq: Nullable(
            Open({
              version: Type.Integer({ minimum: 0 }),
              applied: Type.Boolean(),
              digest: Nullable(
                Type.String({
                  description:
                    "SHA-256 of the values in effect at the settings HQ's overlay sets: its push's body_sha256 when all are in effect",
                }),
              ),
            }),
          ),
        },
        'the config this run took (config drift at HQ)',
      ),
    ),
  }),
  Open({ online: Type.Literal(false), storeId: Id }),
]);

/** `{prefix}/{store}/heartbeat` (QoS 0), and the answer to the `health` pull */
export const Health = Open({
  at: Ms,
  backlog: Nullable(Type.Object({}, { additionalProperties: true })),
  sentThrough: Type.Integer({ minimum: 0 }),
  clockOffsetMs: Nullable(Type.Integer()),
});

/** HQ's signature over the canonical JSON of {dataset, version, issuedAt, body} */
const signed = (dataset: string, body: TSchema, description: string) =>
  Open(
    {
      dataset: Type.Literal(dataset),
      version: Type.Integer({ minimum: 1 }),
      issuedAt: Ms,
      body,
      sig: Type.String({ description: 'Ed25519, base64, under security.hqSigningPublicKey' }),
    },
    description,
  );

export const PUSH_BODIES: Record<string, { body: TSchema; description: string }> = {
  catalog: { body: CatalogDataset, description: 'the whole catalog: products, barcodes, prices, categories' },
  promotions: { body: PromotionsDataset, description: 'every promotion the store runs' },
  coupon_campaigns: { body: CouponCampaignsDataset, description: 'every coupon campaign' },
  coupon_keys: {
    body: Open({
      keys: Type.Array(Open({ kid: Type.String(), publicKeyBase64: Type.String() }), { minItems: 1 }),
    }),
    description: "HQ's coupon-signing public keys (chain coupons read at every store)",
  },
  config: {
    body: Type.Object(
      {},
      { additionalProperties: true, description: 'an overlay of HQ_CONFIGURABLE settings' },
    ),
    description: 'settings HQ owns (config/hq-overlay.ts); takes effect at the next start',
  },
  model: {
    body: Open({ manifest: ModelManifestSchema, onnxBase64: Type.String() }),
    description: 'a people-counting model: its manifest and the ONNX file',
  },
  software: {
    body: Open({
      version: Type.String(),
      arch: Type.String(),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      bytes: Type.Integer({ minimum: 1 }),
      url: Type.String(),
      schema: Type.Optional(Open({ version: Type.Integer(), lastCompatible: Type.Integer() })),
      window: Type.Optional(
        Type.Object(
          { from: Type.String({ pattern: HHMM }), to: Type.String({ pattern: HHMM }) },
          { description: "the store's maintenance window (local time): the switch waits for it" },
        ),
      ),
      urgent: Type.Optional(Type.Boolean({ description: 'switch whatever the window' })),
      delta: Type.Optional(
        Open(
          {
            from: Type.String(),
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            bytes: Type.Integer({ minimum: 1 }),
            url: Type.String(),
            windowLog: Type.Integer({ minimum: 10, maximum: 31 }),
            tar: Open(
              { sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), bytes: Type.Integer({ minimum: 1 }) },
              "the new release's uncompressed tar, which the delta rebuilds",
            ),
          },
          "a zstd --patch-from delta between the uncompressed tars of the version the store runs and this one; the rebuilt tar must match tar's sha256 and bytes",
        ),
      ),
    }),
    description: "a release manifest; the push's version is the rollout's id",
  },
  certificate: {
    body: Open({ hostname: Type.String(), chainPem: Type.String() }),
    description:
      "the store's HTTPS certificate chain, answering its tls.csr; the version is when HQ issued it",
  },
  support_bundle: {
    body: Open({}),
    description:
      'asks the store for a support bundle (versions, redacted config, integrity check, states, recent logs); the answer carries it',
  },
  member: {
    body: Open({
      memberId: Id,
      balance: Type.Integer(),
      through: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
      enrolledStore: Type.Optional(Nullable(Type.String())),
    }),
    description:
      "HQ's figure for one member, sent to the stores that follow the member (sync/member-follow.ts); the version is the sum of `through`",
  },
  peer_keys: {
    body: Open({
      keys: Type.Array(Open({ storeId: Id, kid: Type.String(), publicKeyBase64: Type.String() })),
    }),
    description: "the stores' member-card keys, vouched for by HQ",
  },
};
export const signedPush = (dataset: string): TSchema =>
  signed(dataset, PUSH_BODIES[dataset]!.body, PUSH_BODIES[dataset]!.description);

/** the answer to a push (at the request's response topic) */
export const PushResult = Open({
  dataset: Type.String(),
  version: Nullable(Type.Integer()),
  status: Type.Enum(['applied', 'unchanged', 'rejected', 'accepted']),
  problems: Type.Optional(Problems),
  counts: Type.Optional(Type.Record(Type.String(), Type.Number())),
  restartRequired: Type.Optional(Type.Boolean()),
  certificate: Type.Optional(Type.Object({}, { additionalProperties: true })),
  model: Type.Optional(Type.Object({}, { additionalProperties: true })),
  bundle: Type.Optional(
    Open(
      { bytes: Type.Integer({ minimum: 1 }), sha256: Type.String(), gzipBase64: Type.String() },
      'support_bundle: the bundle as gzipped JSON (edge/support/bundle.ts)',
    ),
  ),
});

/** `cmd/resend`: the store marks that range unsent and publishes it again */
export const Resend = Open({ fromSeq: Seq, toSeq: Seq });

const RequestError = Open({ error: Type.String(), message: Type.Optional(Type.String()) });
const Period = { from: Ms, to: Ms };

/** `{prefix}/{store}/req/{name}`: HQ's pulls, with their answers */
export const PULLS: Record<string, { request: TSchema; answer: TSchema; description: string }> = {
  events: {
    request: Open({ fromSeq: Seq, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
    answer: Type.Union([
      Open({ events: Type.Array(EventEnvelope), nextSeq: Seq, more: Type.Boolean() }),
      RequestError,
    ]),
    description: 'outbox rows from a sequence number, paged (at most 500)',
  },
  health: {
    request: Type.Object({}, { additionalProperties: true }),
    answer: Health,
    description: 'what the heartbeat says, now',
  },
  counts: {
    request: Open({
      ...Period,
      res: Type.Optional(Type.Enum(['1m', '15m', '1h'])),
      camera: Type.Optional(Type.String()),
    }),
    answer: Type.Union([
      Open({
        ...Period,
        res: Type.String(),
        lines: Type.Array(Type.Object({}, { additionalProperties: true })),
        zones: Type.Array(Type.Object({}, { additionalProperties: true })),
      }),
      RequestError,
    ]),
    description: 'line counts and zone dwell per bucket (at most 2000 buckets)',
  },
  heatmap: {
    request: Open({ ...Period, camera: Type.String() }),
    answer: Type.Union([
      Open({
        cameraId: Type.String(),
        ...Period,
        cols: Type.Integer(),
        rows: Type.Integer(),
        cellM: Type.Number(),
        cells: Type.Array(Type.Number()),
        peopleSeconds: Type.Number(),
      }),
      RequestError,
    ]),
    description: "a camera's floor heatmap over a period",
  },
};

const Hold = Open({ storeId: Id, couponId: Id, cartId: Id, campaignId: Type.Optional(Nullable(Id)) });
const Refused = Open({ status: Type.Literal('refused'), reason: Type.String() });

/** `{prefix}/hq/req/{name}`: the store's requests to HQ, with their answers */
export const HQ_REQUESTS: Record<string, { request: TSchema; answer: TSchema; description: string }> = {
  time: {
    request: Type.Object({}, { additionalProperties: true }),
    answer: Open({ now: Ms }),
    description: "HQ's clock, asked at each connect: the store's clock offset",
  },
  'peer-keys': {
    request: Type.Object({}, { additionalProperties: true }),
    answer: signedPush('peer_keys'),
    description: "every store's member-card key, signed (not answered by an HQ without a push key)",
  },
  member: {
    request: Open({ storeId: Id, memberId: Id }),
    answer: Type.Union([signedPush('member'), Open({ status: Type.Literal('unknown') }), RequestError]),
    description:
      "a member this store does not follow: HQ's figure, and the store follows them from now (not answered by an HQ without a push key)",
  },
  'coupon-reserve': {
    request: Hold,
    answer: Type.Union([Open({ status: Type.Literal('reserved'), expiresAt: Ms }), Refused, RequestError]),
    description: 'hold a chain coupon for a cart (15 minutes; idempotent by coupon and cart)',
  },
  'coupon-release': {
    request: Hold,
    answer: Type.Union([Open({ released: Type.Boolean() }), RequestError]),
    description: 'let a held coupon go (the cart was cancelled)',
  },
  'coupon-quota': {
    request: Open({ storeId: Id, campaignId: Id, couponId: Id, quota: Type.Integer({ minimum: 0 }) }),
    answer: Type.Union([Open({ status: Type.Literal('granted') }), Refused, RequestError]),
    description:
      "a grant to issue one coupon of a campaign with a chain-wide quota (idempotent by the coupon's id)",
  },
};
