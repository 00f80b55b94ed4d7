// Copies of one store's events for another store: each copy gets its own members, coupons,
// sales and payment references (a member's M + 12 hex digits, every UUID), the same for
// every event of that copy. Copies that shared them would be hundreds of stores redeeming
// the same coupons (each a chain-wide ledger conflict) and spending the same members'
// points (every ingest worker waiting on the same rows).
import { randomUUID } from 'node:crypto';

const ID = /M[0-9A-F]{12}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The payload's JSON with its ids replaced through `ids` (one map per copy). */
export function ownIdsJson(json: string, ids: Map<string, string>): string {
  return json.replace(ID, (id) => {
    const known = ids.get(id);
    if (known) return known;
    const v = id.startsWith('M')
      ? `M${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`
      : randomUUID();
    ids.set(id, v);
    return v;
  });
}

export const ownIds = (payload: Record<string, unknown>, ids: Map<string, string>): Record<string, unknown> =>
  JSON.parse(ownIdsJson(JSON.stringify(payload), ids));
