// Shopper routes (phone, scan-to-buy): what a scanned product costs and what it is on
// offer with, the member's wallet and points, claiming coupons, receipts and the
// post-purchase coupon offer.

import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { CouponCampaign } from '../../sync/datasets/coupon-campaign.js';
import { ApiError } from '../../sync/kernel/errors.js';
import { parseScan } from '../catalog/barcode.js';
import { productForScan } from '../catalog/products.js';
import {
  E_RECEIPT_SECRET,
  E_RECEIPT_TOKEN,
  eReceiptLink,
  eReceiptOf,
  openEReceiptToken,
} from '../checkout/e-receipt.js';
import { receiptFor, receiptText } from '../checkout/receipt.js';
import { campaignQuota, settleQuota } from '../coupons/chain.js';
import {
  claimAfterPurchase,
  claimableCampaigns,
  claimCoupon,
  claimOfferTicket,
  offerAfterPurchase,
  offerTicket,
  recordOfferShown,
  walletOf,
} from '../coupons/wallet.js';
import { alsoBoughtOnSale } from '../guides/also-bought.js';
import { seeMember } from '../members/follow.js';
import { getMember, identifyMember } from '../members/members.js';
import { applyPromotions, isActive } from '../promotions/engine.js';
import { loadPromotions } from '../promotions/store.js';
import { storeSecret } from './access.js';
import { asyncWriter, type BusinessDeps, writer } from './deps.js';
import { CampaignSummary, CouponSchema, EReceiptSchema, SaleParams } from './schemas.js';

const campaignSummary = (c: CouponCampaign) => ({
  id: c.id,
  name: c.name,
  benefit: c.benefit,
  minSpendFen: c.minSpendFen,
  validDaysAfterIssue: c.validDaysAfterIssue,
});

const MemberHeader = Type.Object({
  'x-member-code': Type.Optional(Type.String({ maxLength: 600 })),
  'x-member-session': Type.Optional(Type.String({ maxLength: 512 })),
});

export const shopperRoutes: FastifyPluginAsync<BusinessDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const write = writer(d);
  const writeAsync = asyncWriter(d);
  // a member session (from POST /members/sessions) or the signed member code itself
  const member = (code: string | undefined, session?: string) => {
    if (session) {
      const id = d.memberSessions.verify(session, d.clock());
      if (!id) throw new ApiError(401, 'SESSION_INVALID', 'member session invalid or expired: sign in again');
      return getMember(d.db, id);
    }
    if (!code)
      throw new ApiError(401, 'MEMBER_REQUIRED', 'send X-Member-Session or the member code in X-Member-Code');
    return identifyMember(d.db, code, d.clock());
  };

  // what a page needs to point a phone at this store: the entrance and kiosk QR codes
  app.get(
    '/store',
    {
      config: { access: 'public' },
      schema: {
        response: {
          // null: not listening (an app driven in-process)
          200: Type.Object({
            storeId: Type.String(),
            name: Type.String(),
            publicUrl: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async () => ({ storeId: d.store.id, name: d.store.name, publicUrl: d.publicUrl?.() ?? null }),
  );

  app.post(
    '/members/sessions',
    {
      config: { access: 'public' },
      schema: {
        body: Type.Object(
          { code: Type.String({ minLength: 1, maxLength: 600 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ token: Type.String(), memberId: Type.String(), expiresAt: Type.Integer() }),
        },
      },
    },
    async (req, reply) => {
      const m = identifyMember(d.db, req.body.code, d.clock());
      // signing in at a store that does not follow the member: HQ's figure first
      await seeMember(d.db, d.memberGate, m.id, d.clock());
      reply.status(201);
      return { ...d.memberSessions.issue(m.id, d.clock()), memberId: m.id };
    },
  );

  app.get(
    '/products/:code',
    {
      config: { access: 'public' },
      schema: {
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 600 }) }),
        headers: MemberHeader,
        response: {
          200: Type.Object({
            gtin: Type.String(),
            name: Type.Object({ zh: Type.String(), en: Type.String() }),
            size: Type.Union([Type.String(), Type.Null()]),
            categoryId: Type.String(),
            brandId: Type.Union([Type.String(), Type.Null()]),
            soldBy: Type.String(),
            priceFen: Type.Integer(),
            minAge: Type.Integer(),
            promotions: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.Object({ zh: Type.String(), en: Type.String() }),
                onePriceFen: Type.Integer(),
              }),
            ),
            coupons: Type.Array(CampaignSummary),
            related: Type.Array(
              Type.Object({
                gtin: Type.String(),
                name: Type.Object({ zh: Type.String(), en: Type.String() }),
                priceFen: Type.Integer(),
              }),
            ),
            alsoBought: Type.Array(
              Type.Object({
                gtin: Type.String(),
                name: Type.Object({ zh: Type.String(), en: Type.String() }),
                priceFen: Type.Integer(),
              }),
              { description: "what shoppers who bought this also bought, from this store's own sales" },
            ),
          }),
        },
      },
    },
    async (req) => {
      const now = d.clock();
      const { product } = productForScan(d.db, parseScan(req.params.code, d.scanOptions), now);
      const { 'x-member-code': code, 'x-member-session': session } = req.headers;
      const memberId = code || session ? member(code, session).id : null;
      // what one unit would cost alone, per promotion that covers it
      const line = {
        id: 'probe',
        gtin: product.gtin,
        categories: product.categories,
        brand: product.brandId,
        soldBy: product.soldBy,
        qty: 1,
        weightG: product.soldBy === 'weight' ? 1000 : null,
        unitPriceFen: product.priceFen,
        priceOverridden: false,
      };
      // promotions on for this shopper now; onePriceFen is one unit's price under each alone
      // (a bundle or threshold only shows its saving in a cart)
      const pctx = { now, timezone: d.store.timezone, member: memberId !== null };
      const promotions = loadPromotions(d.db)
        .filter((p) => p.matches(line) && isActive(p.promotion, pctx))
        .map((p) => ({
          id: p.promotion.id,
          name: p.promotion.name,
          onePriceFen: applyPromotions([line], [p], pctx)[0]!.netFen,
        }));
      const related = d.db
        .prepare(
          `SELECT p.gtin, p.name_zh, p.name_en, (SELECT price_fen FROM prices pr WHERE pr.gtin = p.gtin AND pr.effective_from <= ? ORDER BY effective_from DESC LIMIT 1) AS price
           FROM products p WHERE p.category_id = ? AND p.gtin <> ? AND p.active = 1 ORDER BY p.gtin LIMIT 4`,
        )
        .all(now, product.categoryId, product.gtin) as {
        gtin: string;
        name_zh: string;
        name_en: string;
        price: number;
      }[];
      return {
        gtin: product.gtin,
        name: product.name,
        size: product.size,
        categoryId: product.categoryId,
        brandId: product.brandId,
        soldBy: product.soldBy,
        priceFen: product.priceFen,
        minAge: product.minAge,
        promotions,
        coupons: claimableCampaigns(d.db, memberId, now, product).map(campaignSummary),
        related: related.map((r) => ({
          gtin: r.gtin,
          name: { zh: r.name_zh, en: r.name_en },
          priceFen: r.price,
        })),
        alsoBought: alsoBoughtOnSale(d.db, d.guides?.alsoBought, product.gtin, now).map(
          ({ together: _t, ...p }) => p,
        ),
      };
    },
  );

  app.get(
    '/wallet',
    {
      config: { access: 'member' },
      schema: {
        headers: MemberHeader,
        response: {
          200: Type.Object({
            memberId: Type.String(),
            points: Type.Integer(),
            coupons: Type.Array(CouponSchema),
            claimable: Type.Array(CampaignSummary),
          }),
        },
      },
    },
    async (req) => {
      const m = member(req.headers['x-member-code'], req.headers['x-member-session']);
      const now = d.clock();
      return {
        memberId: m.id,
        points: m.points,
        coupons: walletOf(d.db, m.id, now),
        claimable: claimableCampaigns(d.db, m.id, now).map(campaignSummary),
      };
    },
  );

  app.post(
    '/coupons/claim',
    {
      config: { access: 'member', idempotent: true },
      schema: {
        headers: MemberHeader,
        body: Type.Object(
          { campaignId: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 201: CouponSchema },
      },
    },
    async (req, reply) =>
      writeAsync(req, reply, async () => {
        const memberId = member(req.headers['x-member-code'], req.headers['x-member-session']).id;
        // a campaign with a quota counts chain-wide at HQ; apart from HQ the store counts alone
        const quota = d.couponGate ? campaignQuota(d.db, req.body.campaignId) : null;
        let couponId: string | undefined;
        if (quota !== null && d.couponGate) {
          couponId = randomUUID();
          settleQuota(await d.couponGate.claimQuota({ campaignId: req.body.campaignId, couponId, quota }));
        }
        return { status: 201, body: claimCoupon(d.db, req.body.campaignId, memberId, d.clock(), couponId) };
      }),
  );

  app.get(
    '/sales/:saleId/receipt',
    {
      config: { access: 'sale' },
      schema: {
        params: SaleParams,
        response: {
          200: Type.Object({
            receipt: Type.Object({}, { additionalProperties: true }),
            text: Type.Array(Type.String()),
            // what the printed receipt's QR code opens (null while the store has no address)
            eReceiptUrl: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      const receipt = receiptFor(d.db, req.params.saleId, d.store);
      const key = storeSecret(d.db, E_RECEIPT_SECRET);
      const eReceiptUrl = eReceiptLink(key, d.publicUrl?.() ?? null, receipt.saleId, receipt.at);
      return { receipt, text: receiptText(receipt), eReceiptUrl };
    },
  );

  // the e-receipt page's data: the signed link is the only credential, and what it shows
  // has nothing of the member in it
  app.get(
    '/e-receipts/:token',
    {
      config: { access: 'public' },
      schema: {
        params: Type.Object({ token: Type.String({ pattern: E_RECEIPT_TOKEN.source }) }),
        response: { 200: EReceiptSchema },
      },
    },
    async (req, reply) => {
      const opened = openEReceiptToken(storeSecret(d.db, E_RECEIPT_SECRET), req.params.token, d.clock());
      if (opened === 'not_found') throw new ApiError(404, 'E_RECEIPT_NOT_FOUND', 'no such e-receipt');
      if (opened === 'expired')
        throw new ApiError(
          410,
          'E_RECEIPT_EXPIRED',
          'this e-receipt link has expired; the store still has the sale',
        );
      // the refund state changes: never from a cache
      reply.header('cache-control', 'no-store');
      return eReceiptOf(receiptFor(d.db, opened.saleId, d.store), opened.expiresAt, d.store.timezone);
    },
  );

  app.get(
    '/sales/:saleId/offer',
    {
      config: { access: 'sale' },
      schema: {
        params: SaleParams,
        response: {
          200: Type.Object({
            offer: Type.Union([CampaignSummary, Type.Null()]),
            // a sale paid without a member: the ticket a phone claims it with later (a QR code)
            ticket: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      const now = d.clock();
      // paid without a member: what a member may claim with the offer's QR ticket
      const anonymous =
        d.db.prepare('SELECT member_id FROM sales WHERE id = ?').pluck().get(req.params.saleId) === null;
      const offer = offerAfterPurchase(d.db, req.params.saleId, now, anonymous);
      if (offer) recordOfferShown(d.db, req.params.saleId, offer.id, now);
      return {
        offer: offer ? campaignSummary(offer) : null,
        ticket: offer && anonymous ? offerTicket(d.db, req.params.saleId, offer.id, now) : null,
      };
    },
  );

  app.post(
    '/offers/claim',
    {
      config: { access: 'member', idempotent: true },
      schema: {
        headers: MemberHeader,
        body: Type.Object(
          { ticket: Type.String({ minLength: 1, maxLength: 600 }) },
          { additionalProperties: false },
        ),
        response: { 201: CouponSchema },
      },
    },
    async (req, reply) =>
      write(req, reply, () => {
        const memberId = member(req.headers['x-member-code'], req.headers['x-member-session']).id;
        return { status: 201, body: claimOfferTicket(d.db, req.body.ticket, memberId, d.clock()) };
      }),
  );

  app.post(
    '/sales/:saleId/offer/claim',
    {
      config: { access: 'sale', idempotent: true },
      schema: {
        params: SaleParams,
        body: Type.Object(
          { campaignId: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 201: CouponSchema },
      },
    },
    async (req, reply) =>
      write(req, reply, () => ({
        status: 201,
        body: claimAfterPurchase(d.db, req.body.campaignId, req.params.saleId, d.clock()),
      })),
  );
};
