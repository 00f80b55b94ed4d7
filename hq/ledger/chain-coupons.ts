// Chain coupons HQ issues: a signed code ("SEC1.", the format every store verifies
// offline) naming the coupon, its campaign, its holder if any, and its expiry, signed
// with one of HQ's coupon keys (pushed to the stores as the `coupon_keys` dataset).
import { createHash, type KeyObject, sign } from 'node:crypto';

export interface ChainCouponCode {
  couponId: string;
  campaignId: string;
  memberId?: string | null;
  expiresAt: number;
}

/** The key id stores know an HQ coupon key by: the first 16 hex digits of its SPKI's sha-256. */
export function couponKid(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);
}

/** What HQ pushes as `coupon_keys` so every store verifies these codes offline. */
export function couponKeysBody(publicKey: KeyObject): { keys: { kid: string; publicKeyBase64: string }[] } {
  return {
    keys: [
      {
        kid: couponKid(publicKey),
        publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      },
    ],
  };
}

export function issueChainCoupon(key: KeyObject, kid: string, c: ChainCouponCode): string {
  const payload = { id: c.couponId, c: c.campaignId, m: c.memberId ?? null, e: c.expiresAt, k: kid };
  const body = `SEC1.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${sign(null, Buffer.from(body), key).toString('base64url')}`;
}
