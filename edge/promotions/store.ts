// Active promotions as stored, compiled once per applied dataset version.

import type { Promotion } from '../../sync/datasets/promotion.js';
import type { Db } from '../db/open.js';
import { type CompiledPromotion, compilePromotions } from './engine.js';

const cache = new WeakMap<Db, { sha: string; compiled: CompiledPromotion[] }>();

export function loadPromotions(db: Db): CompiledPromotion[] {
  const sha =
    (db.prepare("SELECT sha256 FROM datasets WHERE name = 'promotions'").pluck().get() as
      | string
      | undefined) ?? '';
  const hit = cache.get(db);
  if (hit && hit.sha === sha) return hit.compiled;
  const defs = (db.prepare('SELECT definition FROM promotions').pluck().all() as string[]).map(
    (d) => JSON.parse(d) as Promotion,
  );
  const compiled = compilePromotions(defs);
  cache.set(db, { sha, compiled });
  return compiled;
}
