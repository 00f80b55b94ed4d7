// Guide routes. A shopper calls a guide from their phone (why, and where: a zone they
// pick or the shelf zone of the product in hand) and follows the call with its token;
// a signed-in guide sees open calls nearest first (live over SSE), takes one, sees the
// product, the member's details only with the member's consent (every ask audited),
// sends recommendations, and ends the call. A member gives or withdraws consent from
// their own phone.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError, DomainError } from '../../sync/kernel/errors.js';
import { parseScan } from '../catalog/barcode.js';
import { productByGtin } from '../catalog/products.js';
import type { Db } from '../db/open.js';
import { alsoBoughtOnSale } from '../guides/also-bought.js';
import {
  acceptCall,
  type CallReason,
  callsNearestFirst,
  cancelCall,
  createCall,
  finishCall,
  type GuideCall,
  getCall,
  liveCalls,
  type ZonePlace,
} from '../guides/calls.js';
import { guideCode, guideFigures } from '../guides/credit.js';
import { memberCardFor, memberViews, setGuideConsent } from '../guides/member-card.js';
import { guideCampaigns, recommend, recommendations } from '../guides/recommendations.js';
import type { BusinessDeps } from './deps.js';
import { writer } from './deps.js';
import { eventStreams, openEventStream } from './event-stream.js';

const Name = Type.Object({ zh: Type.String(), en: Type.String() });
const CallParams = Type.Object(
  { callId: Type.String({ pattern: '^[0-9a-f-]{36}$' }) },
  { additionalProperties: false },
);
const ZoneId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });

const Rec = Type.Union([
  Type.Object({
    id: Type.String(),
    kind: Type.Literal('product'),
    staffId: Type.String(),
    createdAt: Type.Integer(),
    gtin: Type.String(),
    name: Name,
    priceFen: Type.Integer(),
  }),
  Type.Object({
    id: Type.String(),
    kind: Type.Literal('coupon'),
    staffId: Type.String(),
    createdAt: Type.Integer(),
    campaignId: Type.String(),
    name: Name,
  }),
]);

const CallView = Type.Object({
  id: Type.String(),
  reason: Type.Enum(['find', 'advice', 'price']),
  zoneId: Type.Union([Type.String(), Type.Null()]),
  product: Type.Union([
    Type.Object({ gtin: Type.String(), name: Name, priceFen: Type.Integer() }),
    Type.Null(),
  ]),
  member: Type.Boolean({
    description: 'the shopper is signed in as a member (their details only with consent)',
  }),
  status: Type.Enum(['open', 'accepted', 'done', 'cancelled']),
  createdAt: Type.Integer(),
  guide: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  acceptedAt: Type.Union([Type.Integer(), Type.Null()]),
  escalatedAt: Type.Union([Type.Integer(), Type.Null()]),
  endedAt: Type.Union([Type.Integer(), Type.Null()]),
  recommendations: Type.Array(Rec),
});

const TOKEN_PREFIX = 'guide-call:';
/** the SSE stream's period: calls change at human speed */
const PERIOD_MS = 1000;

export const guideRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  const places = (): ZonePlace[] => d.vision?.zonePlaces() ?? [];
  const staffName = (id: string | null) => (id === null ? null : { id, name: d.staffAuth.nameOf(id) ?? id });

  const view = (db: Db, c: GuideCall) => {
    const p = c.gtin ? productByGtin(db, c.gtin, d.clock()) : null;
    return {
      id: c.id,
      reason: c.reason,
      zoneId: c.zoneId,
      product: p ? { gtin: p.gtin, name: p.name, priceFen: p.priceFen } : null,
      member: c.memberId !== null,
      status: c.status,
      createdAt: c.createdAt,
      guide: staffName(c.acceptedBy),
      acceptedAt: c.acceptedAt,
      escalatedAt: c.escalatedAt,
      endedAt: c.endedAt,
      recommendations: recommendations(db, c.id, d.clock()),
    };
  };

  /** the shopper's own call: its token (from the call's creation), or staff */
  const shoppersCall = (callId: string, token: unknown) => {
    if (!d.cartTokens.valid(`${TOKEN_PREFIX}${callId}`, token))
      throw new ApiError(401, 'CALL_TOKEN_INVALID', 'send the X-Call-Token this call was made with');
    return getCall(d.db, callId);
  };
  /** the member of a valid member session; 401 otherwise */
  const sessionMember = (token: string): string => {
    const id = d.memberSessions.verify(token, d.clock());
    if (!id) throw new ApiError(401, 'SESSION_INVALID', 'member session invalid or expired: sign in again');
    return id;
  };
  const CallToken = Type.Object({ 'x-call-token': Type.Optional(Type.String({ maxLength: 64 })) });

  app.get(
    '/guides/zones',
    {
      config: { access: 'public' },
      schema: {
        response: {
          200: Type.Object({
            zones: Type.Array(Type.Object({ zoneId: Type.String(), categories: Type.Array(Type.String()) })),
          }),
        },
      },
    },
    async () => ({ zones: places().map((p) => ({ zoneId: p.zoneId, categories: p.categories })) }),
  );

  app.post(
    '/guide-calls',
    {
      config: { access: 'public', idempotent: true },
      schema: {
        headers: Type.Object({ 'x-member-session': Type.Optional(Type.String({ maxLength: 512 })) }),
        body: Type.Object(
          {
            reason: Type.Enum(['find', 'advice', 'price']),
            zoneId: Type.Optional(ZoneId),
            code: Type.Optional(
              Type.String({ minLength: 1, maxLength: 600, description: 'the product in hand, as scanned' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ call: CallView, token: Type.String() }) },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const now = d.clock();
        const session = req.headers['x-member-session'];
        const memberId = session ? d.memberSessions.verify(session, now) : null;
        if (session && !memberId)
          throw new ApiError(401, 'SESSION_INVALID', 'member session invalid or expired');
        const zones = places();
        if (req.body.zoneId !== undefined && !zones.some((z) => z.zoneId === req.body.zoneId))
          throw new DomainError('invalid', 'UNKNOWN_ZONE', `no zone ${req.body.zoneId} in this store`);
        let gtin: string | null = null;
        let zoneId = req.body.zoneId ?? null;
        if (req.body.code !== undefined) {
          const scan = parseScan(req.body.code, d.scanOptions);
          const p = productByGtin(d.db, scan.gtin, now);
          if (!p) throw new DomainError('not_found', 'PRODUCT_NOT_FOUND', `no product ${scan.gtin} here`);
          gtin = p.gtin;
          // where the product is shelved: the zone whose shelves carry its category
          zoneId ??= zones.find((z) => z.categories.some((c) => p.categories.includes(c)))?.zoneId ?? null;
        }
        const call = createCall(d.db, { reason: req.body.reason as CallReason, zoneId, gtin, memberId }, now);
        return {
          status: 201,
          body: { call: view(d.db, call), token: d.cartTokens.issue(`${TOKEN_PREFIX}${call.id}`) },
        };
      }),
  );

  app.get(
    '/guide-calls/:callId',
    {
      config: { access: 'public' },
      schema: { params: CallParams, headers: CallToken, response: { 200: CallView } },
    },
    async (req) => view(d.db, shoppersCall(req.params.callId, req.headers['x-call-token'])),
  );

  app.post(
    '/guide-calls/:callId/cancel',
    {
      config: { access: 'public' },
      schema: { params: CallParams, headers: CallToken, response: { 200: CallView } },
    },
    async (req) => {
      shoppersCall(req.params.callId, req.headers['x-call-token']);
      return view(d.db, cancelCall(d.db, req.params.callId, d.clock()));
    },
  );

  app.put(
    '/members/me/guide-consent',
    {
      config: { access: 'public' },
      schema: {
        headers: Type.Object({ 'x-member-session': Type.String({ maxLength: 512 }) }),
        body: Type.Object({ consent: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ consent: Type.Boolean() }) },
      },
    },
    async (req) => {
      const memberId = sessionMember(req.headers['x-member-session']);
      setGuideConsent(d.db, memberId, req.body.consent, d.clock());
      return { consent: req.body.consent };
    },
  );

  app.get(
    '/members/me/guide-consent',
    {
      config: { access: 'public' },
      schema: {
        headers: Type.Object({ 'x-member-session': Type.String({ maxLength: 512 }) }),
        response: { 200: Type.Object({ consent: Type.Boolean() }) },
      },
    },
    async (req) => {
      const memberId = sessionMember(req.headers['x-member-session']);
      const at = d.db.prepare('SELECT guide_consent_at FROM members WHERE id = ?').pluck().get(memberId);
      return { consent: at !== null && at !== undefined };
    },
  );

  // ---- the guide's side ----

  const Near = Type.Object({ near: Type.Optional(ZoneId) }, { additionalProperties: false });
  const callsFor = (staffId: string, near: string | null) => {
    const live = liveCalls(d.db);
    const open = callsNearestFirst(
      live.filter((c) => c.status === 'open'),
      places(),
      near,
    );
    const mine = live.filter((c) => c.status === 'accepted' && c.acceptedBy === staffId);
    return { mine: mine.map((c) => view(d.db, c)), open: open.map((c) => view(d.db, c)) };
  };
  const Calls = Type.Object({ mine: Type.Array(CallView), open: Type.Array(CallView) });

  // the signed-in guide's code: shown as a QR on their page, scanned into a cart it credits them
  app.get(
    '/staff/guide-code',
    {
      config: { access: 'staff' },
      schema: { response: { 200: Type.Object({ code: Type.String(), name: Type.String() }) } },
    },
    async (req) => {
      const staff = d.staffAuth.require(req);
      if (!d.staffAuth.isGuide(staff.id))
        throw new DomainError('forbidden', 'NOT_A_GUIDE', 'only a guide has a code that credits a sale');
      return { code: guideCode(staff.id), name: staff.name };
    },
  );

  app.get(
    '/staff/guide-calls',
    {
      config: { access: 'staff' },
      schema: { querystring: Near, response: { 200: Calls } },
    },
    async (req) => callsFor(d.staffAuth.require(req).id, req.query.near ?? null),
  );

  const streams = eventStreams(fastify);
  app.get(
    '/staff/guide-calls/live',
    {
      config: { access: 'staff' },
      schema: {
        querystring: Near,
        response: {
          200: {
            description:
              "Server-sent events: `calls` (the same body as GET /staff/guide-calls) and `queues` (the kiosks' queues with an alert open, as GET /vision/queues gives them), as they change",
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (req, reply) => {
      const staff = d.staffAuth.require(req);
      const near = req.query.near ?? null;
      let last = '';
      let lastQueues = '';
      openEventStream(streams, req, reply, PERIOD_MS, (res) => {
        const body = JSON.stringify(callsFor(staff.id, near));
        // the kiosks' queues that need someone: "come to the kiosks"
        const queues = JSON.stringify((d.queues?.states() ?? []).filter((q) => q.alertId));
        if (queues !== lastQueues) res.write(`event: queues\ndata: ${queues}\n\n`);
        lastQueues = queues;
        // only what changed, and a comment otherwise so proxies keep the stream open
        res.write(body !== last ? `event: calls\ndata: ${body}\n\n` : ': still here\n\n');
        last = body;
      });
    },
  );

  app.post(
    '/staff/guide-calls/:callId/accept',
    {
      config: { access: 'staff' },
      schema: { params: CallParams, response: { 200: CallView } },
    },
    async (req) => view(d.db, acceptCall(d.db, req.params.callId, d.staffAuth.require(req).id, d.clock())),
  );

  app.post(
    '/staff/guide-calls/:callId/done',
    {
      config: { access: 'staff' },
      schema: { params: CallParams, response: { 200: CallView } },
    },
    async (req) => view(d.db, finishCall(d.db, req.params.callId, d.staffAuth.require(req).id, d.clock())),
  );

  app.post(
    '/staff/guide-calls/:callId/recommendations',
    {
      config: { access: 'staff', idempotent: true },
      schema: {
        params: CallParams,
        body: Type.Union([
          Type.Object(
            { kind: Type.Literal('product'), code: Type.String({ minLength: 1, maxLength: 600 }) },
            { additionalProperties: false },
          ),
          Type.Object(
            { kind: Type.Literal('coupon'), campaignId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) },
            { additionalProperties: false },
          ),
        ]),
        response: { 201: Rec },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const staff = d.staffAuth.require(req);
        const b = req.body;
        const what =
          b.kind === 'product'
            ? { kind: 'product' as const, gtin: parseScan(b.code, d.scanOptions).gtin }
            : { kind: 'coupon' as const, campaignId: b.campaignId };
        return { status: 201, body: recommend(d.db, req.params.callId, staff.id, what, d.clock()) };
      }),
  );

  app.get(
    '/staff/guide-calls/:callId/suggestions',
    {
      config: { access: 'staff' },
      schema: {
        params: CallParams,
        response: {
          200: Type.Object({
            alsoBought: Type.Array(
              Type.Object({
                gtin: Type.String(),
                name: Name,
                priceFen: Type.Integer(),
                together: Type.Integer(),
              }),
            ),
            coupons: Type.Array(Type.Object({ id: Type.String(), name: Name })),
          }),
        },
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      const call = getCall(d.db, req.params.callId);
      const now = d.clock();
      const alsoBought = call.gtin ? alsoBoughtOnSale(d.db, d.guides?.alsoBought, call.gtin, now) : [];
      return { alsoBought, coupons: guideCampaigns(d.db) };
    },
  );

  // each guide's day: calls answered, time to accept and to done, assisted sales and value
  app.get(
    '/staff/guide-figures',
    {
      config: { access: 'staff' },
      schema: {
        querystring: Type.Object(
          {
            from: Type.String({ pattern: '^[0-9]{1,15}$' }),
            to: Type.String({ pattern: '^[0-9]{1,15}$' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            guides: Type.Array(
              Type.Object({
                staffId: Type.String(),
                name: Type.String(),
                day: Type.Integer(),
                callsAnswered: Type.Integer(),
                avgSecondsToAccept: Type.Union([Type.Number(), Type.Null()]),
                avgSecondsToDone: Type.Union([Type.Number(), Type.Null()]),
                assistedSales: Type.Integer(),
                assistedFen: Type.Integer(),
                refundedFen: Type.Integer({
                  description: "refunds made that day of the guide's assisted sales",
                }),
                netAssistedFen: Type.Integer({ description: 'assistedFen − refundedFen' }),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      d.staffAuth.require(req);
      const from = Number(req.query.from);
      const to = Number(req.query.to);
      if (to <= from || to - from > 400 * 86_400_000)
        throw new DomainError('invalid', 'BAD_RANGE', 'from must be before to, at most 400 days apart');
      return {
        guides: guideFigures(d.db, from, to, d.store.timezone).map((g) => ({
          ...g,
          name: d.staffAuth.nameOf(g.staffId) ?? g.staffId,
        })),
      };
    },
  );

  // who looked at a member's details, for a manager or supervisor (or the member, asking the store)
  app.get(
    '/staff/members/:memberId/views',
    {
      config: { access: 'staff' },
      schema: {
        params: Type.Object(
          { memberId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            views: Type.Array(
              Type.Object({
                staffId: Type.String(),
                callId: Type.Union([Type.String(), Type.Null()]),
                outcome: Type.String(),
                at: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const staff = d.staffAuth.require(req);
      if (staff.role !== 'manager' && staff.role !== 'supervisor')
        throw new DomainError('forbidden', 'ROLE_TOO_LOW', 'a supervisor or manager reads the audit');
      return { views: memberViews(d.db, req.params.memberId) };
    },
  );

  app.get(
    '/staff/guide-calls/:callId/member',
    {
      config: { access: 'staff' },
      schema: {
        params: CallParams,
        response: {
          200: Type.Object({
            memberId: Type.String(),
            tier: Type.Enum(['member', 'silver', 'gold']),
            points: Type.Integer(),
            coupons: Type.Array(
              Type.Object({ campaignId: Type.String(), name: Name, expiresAt: Type.Integer() }),
            ),
            recent: Type.Array(
              Type.Object({
                receiptNo: Type.String(),
                at: Type.Integer(),
                totalFen: Type.Integer(),
                items: Type.Array(Type.String()),
              }),
            ),
            due: Type.Array(
              Type.Object({
                gtin: Type.String(),
                name: Name,
                times: Type.Integer(),
                everyDays: Type.Number(),
                lastAt: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => memberCardFor(d.db, req.params.callId, d.staffAuth.require(req).id, d.clock()),
  );
};
