// "Bought together" from the store's own sales, computed on the box: over the recent
// baskets, how often two products share one, scored by cosine similarity (together ÷
// √(A's baskets × B's baskets)) so an item in every other basket does not top every
// list. Bounded in memory whatever the history: a window of the newest baskets, lines
// per basket capped, the pair table capped (once full, only pairs already in it count
// further), and only the top few kept per product. Nothing leaves the store for it.
import { productByGtin } from '../catalog/products.js';
import type { Db } from '../db/open.js';

export interface AlsoBoughtOptions {
  /** baskets of the last this many days */
  windowDays: number;
  /** at most this many of the newest baskets */
  maxBaskets: number;
  /** products of a basket counted at most (a huge basket says little about each pair) */
  maxLinesPerBasket: number;
  /** pairs counted at most */
  maxPairs: number;
  /** kept per product */
  top: number;
  /** baskets a pair shares at least, to be shown */
  minTogether: number;
}

export const ALSO_BOUGHT_DEFAULTS: AlsoBoughtOptions = {
  windowDays: 90,
  maxBaskets: 20_000,
  maxLinesPerBasket: 30,
  maxPairs: 500_000,
  top: 5,
  minTogether: 2,
};

export interface Together {
  gtin: string;
  together: number;
  score: number;
}

export class AlsoBought {
  private table = new Map<string, Together[]>();
  private stats = { baskets: 0, pairs: 0, at: 0 as number };

  constructor(private readonly o: AlsoBoughtOptions = ALSO_BOUGHT_DEFAULTS) {}

  /** Recounts from the sales of the window. Synchronous and bounded: the newest baskets only. */
  refresh(db: Db, now: number): void {
    const o = this.o;
    const rows = db
      .prepare(
        `SELECT sl.sale_id AS sale, sl.gtin AS gtin
           FROM (SELECT id FROM sales WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?) s
           JOIN sale_lines sl ON sl.sale_id = s.id
          ORDER BY sl.sale_id`,
      )
      .all(now - o.windowDays * 86_400_000, o.maxBaskets) as { sale: string; gtin: string }[];
    const baskets = new Map<string, Set<string>>();
    for (const r of rows) {
      const b = baskets.get(r.sale) ?? new Set<string>();
      baskets.set(r.sale, b);
      if (b.size < o.maxLinesPerBasket) b.add(r.gtin);
    }
    const single = new Map<string, number>();
    const pairs = new Map<string, Map<string, number>>();
    let pairCount = 0;
    const bump = (a: string, b: string) => {
      let m = pairs.get(a);
      if (!m) {
        if (pairCount >= o.maxPairs) return;
        m = new Map();
        pairs.set(a, m);
      }
      const n = m.get(b);
      if (n !== undefined) m.set(b, n + 1);
      else if (pairCount < o.maxPairs) {
        m.set(b, 1);
        pairCount++;
      }
    };
    for (const b of baskets.values()) {
      const items = [...b];
      for (const g of items) single.set(g, (single.get(g) ?? 0) + 1);
      for (let i = 0; i < items.length; i++)
        for (let j = 0; j < items.length; j++) if (i !== j) bump(items[i]!, items[j]!);
    }
    const table = new Map<string, Together[]>();
    for (const [a, m] of pairs) {
      const na = single.get(a)!;
      const list = [...m]
        .filter(([, n]) => n >= o.minTogether)
        .map(([gtin, together]) => ({ gtin, together, score: together / Math.sqrt(na * single.get(gtin)!) }))
        .sort((x, y) => y.score - x.score || y.together - x.together || x.gtin.localeCompare(y.gtin))
        .slice(0, o.top);
      if (list.length) table.set(a, list);
    }
    this.table = table;
    this.stats = { baskets: baskets.size, pairs: pairCount, at: now };
  }

  /** What shoppers who bought `gtin` also bought, best first. */
  of(gtin: string): Together[] {
    return this.table.get(gtin) ?? [];
  }

  /** What the last refresh counted, for the dashboard and the tests. */
  figures(): { baskets: number; pairs: number; products: number; at: number } {
    return { ...this.stats, products: this.table.size };
  }
}

/** What shoppers who bought `gtin` also bought, as products on sale now (best first). */
export function alsoBoughtOnSale(
  db: Db,
  table: AlsoBought | undefined,
  gtin: string,
  now: number,
): { gtin: string; name: { zh: string; en: string }; priceFen: number; together: number }[] {
  return (table?.of(gtin) ?? []).flatMap((t) => {
    const p = productByGtin(db, t.gtin, now);
    return p ? [{ gtin: p.gtin, name: p.name, priceFen: p.priceFen, together: t.together }] : [];
  });
}
