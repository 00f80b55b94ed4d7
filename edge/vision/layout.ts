// The store's floor as HQ needs it to read the counts: per camera, which lines are
// entrances (footfall), each zone's type and the product categories shelved in it, and
// the heatmap grid. Sent as a `store.layout` event when it differs from the last one
// sent, so HQ's figures follow a layout change from the moment the store made it.
import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';

type CameraCfg = Config['cameras'][number];

export interface CameraLayout {
  id: string;
  lines: { id: string; footfall: boolean }[];
  zones: { id: string; type: string; categories: string[] }[];
  floor: { widthM: number; depthM: number; cellM: number; cols: number; rows: number } | null;
}

export function layoutOf(cameras: readonly CameraCfg[]): { cameras: CameraLayout[] } {
  return {
    cameras: cameras.map((c) => ({
      id: c.id,
      lines: c.lines.map((l) => ({ id: l.id, footfall: l.footfall })),
      zones: c.zones.map((z) => ({ id: z.id, type: z.type ?? z.id, categories: z.categories })),
      floor: c.floorPlan
        ? {
            widthM: c.floorPlan.widthM,
            depthM: c.floorPlan.depthM,
            cellM: c.floorPlan.cellM,
            cols: Math.ceil(c.floorPlan.widthM / c.floorPlan.cellM),
            rows: Math.ceil(c.floorPlan.depthM / c.floorPlan.cellM),
          }
        : null,
    })),
  };
}

const KEY = 'vision.layout';

/** Queues the layout for HQ unless this very layout was queued before; true if queued. */
export function queueLayout(db: Db, cameras: readonly CameraCfg[], now: number): boolean {
  const layout = layoutOf(cameras);
  const digest = createHash('sha256').update(JSON.stringify(layout)).digest('hex');
  return db.transaction(() => {
    const last = db.prepare('SELECT value FROM sync_state WHERE key = ?').pluck().get(KEY) as
      | string
      | undefined;
    if (last && (JSON.parse(last) as { digest?: string }).digest === digest) return false;
    appendOutbox(db, { type: 'store.layout', class: 'state', payload: layout }, now);
    db.prepare(
      `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(KEY, JSON.stringify({ digest }), now);
    return true;
  })();
}
