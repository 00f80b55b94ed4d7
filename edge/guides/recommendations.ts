// What a guide sends the shopper they serve, shown on the shopper's phone: a product
// (from the catalog), or a coupon of a claim campaign the store lets guides hand out
// (the shopper claims it into their wallet with one tap, under the campaign's own rules).
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../sync/kernel/errors.js';
import { productByGtin } from '../catalog/products.js';
import { allCampaigns, findCampaign } from '../coupons/wallet.js';
import type { Db } from '../db/open.js';
import { requireGuide } from './calls.js';

export type Recommendation =
  | {
      id: string;
      kind: 'product';
      staffId: string;
      createdAt: number;
      gtin: string;
      name: { zh: string; en: string };
      priceFen: number;
    }
  | {
      id: string;
      kind: 'coupon';
      staffId: string;
      createdAt: number;
      campaignId: string;
      name: { zh: string; en: string };
    };

/** A recommendation may be sent this many times per call at most. */
export const MAX_PER_CALL = 20;

export function recommend(
  db: Db,
  callId: string,
  staffId: string,
  what: { kind: 'product'; gtin: string } | { kind: 'coupon'; campaignId: string },
  now: number,
): Recommendation {
  return db
    .transaction(() => {
      requireGuide(db, callId, staffId);
      const n = db
        .prepare('SELECT count(*) FROM guide_recommendations WHERE call_id = ?')
        .pluck()
        .get(callId) as number;
      if (n >= MAX_PER_CALL)
        throw new DomainError('conflict', 'TOO_MANY_RECOMMENDATIONS', `at most ${MAX_PER_CALL} per call`);
      const id = randomUUID();
      if (what.kind === 'product') {
        if (!productByGtin(db, what.gtin, now))
          throw new DomainError('not_found', 'PRODUCT_NOT_FOUND', `no product ${what.gtin} on sale here`);
        db.prepare(
          `INSERT INTO guide_recommendations (id, call_id, staff_id, kind, gtin, created_at) VALUES (?, ?, ?, 'product', ?, ?)`,
        ).run(id, callId, staffId, what.gtin, now);
      } else {
        const c = findCampaign(db, what.campaignId);
        if (c?.issuance.trigger !== 'claim' || c.byGuides !== true)
          throw new DomainError(
            'conflict',
            'NOT_FOR_GUIDES',
            `campaign ${what.campaignId} is not one guides may hand out`,
          );
        db.prepare(
          `INSERT INTO guide_recommendations (id, call_id, staff_id, kind, campaign_id, created_at) VALUES (?, ?, ?, 'coupon', ?, ?)`,
        ).run(id, callId, staffId, what.campaignId, now);
      }
      return recommendations(db, callId, now).find((r) => r.id === id)!;
    })
    .immediate();
}

/** What was sent for a call, oldest first; a product no longer on sale is left out. */
export function recommendations(db: Db, callId: string, now: number): Recommendation[] {
  const rows = db
    .prepare('SELECT * FROM guide_recommendations WHERE call_id = ? ORDER BY created_at, id')
    .all(callId) as {
    id: string;
    kind: 'product' | 'coupon';
    staff_id: string;
    gtin: string | null;
    campaign_id: string | null;
    created_at: number;
  }[];
  const out: Recommendation[] = [];
  for (const r of rows) {
    const base = { id: r.id, staffId: r.staff_id, createdAt: r.created_at };
    if (r.kind === 'product') {
      const p = productByGtin(db, r.gtin!, now);
      if (p) out.push({ ...base, kind: 'product', gtin: p.gtin, name: p.name, priceFen: p.priceFen });
    } else {
      const c = findCampaign(db, r.campaign_id!);
      if (c) out.push({ ...base, kind: 'coupon', campaignId: c.id, name: c.name });
    }
  }
  return out;
}

/** The claim campaigns guides may hand out. */
export function guideCampaigns(db: Db): { id: string; name: { zh: string; en: string } }[] {
  return allCampaigns(db)
    .filter((c) => c.issuance.trigger === 'claim' && c.byGuides === true)
    .map((c) => ({ id: c.id, name: c.name }));
}
