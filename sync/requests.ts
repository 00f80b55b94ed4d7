// HQ's pulls, answered over MQTT 5 request/response: events from a sequence number
// (paged), and the store's health. Footfall counts and heatmaps are answered once the
// vision pipeline exists; until then the answer says so.
import type { Db } from '../edge/db/open.js';
import { readOutbox } from '../edge/db/outbox.js';
import { toWire } from './topics.js';

export interface RequestContext {
  db: Db;
  storeId: string;
  health: () => Record<string, unknown>;
}

const MAX_PAGE = 500;

export function answerRequest(
  name: string,
  body: Record<string, unknown>,
  c: RequestContext,
): Record<string, unknown> {
  switch (name) {
    case 'events': {
      const from = body.fromSeq;
      const limit = body.limit ?? 200;
      if (!Number.isSafeInteger(from) || (from as number) < 1)
        return { error: 'BAD_REQUEST', message: 'fromSeq: a sequence number ≥ 1' };
      if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE)
        return { error: 'BAD_REQUEST', message: `limit: 1 to ${MAX_PAGE}` };
      const rows = readOutbox(c.db, from as number, (limit as number) + 1);
      const page = rows.slice(0, limit as number);
      const events = page.map((r) => toWire(c.storeId, r));
      const last = page.at(-1);
      return { events, nextSeq: last ? last.seq + 1 : from, more: rows.length > page.length };
    }
    case 'health':
      return c.health();
    case 'counts':
    case 'heatmap':
      return { error: 'NOT_AVAILABLE', message: 'on-device vision is not part of this build yet' };
    default:
      return { error: 'UNKNOWN_REQUEST', message: `no request "${name}"` };
  }
}
