// Whether a product falls in a rule's scope: the one definition promotions and coupons share.
import type { Scope } from '../../sync/datasets/shared.js';

export interface ScopedItem {
  gtin: string;
  /** the product's category and its ancestors */
  categories: readonly string[];
  brandId: string | null;
}

/** A predicate for `scope`, with its lists turned into sets once. Empty lists restrict nothing. */
export function scopeMatcher(scope: Scope): (item: ScopedItem) => boolean {
  const gtins = new Set(scope.gtins);
  const categories = new Set(scope.categories);
  const brands = new Set(scope.brands);
  const excluded = new Set(scope.excludeGtins);
  return (i) =>
    !excluded.has(i.gtin) &&
    (gtins.size === 0 || gtins.has(i.gtin)) &&
    (categories.size === 0 || i.categories.some((c) => categories.has(c))) &&
    (brands.size === 0 || (i.brandId !== null && brands.has(i.brandId)));
}
