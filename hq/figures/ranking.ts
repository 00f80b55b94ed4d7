// Stores ranked by one figure. A store without the figure (no footfall for conversion),
// or whose people counter gave an impossible one, ranks last whichever the order, and
// says which counter problem it has.
import { COUNTED, type CounterProblem, counterProblems } from './plausibility.js';
import type { Rankable, StoreFigures } from './store-figures.js';

export type RankedStore = Omit<StoreFigures, 'bucket'> & { rank: number; counterProblems: CounterProblem[] };

/** `counting`: the stores with cameras (see countingStores). */
export function rankStores(
  rows: StoreFigures[],
  sort: Rankable,
  order: 'asc' | 'desc',
  counting: ReadonlySet<string>,
): RankedStore[] {
  const dir = order === 'asc' ? 1 : -1;
  const problems = new Map(rows.map((r) => [r.storeId, counterProblems(r, counting.has(r.storeId))]));
  const value = (r: StoreFigures) =>
    COUNTED.includes(sort) && problems.get(r.storeId)?.length ? null : r[sort];
  return [...rows]
    .sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (x - y) * dir || (a.storeId < b.storeId ? -1 : 1);
    })
    .map(({ bucket: _b, ...r }, i) => ({
      rank: i + 1,
      ...r,
      counterProblems: problems.get(r.storeId) ?? [],
    }));
}
