// HQ's pulls, answered over MQTT 5 request/response: events from a sequence number
// (paged), the store's health, and people counting: line counts and zone dwell per
// bucket, and a camera's floor heatmap over a period.

import { toWire } from '../../sync/topics.js';
import type { Db } from '../db/open.js';
import { readOutbox } from '../db/outbox.js';
import { RESOLUTION_MS, type Resolution } from '../vision/buckets.js';
import { countSeries, dwellSeries, heatmapOver } from '../vision/queries.js';
import type { CommandContext, SyncExtension } from './commands.js';

export interface RequestContext {
  db: Db;
  storeId: string;
  health: () => Record<string, unknown>;
}

const MAX_PAGE = 500;
const MAX_BUCKETS = 2000;
const MAX_RANGE_MS = 400 * 86_400_000;

function range(body: Record<string, unknown>): { from: number; to: number; camera?: string } | string {
  const { from, to, camera } = body;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return 'from, to: timestamps in ms';
  if ((to as number) <= (from as number)) return 'to must be after from';
  if ((to as number) - (from as number) > MAX_RANGE_MS) return 'range: at most 400 days';
  if (camera !== undefined && typeof camera !== 'string') return 'camera: a camera id';
  return { from: from as number, to: to as number, ...(typeof camera === 'string' ? { camera } : {}) };
}

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
    case 'counts': {
      const r = range(body);
      if (typeof r === 'string') return { error: 'BAD_REQUEST', message: r };
      const res = body.res ?? '15m';
      if (!(res === '1m' || res === '15m' || res === '1h'))
        return { error: 'BAD_REQUEST', message: 'res: 1m, 15m or 1h' };
      if ((r.to - r.from) / RESOLUTION_MS[res as Resolution] > MAX_BUCKETS)
        return {
          error: 'BAD_REQUEST',
          message: `at most ${MAX_BUCKETS} buckets a request: ask for a coarser res or a shorter range`,
        };
      const q = { ...r, res: res as Resolution };
      return { from: r.from, to: r.to, res, lines: countSeries(c.db, q), zones: dwellSeries(c.db, q) };
    }
    case 'heatmap': {
      const r = range(body);
      if (typeof r === 'string') return { error: 'BAD_REQUEST', message: r };
      if (typeof r.camera !== 'string') return { error: 'BAD_REQUEST', message: 'camera: the camera id' };
      const grid = heatmapOver(c.db, r.camera, r.from, r.to);
      return grid
        ? { ...grid }
        : { error: 'NOT_FOUND', message: `no heatmap for camera "${r.camera}" in that period` };
    }
    default:
      return { error: 'UNKNOWN_REQUEST', message: `no request "${name}"` };
  }
}

/** HQ's pulls, answered from the store's database. */
export function pulls(c: CommandContext, health: () => Record<string, unknown>): SyncExtension {
  return {
    start: (commands) =>
      commands.onRequests((name, body) =>
        answerRequest(name, body, { db: c.db(), storeId: c.storeId, health }),
      ),
  };
}
