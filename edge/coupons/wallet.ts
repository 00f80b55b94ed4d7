// Coupons in a member's wallet: claimed from a campaign, offered after a purchase, or
// shown at the kiosk as a signed code. Quotas and per-member limits are enforced here,
// in the same transaction that issues the coupon.
import { randomUUID } from 'node:crypto';
import type { CouponCampaign } from '../../sync/datasets/coupon-campaign.js';
import { DomainError, notFound } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import type { CouponTerms } from './choose.js';
import { inScope } from './choose.js';
import { signCode, verifyCode } from './codes.js';

const DAY = 86_400_000;

export interface IssuedCoupon {
  id: string;
  code: string;
  campaignId: string;
  name: CouponTerms['name'];
  terms: CouponTerms;
  issuedAt: number;
  expiresAt: number;
}

export interface WalletCoupon extends IssuedCoupon {
  status: 'available' | 'redeemed' | 'expired';
}

/** A campaign as HQ pushed it, or null when the store has none of that id. */
export function findCampaign(db: Db, id: string): CouponCampaign | null {
  const def = db.prepare('SELECT definition FROM coupon_campaigns WHERE id = ?').pluck().get(id) as
    | string
    | undefined;
  return def ? (JSON.parse(def) as CouponCampaign) : null;
}

function campaign(db: Db, id: string): CouponCampaign {
  const c = findCampaign(db, id);
  if (!c) throw notFound('coupon campaign', id);
  return c;
}

export function termsOf(c: CouponCampaign): CouponTerms {
  return { campaignId: c.id, name: c.name, benefit: c.benefit, scope: c.scope, minSpendFen: c.minSpendFen };
}

function inWindow(c: CouponCampaign, now: number): boolean {
  return (
    (c.window.from === undefined || now >= c.window.from) && (c.window.to === undefined || now < c.window.to)
  );
}

/** Why a member cannot get a coupon of this campaign now, or null if they can. */
/** Why `memberId` cannot get a coupon of `c` now, or null; `laterByAMember`: nobody is
 * named yet, but whoever claims will be a signed-in member (an offer's QR ticket). */
function refusal(
  db: Db,
  c: CouponCampaign,
  memberId: string | null,
  now: number,
  laterByAMember = false,
): string | null {
  if (!inWindow(c, now)) return 'campaign is not running';
  if (c.memberOnly && !memberId && !laterByAMember) return 'campaign is for members';
  if (c.totalQuota !== undefined) {
    const issued = db
      .prepare('SELECT count(*) FROM coupons WHERE campaign_id = ?')
      .pluck()
      .get(c.id) as number;
    if (issued >= c.totalQuota) return 'campaign quota is used up';
  }
  if (memberId) {
    const held = db
      .prepare('SELECT count(*) FROM coupons WHERE campaign_id = ? AND member_id = ?')
      .pluck()
      .get(c.id, memberId) as number;
    if (held >= c.perMemberLimit) return `limit of ${c.perMemberLimit} per member reached`;
  }
  return null;
}

function issue(
  db: Db,
  c: CouponCampaign,
  memberId: string | null,
  source: 'claim' | 'after_purchase',
  sourceSaleId: string | null,
  now: number,
  id: string = randomUUID(),
): IssuedCoupon {
  const expiresAt = Math.min(now + c.validDaysAfterIssue * DAY, c.window.to ?? Number.MAX_SAFE_INTEGER);
  const code = signCode(db, 'coupon', { id, c: c.id, m: memberId, e: expiresAt }, now);
  const terms = termsOf(c);
  db.prepare(
    `INSERT INTO coupons (id, campaign_id, member_id, code, terms, issued_at, expires_at, source, source_sale_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, c.id, memberId, code, JSON.stringify(terms), now, expiresAt, source, sourceSaleId);
  // HQ counts coupons issued per campaign (redemption rate, offers claimed)
  appendOutbox(
    db,
    {
      type: 'coupon.issued',
      class: 'money',
      payload: { couponId: id, campaignId: c.id, memberId, source, saleId: sourceSaleId, expiresAt },
    },
    now,
  );
  return { id, code, campaignId: c.id, name: c.name, terms, issuedAt: now, expiresAt };
}

/** A shopper claims a coupon from a claimable campaign ("领券"); `couponId` when HQ granted
 * one against the campaign's chain-wide quota. */
export function claimCoupon(
  db: Db,
  campaignId: string,
  memberId: string | null,
  now: number,
  couponId?: string,
): IssuedCoupon {
  return db
    .transaction(() => {
      const c = campaign(db, campaignId);
      if (c.issuance.trigger !== 'claim') {
        throw new DomainError(
          'conflict',
          'NOT_CLAIMABLE',
          'this coupon is only offered after a qualifying purchase',
        );
      }
      const why = refusal(db, c, memberId, now);
      if (why) throw new DomainError('conflict', 'COUPON_UNAVAILABLE', why);
      return issue(db, c, memberId, 'claim', null, now, couponId);
    })
    .immediate();
}

/** In-scope spend of a sale for a post-purchase campaign, or 0 if it does not qualify. */
function qualifyingSpend(db: Db, c: CouponCampaign, saleId: string): number {
  if (c.issuance.trigger !== 'after_purchase') return 0;
  const scope = c.issuance.boughtScope;
  const rows = db
    .prepare(
      `SELECT sl.gtin, sl.net_fen, p.category_id, p.brand_id FROM sale_lines sl JOIN products p ON p.gtin = sl.gtin WHERE sl.sale_id = ?`,
    )
    .all(saleId) as { gtin: string; net_fen: number; category_id: string; brand_id: string | null }[];
  const ancestors = db.prepare(
    `WITH RECURSIVE up(id, parent) AS (SELECT id, parent_id FROM categories WHERE id = ?
       UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent) SELECT id FROM up`,
  );
  const spend = rows
    .filter((r) =>
      inScope(scope, {
        gtin: r.gtin,
        brandId: r.brand_id,
        categories: ancestors.pluck().all(r.category_id) as string[],
      }),
    )
    .reduce((a, r) => a + r.net_fen, 0);
  return spend >= c.issuance.minSpendFen && spend > 0 ? spend : 0;
}

/** The coupon to offer on the result page after a sale: the post-purchase campaign the
 * sale qualifies for with the largest face value, that this member can still get. */
export function offerAfterPurchase(
  db: Db,
  saleId: string,
  now: number,
  /** a sale paid without a member, to be claimed by a member with the offer's QR ticket */
  byTicket = false,
): CouponCampaign | null {
  const sale = db.prepare('SELECT member_id FROM sales WHERE id = ?').get(saleId) as
    | { member_id: string | null }
    | undefined;
  if (!sale) throw notFound('sale', saleId);
  const offers = (db.prepare('SELECT definition FROM coupon_campaigns').pluck().all() as string[])
    .map((d) => JSON.parse(d) as CouponCampaign)
    .filter((c) => c.issuance.trigger === 'after_purchase')
    .filter(
      (c) =>
        qualifyingSpend(db, c, saleId) > 0 &&
        refusal(db, c, sale.member_id, now, byTicket && sale.member_id === null) === null,
    )
    .filter(
      (c) =>
        !db.prepare('SELECT 1 FROM coupons WHERE campaign_id = ? AND source_sale_id = ?').get(c.id, saleId),
    );
  const face = (c: CouponCampaign) =>
    c.benefit.type === 'amount_off'
      ? c.benefit.amountFen
      : (c.benefit.maxDiscountFen ?? c.benefit.percent * 100);
  offers.sort((a, b) => face(b) - face(a) || (a.id < b.id ? -1 : 1));
  return offers[0] ?? null;
}

/** Records that the sale's result page showed this offer; HQ hears of it once per sale
 * and campaign (offers shown → claimed → redeemed). */
export function recordOfferShown(db: Db, saleId: string, campaignId: string, now: number): void {
  db.transaction(() => {
    const r = db
      .prepare('INSERT OR IGNORE INTO offers_shown (sale_id, campaign_id, shown_at) VALUES (?, ?, ?)')
      .run(saleId, campaignId, now);
    if (r.changes)
      appendOutbox(db, { type: 'offer.shown', class: 'state', payload: { saleId, campaignId } }, now);
  })();
}

/** The shopper takes the offered post-purchase coupon: with one tap on the result page
 * (for the sale's member), or later on their phone by the offer's QR ticket (`claimant`:
 * the member signed in there, for a sale paid without a member). */
export function claimAfterPurchase(
  db: Db,
  campaignId: string,
  saleId: string,
  now: number,
  claimant?: string,
): IssuedCoupon {
  return db
    .transaction(() => {
      const c = campaign(db, campaignId);
      const sale = db.prepare('SELECT member_id FROM sales WHERE id = ?').get(saleId) as
        | { member_id: string | null }
        | undefined;
      if (!sale) throw notFound('sale', saleId);
      if (claimant && sale.member_id && sale.member_id !== claimant)
        throw new DomainError(
          'forbidden',
          'NOT_YOUR_OFFER',
          "this offer belongs to another member's purchase",
        );
      if (qualifyingSpend(db, c, saleId) === 0)
        throw new DomainError('conflict', 'COUPON_UNAVAILABLE', 'this sale does not qualify');
      if (
        db.prepare('SELECT 1 FROM coupons WHERE campaign_id = ? AND source_sale_id = ?').get(c.id, saleId)
      ) {
        throw new DomainError('conflict', 'COUPON_ALREADY_CLAIMED', 'this sale already got this coupon');
      }
      const memberId = claimant ?? sale.member_id;
      const why = refusal(db, c, memberId, now);
      if (why) throw new DomainError('conflict', 'COUPON_UNAVAILABLE', why);
      return issue(db, c, memberId, 'after_purchase', saleId, now);
    })
    .immediate();
}

/** Every campaign the store has, by id. */
export function allCampaigns(db: Db): CouponCampaign[] {
  return (db.prepare('SELECT definition FROM coupon_campaigns ORDER BY id').pluck().all() as string[]).map(
    (d) => JSON.parse(d) as CouponCampaign,
  );
}

/** Campaigns a shopper can claim now (for the product page and the wallet). */
export function claimableCampaigns(
  db: Db,
  memberId: string | null,
  now: number,
  gtin?: { gtin: string; categories: string[]; brandId: string | null },
): CouponCampaign[] {
  return allCampaigns(db)
    .filter((c) => c.issuance.trigger === 'claim' && refusal(db, c, memberId, now) === null)
    .filter((c) => !gtin || inScope(c.scope, gtin));
}

interface CouponRow {
  id: string;
  campaign_id: string;
  member_id: string | null;
  code: string;
  terms: string;
  issued_at: number;
  expires_at: number;
  redeemed: number;
}

const toWallet = (r: CouponRow, now: number): WalletCoupon => {
  const terms = JSON.parse(r.terms) as CouponTerms;
  return {
    id: r.id,
    code: r.code,
    campaignId: r.campaign_id,
    name: terms.name,
    terms,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    status: r.redeemed ? 'redeemed' : r.expires_at <= now ? 'expired' : 'available',
  };
};

const WALLET_SELECT = `SELECT c.*, EXISTS (SELECT 1 FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.reversed_at IS NULL) AS redeemed FROM coupons c`;

export function walletOf(db: Db, memberId: string, now: number): WalletCoupon[] {
  return (
    db.prepare(`${WALLET_SELECT} WHERE c.member_id = ? ORDER BY c.expires_at`).all(memberId) as CouponRow[]
  ).map((r) => toWallet(r, now));
}

/** Coupons this cart may redeem: the member's wallet and codes shown at the cart. */
export function couponsForCart(db: Db, cartId: string, memberId: string | null, now: number): WalletCoupon[] {
  // a paid cart is quoted with the coupons its sale redeemed, and only those: not with
  // coupons claimed afterwards, nor without the ones it used (they are no longer available)
  const saleId = db.prepare('SELECT sale_id FROM carts WHERE id = ?').pluck().get(cartId) as
    | string
    | null
    | undefined;
  if (saleId) {
    const used = db
      .prepare(
        `${WALLET_SELECT} WHERE c.id IN (SELECT coupon_id FROM coupon_redemptions WHERE sale_id = ? AND reversed_at IS NULL)`,
      )
      .all(saleId) as CouponRow[];
    return used.map((r) => ({ ...toWallet(r, now), status: 'available' as const }));
  }
  const rows = db
    .prepare(
      `${WALLET_SELECT} WHERE (c.member_id IS NOT NULL AND c.member_id = ?) OR c.id IN (SELECT coupon_id FROM cart_coupons WHERE cart_id = ?)`,
    )
    .all(memberId, cartId) as CouponRow[];
  return rows.map((r) => toWallet(r, now)).filter((c) => c.status === 'available');
}

/** A shopper shows a coupon code at the cart: verify it offline and attach it. */
export function presentCoupon(
  db: Db,
  cartId: string,
  code: string,
  memberId: string | null,
  now: number,
): WalletCoupon {
  const p = verifyCode(db, code, 'coupon');
  if (typeof p.id !== 'string' || typeof p.c !== 'string' || typeof p.e !== 'number') {
    throw new DomainError('invalid', 'CODE_INVALID', 'coupon code lacks id, campaign or expiry');
  }
  if (p.m && p.m !== memberId) {
    throw new DomainError(
      'forbidden',
      'COUPON_NOT_YOURS',
      'this coupon belongs to another member: identify as that member',
    );
  }
  if (p.e <= now) throw new DomainError('conflict', 'COUPON_EXPIRED', 'coupon has expired');
  return db.transaction(() => {
    const existing = db.prepare('SELECT id FROM coupons WHERE id = ?').get(p.id);
    if (!existing) {
      const c = campaign(db, p.c as string);
      db.prepare(
        `INSERT INTO coupons (id, campaign_id, member_id, code, terms, issued_at, expires_at, source)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'presented')`,
      ).run(p.id, c.id, (p.m as string | null) ?? null, code.trim(), JSON.stringify(termsOf(c)), now, p.e);
    }
    db.prepare('INSERT OR IGNORE INTO cart_coupons (cart_id, coupon_id) VALUES (?, ?)').run(cartId, p.id);
    const row = db.prepare(`${WALLET_SELECT} WHERE c.id = ?`).get(p.id) as CouponRow;
    const w = toWallet(row, now);
    if (w.status === 'redeemed')
      throw new DomainError('conflict', 'COUPON_REDEEMED', 'coupon was already redeemed');
    return w;
  })();
}

/** How long a shopper who paid without a member has to claim the sale's offer by its QR code. */
const OFFER_TICKET_MS = 24 * 3_600_000;

/** A ticket for the sale's post-purchase offer, for a shopper who paid without a member:
 * the result page shows it as a QR code their phone opens, to claim it into their wallet. */
export function offerTicket(db: Db, saleId: string, campaignId: string, now: number): string {
  return signCode(db, 'offer', { s: saleId, c: campaignId, e: now + OFFER_TICKET_MS }, now);
}

/** The member signed in on the phone claims the offer a ticket names: once per sale, only
 * for a sale paid without a member (or by that member), while the ticket holds. */
export function claimOfferTicket(db: Db, ticket: string, memberId: string, now: number): IssuedCoupon {
  const t = verifyCode(db, ticket, 'offer');
  if (typeof t.s !== 'string' || typeof t.c !== 'string' || typeof t.e !== 'number')
    throw new DomainError('invalid', 'CODE_INVALID', 'offer ticket is malformed');
  if (now > t.e) throw new DomainError('conflict', 'OFFER_EXPIRED', 'this offer has expired');
  return claimAfterPurchase(db, t.c, t.s, now, memberId);
}
