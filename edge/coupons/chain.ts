// Chain coupons: codes HQ signed, good at any store of the chain, used once chain-wide.
// Shown at a cart, such a coupon is held for that cart at HQ (the gate: MQTT 5
// request/response with a short timeout, in sync/). HQ's refusal (redeemed, or held for
// another cart) takes it off the cart. When HQ does not answer in time, the campaign's
// offline policy decides: accept (up to a face value) or refuse; HQ reports a second
// redemption afterwards. Coupons the store issued itself never ask HQ.

import type { CouponCampaign } from '../../sync/datasets/coupon-campaign.js';
import { DomainError } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';
import { signedByHq } from './codes.js';
import { findCampaign } from './wallet.js';

export interface ChainCouponHold {
  couponId: string;
  campaignId: string;
  cartId: string;
}

export type GateAnswer =
  | { status: 'reserved' }
  | { status: 'refused'; reason: string }
  | { status: 'unreachable' };

export type QuotaAnswer =
  | { status: 'granted' }
  | { status: 'refused'; reason: string }
  | { status: 'unreachable' };

/** HQ's side of chain coupons, as the store's business sees it. */
export interface CouponGate {
  /** A grant against a campaign's chain-wide quota for the coupon about to be issued. */
  claimQuota(ask: { campaignId: string; couponId: string; quota: number }): Promise<QuotaAnswer>;
  /** Holds the coupon for the cart at HQ; 'unreachable' past the timeout or with the link down. */
  reserve(hold: ChainCouponHold): Promise<GateAnswer>;
  /** Lets a hold go (a cancelled cart); best effort: an unreleased hold expires at HQ. */
  release(hold: ChainCouponHold): void;
}

interface ChainCoupon extends ChainCouponHold {
  faceFen: number;
  offline: CouponCampaign['offline'];
}

/** The coupon as a chain coupon for this cart (its code was signed by an HQ key), or null. */
export function chainCoupon(db: Db, couponId: string, cartId: string): ChainCoupon | null {
  const c = db.prepare('SELECT code, campaign_id, terms FROM coupons WHERE id = ?').get(couponId) as
    | { code: string; campaign_id: string; terms: string }
    | undefined;
  if (!c) return null;
  if (!signedByHq(db, c.code)) return null;
  const campaign = findCampaign(db, c.campaign_id);
  const benefit = (JSON.parse(c.terms) as { benefit: CouponCampaign['benefit'] }).benefit;
  const faceFen =
    benefit.type === 'amount_off' ? benefit.amountFen : (benefit.maxDiscountFen ?? Number.MAX_SAFE_INTEGER);
  return { couponId, campaignId: c.campaign_id, cartId, faceFen, offline: campaign?.offline };
}

/** Acts on HQ's answer for a chain coupon shown at a cart; a refusal takes it off the cart. */
export function settleChainCoupon(db: Db, c: ChainCoupon, answer: GateAnswer): void {
  const detach = () =>
    db.prepare('DELETE FROM cart_coupons WHERE cart_id = ? AND coupon_id = ?').run(c.cartId, c.couponId);
  const mark = (state: string) =>
    db
      .prepare('UPDATE cart_coupons SET hq_state = ? WHERE cart_id = ? AND coupon_id = ?')
      .run(state, c.cartId, c.couponId);
  if (answer.status === 'reserved') {
    mark('reserved');
    return;
  }
  if (answer.status === 'refused') {
    detach();
    throw new DomainError(
      'conflict',
      'COUPON_REDEEMED_ELSEWHERE',
      `HQ refused this coupon: ${answer.reason}`,
    );
  }
  const policy = c.offline ?? { accept: true };
  if (!policy.accept || (policy.maxFen !== undefined && c.faceFen > policy.maxFen)) {
    detach();
    throw new DomainError(
      'conflict',
      'COUPON_NEEDS_HQ',
      policy.accept
        ? `HQ is out of reach: this campaign's coupons over ¥${((policy.maxFen ?? 0) / 100).toFixed(2)} need it`
        : "HQ is out of reach: this campaign's coupons need it; try again when the store is back online",
    );
  }
  mark('offline_accepted');
}

/** The chain coupons a cart holds at HQ (to let go when the cart is cancelled). */
export function chainHoldsOf(db: Db, cartId: string): ChainCouponHold[] {
  return db
    .prepare(
      `SELECT cc.coupon_id AS couponId, c.campaign_id AS campaignId, cc.cart_id AS cartId
           FROM cart_coupons cc JOIN coupons c ON c.id = cc.coupon_id
          WHERE cc.cart_id = ? AND cc.hq_state = 'reserved'`,
    )
    .all(cartId) as ChainCouponHold[];
}

/** The campaign's quota when it has one (a claim then asks HQ for a chain-wide grant). */
export function campaignQuota(db: Db, campaignId: string): number | null {
  return findCampaign(db, campaignId)?.totalQuota ?? null;
}

/** Acts on HQ's answer to a quota grant: a refusal stops the claim; away, the store counts alone. */
export function settleQuota(answer: QuotaAnswer): void {
  if (answer.status === 'refused') throw new DomainError('conflict', 'COUPON_UNAVAILABLE', answer.reason);
}
