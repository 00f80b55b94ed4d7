import type { Migration } from '../migrate.js';

// People-counting aggregates. Each event lands in its 1-minute, 15-minute and hourly
// bucket in the same transaction, so the coarser series are always the sums of the
// finer ones; old minute and quarter rows are pruned, hours are kept. Heatmaps are
// presence-seconds per floor cell (float32, row-major) per quarter and hour.
export const m0007Vision: Migration = {
  version: 7,
  name: 'vision',
  up(db) {
    db.exec(`
      CREATE TABLE vision_counts (
        camera_id  TEXT NOT NULL,
        line_id    TEXT NOT NULL,
        res        TEXT NOT NULL CHECK (res IN ('1m', '15m', '1h')),
        bucket     INTEGER NOT NULL,
        footfall   INTEGER NOT NULL CHECK (footfall IN (0, 1)),
        ins        INTEGER NOT NULL DEFAULT 0 CHECK (ins >= 0),
        outs       INTEGER NOT NULL DEFAULT 0 CHECK (outs >= 0),
        PRIMARY KEY (camera_id, line_id, res, bucket)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX vision_counts_time ON vision_counts(res, bucket);

      CREATE TABLE vision_dwell (
        camera_id  TEXT NOT NULL,
        zone_id    TEXT NOT NULL,
        res        TEXT NOT NULL CHECK (res IN ('1m', '15m', '1h')),
        bucket     INTEGER NOT NULL,
        visits     INTEGER NOT NULL DEFAULT 0 CHECK (visits >= 0),
        dwell_ms   INTEGER NOT NULL DEFAULT 0 CHECK (dwell_ms >= 0),
        PRIMARY KEY (camera_id, zone_id, res, bucket)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX vision_dwell_time ON vision_dwell(res, bucket);

      CREATE TABLE vision_heatmap (
        camera_id  TEXT NOT NULL,
        res        TEXT NOT NULL CHECK (res IN ('15m', '1h')),
        bucket     INTEGER NOT NULL,
        cols       INTEGER NOT NULL CHECK (cols > 0),
        rows       INTEGER NOT NULL CHECK (rows > 0),
        cell_m     REAL NOT NULL CHECK (cell_m > 0),
        cells      BLOB NOT NULL,
        PRIMARY KEY (camera_id, res, bucket)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
