import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compatibleFloor,
  lastCompatible,
  type Migration,
  MigrationError,
  migrate,
  schemaVersion,
} from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-db-'));
let n = 0;
const freshPath = () => join(dir, `t${n++}.db`);

/** The schema as SQLite holds it, so two databases can be compared exactly. */
function schemaOf(db: Db): string[] {
  return (
    db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as {
      type: string;
      name: string;
      sql: string | null;
    }[]
  ).map((r) => `${r.type} ${r.name}: ${(r.sql ?? '').replace(/\s+/g, ' ')}`);
}

/** Rows that each version can hold, written before an upgrade and checked after it. */
const sampleData: Record<number, (db: Db) => void> = {
  1: (db) => {
    db.prepare("INSERT INTO categories (id, name_zh, name_en) VALUES ('drinks', '饮料', 'Drinks')").run();
    db.prepare(
      "INSERT INTO products (gtin, name_zh, name_en, category_id, sold_by, tax_rate_bp) VALUES ('06901234567892', '水', 'Water', 'drinks', 'each', 1300)",
    ).run();
    db.prepare(
      "INSERT INTO prices (gtin, effective_from, price_fen) VALUES ('06901234567892', 0, 200)",
    ).run();
  },
  2: (db) => {
    db.prepare(
      `INSERT INTO promotions (id, name_zh, name_en, definition) VALUES ('p1', '促销', 'Promo', '{"id":"p1"}')`,
    ).run();
  },
  3: (db) => {
    db.prepare(
      `INSERT INTO carts (id, code, channel, status, created_at, updated_at) VALUES ('c1', 'ABC234', 'kiosk', 'open', 0, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES ('e1', 'sale.completed', 'money', '{}', 0)`,
    ).run();
  },
  4: (db) => {
    db.prepare(
      `INSERT INTO kiosk_alerts (id, kiosk_id, kind, message, created_at) VALUES ('a1', 'kiosk-1', 'help', 'help', 0)`,
    ).run();
    // a card payment with its provider: migration 16 rebuilds the payments table around it
    db.prepare(
      `INSERT INTO payments (id, cart_id, kind, amount_fen, tendered_fen, status, reference, provider, detail, created_at, updated_at)
       VALUES ('p4', 'c1', 'card', 100, 100, 'unknown', 'ref-p4', 'k1-terminal', '{"lost":"TIMEOUT"}', 0, 0)`,
    ).run();
  },
  5: (db) => {
    db.prepare(`INSERT INTO sync_state (key, value, updated_at) VALUES ('clock', '{"offsetMs":0}', 0)`).run();
  },
  6: (db) => {
    db.prepare(`INSERT INTO secrets (name, value, created_at) VALUES ('x', x'00', 0)`).run();
  },
  8: () => {
    // exit_pass_checks references a sale; the upgrade path is covered by the empty table
  },
  9: (db) => {
    db.prepare(
      `INSERT INTO kiosk_alerts (id, kiosk_id, kind, message, created_at) VALUES ('a9', 'scan-and-go', 'label', 'label refused', 0)`,
    ).run();
  },
  14: () => {
    // a new column with a default: the upgrade path is covered by migration 3's sample rows
  },
  17: (db) => {
    // the catalog's version moves with any write to products (the triggers run on upgrade data too)
    db.prepare('UPDATE products SET name_en = name_en').run();
  },
  18: (db) => {
    // a member who agreed to be recognised by guides, a call taken, what the guide sent, the audit
    db.prepare(`UPDATE members SET guide_consent_at = 0`).run();
    db.prepare(
      `INSERT INTO guide_calls (id, reason, zone_id, status, created_at, accepted_by, accepted_at)
       VALUES ('g18', 'advice', 'dairy', 'accepted', 0, 'guide-1', 1)`,
    ).run();
    db.prepare(
      `INSERT INTO guide_recommendations (id, call_id, staff_id, kind, campaign_id, created_at)
       VALUES ('r18', 'g18', 'guide-1', 'coupon', 'welcome-5', 2)`,
    ).run();
    db.prepare(
      `INSERT INTO member_views (staff_id, member_id, outcome, at) VALUES ('guide-1', 'm1', 'refused', 3)`,
    ).run();
  },
  19: (db) => {
    // a range of acknowledged events (migration 19 took in migration 3's row, never sent)
    db.prepare('INSERT INTO outbox_acked (lo, hi, opened_at, sent_at) VALUES (5, 9, 0, 1)').run();
  },
  20: (db) => {
    // a replica this store follows, seen now and then; migration 11's member stays as enrolled here
    db.prepare(
      `INSERT INTO members (id, name, points, created_at, updated_at, hq_points, hq_version, seen_at)
       VALUES ('m20', NULL, 7, 0, 0, 7, 3, 9)`,
    ).run();
  },
  21: (db) => {
    // a queue alert closed by the watch, and its hour
    db.prepare(
      `INSERT INTO kiosk_alerts (id, kiosk_id, kind, message, created_at, resolved_at, resolved_by)
       VALUES ('a21', 'queue:floor/kiosk-queue', 'queue', 'queue at kiosk-queue', 0, 5, 'queue-watch')`,
    ).run();
    db.prepare(
      `INSERT INTO queue_hours (camera_id, zone_id, hour, seconds, person_seconds, max_length, alerts)
       VALUES ('floor', 'kiosk-queue', 0, 60, 120, 4, 1)`,
    ).run();
  },
  16: (db) => {
    db.prepare(
      `INSERT INTO payments (id, cart_id, kind, amount_fen, tendered_fen, status, reference, provider, created_at, updated_at)
       VALUES ('p16', 'c1', 'wallet', 100, 100, 'pending', 'ref-p16', 'wallet-gateway', 0, 0)`,
    ).run();
  },
  15: (db) => {
    db.prepare(
      `INSERT INTO idempotency (scope, key, request_hash, status, response, created_at, rebuild)
       VALUES ('POST /x', 'k15-key-1', 'h', 200, '{}', 0, '["merged","c"]')`,
    ).run();
  },
  13: (db) => {
    db.prepare(
      `INSERT INTO peer_keys (kid, store_id, public_key, created_at) VALUES ('k13', 's', 'AAAA', 0)`,
    ).run();
  },
  12: () => {
    // cart_coupons references a cart and a coupon; the upgrade path is covered by the empty table
  },
  11: (db) => {
    db.prepare(
      `INSERT INTO members (id, name, points, created_at, updated_at) VALUES ('m11', NULL, 5, 0, 0)`,
    ).run();
  },
  10: () => {
    // offers_shown references a sale; the upgrade path is covered by the empty table
  },
  7: (db) => {
    db.prepare(
      `INSERT INTO vision_counts (camera_id, line_id, res, bucket, footfall, ins, outs) VALUES ('c', 'l', '1h', 0, 1, 2, 1)`,
    ).run();
    db.prepare(
      `INSERT INTO vision_heatmap (camera_id, res, bucket, cols, rows, cell_m, cells) VALUES ('c', '1h', 0, 1, 1, 0.5, x'00000000')`,
    ).run();
  },
};

describe('database', () => {
  it('opens with WAL, synchronous FULL, foreign keys and a busy timeout', () => {
    const db = openDb(freshPath(), { busyTimeoutMs: 1234 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    db.close();
  });

  it('migrates a fresh database to the latest version, and a second run does nothing', () => {
    const db = openDb(freshPath());
    const first = migrate(db, migrations);
    expect(first).toMatchObject({ from: 0, to: migrations.length });
    expect(first.applied).toEqual([
      '0001_catalog',
      '0002_promotions_coupons',
      '0003_checkout',
      '0004_kiosk_devices',
      '0005_sync',
      '0006_security',
      '0007_vision',
      '0008_exit_passes',
      '0009_label_policy',
      '0010_offers_shown',
      '0011_member_replica',
      '0012_chain_coupons',
      '0013_peer_keys',
      '0014_offline_spends',
      '0015_housekeeping',
      '0016_scan_and_go',
      '0017_catalog_version',
      '0018_guides',
      '0019_outbox_acks',
      '0020_member_follow',
      '0021_queues',
    ]);
    expect(migrate(db, migrations)).toEqual({ from: migrations.length, to: migrations.length, applied: [] });
    db.close();
  });

  const latestSchema = (() => {
    const db = openDb(':memory:');
    migrate(db, migrations);
    const s = schemaOf(db);
    db.close();
    return s;
  })();

  for (let from = 1; from < migrations.length; from++) {
    it(`upgrades from v${from} to the latest schema, keeping the data`, () => {
      const path = freshPath();
      let db = openDb(path);
      migrate(db, migrations, from);
      expect(schemaVersion(db)).toBe(from);
      for (let v = 1; v <= from; v++) sampleData[v]?.(db);
      db.close();

      db = openDb(path);
      const result = migrate(db, migrations);
      expect(result.from).toBe(from);
      expect(result.to).toBe(migrations.length);
      expect(schemaOf(db)).toEqual(latestSchema);
      // migration 15 switched the file to incremental vacuum with a full VACUUM
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
      expect(db.prepare('SELECT price_fen FROM prices').pluck().get()).toBe(200);
      // tables rebuilt by later migrations keep their rows
      if (from >= 4)
        expect(db.prepare("SELECT kind FROM kiosk_alerts WHERE id = 'a1'").pluck().get()).toBe('help');
      // a member from before migration 20 without HQ's figure counts as enrolled here (never let go)
      if (from >= 11 && from < 20)
        expect(db.prepare("SELECT enrolled_here FROM members WHERE id = 'm11'").pluck().get()).toBe(1);
      db.close();
    });
  }

  it('every migration has sample data, so the upgrade tests cover it', () => {
    for (const m of migrations) expect(sampleData[m.version], m.name).toBeTypeOf('function');
  });

  it('refuses a database newer than this build', () => {
    const db = openDb(freshPath());
    db.pragma(`user_version = ${migrations.length + 1}`);
    expect(() => migrate(db, migrations)).toThrow(/newer than this build knows/);
    db.close();
  });

  it('an older build opens a newer database when all it does not know is additive (a rollback after an update)', () => {
    const additive: Migration = {
      version: migrations.length + 1,
      name: 'added_notes',
      additive: true,
      up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'),
    };
    const breaking: Migration = {
      version: migrations.length + 2,
      name: 'renamed_prices',
      up: (db) => db.exec('ALTER TABLE prices RENAME COLUMN price_fen TO amount_fen'),
    };
    const path = freshPath();
    let db = openDb(path);
    migrate(db, [...migrations, additive]);
    expect(lastCompatible(db)).toBe(compatibleFloor(migrations));
    db.close();
    db = openDb(path);
    // the previous build: nothing applied, nothing refused
    expect(migrate(db, migrations)).toEqual({
      from: migrations.length + 1,
      to: migrations.length + 1,
      applied: [],
    });
    migrate(db, [...migrations, additive, breaking]);
    expect(lastCompatible(db)).toBe(migrations.length + 2);
    expect(() => migrate(db, migrations)).toThrow(`not readable by it (needs v${migrations.length + 2})`);
    expect(() => migrate(db, [...migrations, additive])).toThrow(/newer than this build knows/);
    expect(compatibleFloor([...migrations, additive])).toBe(compatibleFloor(migrations));
    db.close();
  });

  it('a failing migration leaves the database at the previous version, unchanged', () => {
    const broken: Migration[] = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'broken',
        up(db) {
          db.exec('CREATE TABLE half_done (x INTEGER)');
          throw new Error('boom');
        },
      },
    ];
    const db = openDb(freshPath());
    expect(() => migrate(db, broken)).toThrow('boom');
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    db.close();
  });

  it('rejects a list whose versions are not 1..n in order', () => {
    const db = openDb(':memory:');
    expect(() => migrate(db, [migrations[1]!])).toThrow(MigrationError);
    db.close();
  });

  it('enforces the money and code constraints', () => {
    const db = openDb(':memory:');
    migrate(db, migrations);
    sampleData[1]!(db);
    expect(() => db.prepare("INSERT INTO prices VALUES ('06901234567892', 1, -5)").run()).toThrow(/CHECK/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO products (gtin, name_zh, name_en, category_id, sold_by, tax_rate_bp) VALUES ('690123', 'x', 'x', 'drinks', 'each', 1300)",
        )
        .run(),
    ).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO prices VALUES ('00000000000000', 1, 5)").run()).toThrow(
      /FOREIGN KEY/,
    );
    expect(() => db.prepare('UPDATE prices SET price_fen = 1.5').run()).toThrow(/cannot store REAL/);
    db.close();
  });
});
