// HQ's events on one SQLite file: the embedded choice for a lab or a single store
// (`npm run hq -- ingest --db hq.db`). The same rules and the same tables as on PostgreSQL
// (event-store.ts, projections.ts); one process writes it, so a batch is a plain
// SQLite transaction and a gap needs no lock to be claimed. HQ's API needs PostgreSQL.
import Database from 'better-sqlite3';
import type { Quarantined, StoredEvent } from './classify.js';
import {
  freshOf,
  type Gap,
  gapRange,
  type HqEventStore,
  type IngestResult,
  judgeRepeats,
  perStore,
  splitBatch,
  type Watermark,
  watermarkOf,
} from './event-store.js';
import { projectionTables } from './projections.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    store_id TEXT NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1), event_id TEXT NOT NULL, type TEXT NOT NULL,
    class TEXT NOT NULL, created_at INTEGER NOT NULL, payload TEXT NOT NULL, digest BLOB NOT NULL,
    received_at INTEGER NOT NULL, PRIMARY KEY (store_id, seq)) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS store_watermarks (
    store_id TEXT PRIMARY KEY, contiguous_seq INTEGER NOT NULL DEFAULT 0, max_seq INTEGER NOT NULL DEFAULT 0,
    sent_through INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0, gap_from INTEGER, gap_since INTEGER, resend_asked_at INTEGER,
    resend_requests INTEGER NOT NULL DEFAULT 0) STRICT;
  CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY, store_id TEXT, seq INTEGER, topic TEXT NOT NULL, reason TEXT NOT NULL,
    detail TEXT NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL) STRICT;
  CREATE INDEX IF NOT EXISTS quarantine_store_seq ON quarantine (store_id, seq) WHERE seq IS NOT NULL;
  CREATE TABLE IF NOT EXISTS store_state (
    store_id TEXT PRIMARY KEY, online INTEGER NOT NULL DEFAULT 0, last_state TEXT, last_heartbeat TEXT, last_seen INTEGER) STRICT;
  CREATE TABLE IF NOT EXISTS sales (store_id TEXT, seq INTEGER, sale_id TEXT, receipt_no TEXT, channel TEXT, kiosk_id TEXT,
    member_id TEXT, gross_fen INTEGER, promo_discount_fen INTEGER, coupon_discount_fen INTEGER, total_fen INTEGER,
    tax_fen INTEGER, points_earned INTEGER, sold_at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS sale_lines (store_id TEXT, seq INTEGER, line_no INTEGER, gtin TEXT, qty INTEGER, weight_g INTEGER,
    unit_price_fen INTEGER, gross_fen INTEGER, final_fen INTEGER, tax_fen INTEGER, categories TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (store_id, seq, line_no));
  CREATE TABLE IF NOT EXISTS sale_payments (store_id TEXT, seq INTEGER, n INTEGER, kind TEXT, amount_fen INTEGER,
    reference TEXT, PRIMARY KEY (store_id, seq, n));
  CREATE TABLE IF NOT EXISTS refunds (store_id TEXT, seq INTEGER, refund_id TEXT, sale_id TEXT, amount_fen INTEGER,
    refunded_at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS coupon_redemptions (store_id TEXT, seq INTEGER, coupon_id TEXT, campaign_id TEXT, sale_id TEXT,
    amount_fen INTEGER, direction INTEGER, at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS points_movements (store_id TEXT, seq INTEGER, member_id TEXT, delta INTEGER, reason TEXT,
    balance INTEGER, at INTEGER, sale_id TEXT, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS coupons_issued (store_id TEXT, seq INTEGER, coupon_id TEXT, campaign_id TEXT, member_id TEXT,
    source TEXT, sale_id TEXT, issued_at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS offers_shown (store_id TEXT, seq INTEGER, sale_id TEXT, campaign_id TEXT, shown_at INTEGER,
    PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS members_enrolled (store_id TEXT, seq INTEGER, member_id TEXT, enrolled_at INTEGER,
    PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS store_layouts (store_id TEXT, seq INTEGER, layout TEXT, at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS vision_line_counts (store_id TEXT, seq INTEGER, camera_id TEXT, line_id TEXT, minute TEXT,
    ins INTEGER, outs INTEGER, PRIMARY KEY (store_id, seq, camera_id, line_id, minute));
  CREATE TABLE IF NOT EXISTS vision_zone_dwell (store_id TEXT, seq INTEGER, camera_id TEXT, zone_id TEXT, minute TEXT,
    visits INTEGER, dwell_ms INTEGER, PRIMARY KEY (store_id, seq, camera_id, zone_id, minute));
  CREATE TABLE IF NOT EXISTS vision_heatmaps (store_id TEXT, seq INTEGER, camera_id TEXT, quarter TEXT, cols INTEGER,
    rows INTEGER, cell_m REAL, cells TEXT, PRIMARY KEY (store_id, seq, camera_id, quarter));
  CREATE TABLE IF NOT EXISTS push_results (store_id TEXT, seq INTEGER, dataset TEXT, version INTEGER, status TEXT,
    problems TEXT, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS certificate_requests (store_id TEXT, seq INTEGER, hostname TEXT, csr TEXT,
    key_sha256 TEXT, at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS software_status (store_id TEXT, seq INTEGER, rollout INTEGER, version TEXT, state TEXT,
    reason TEXT, at INTEGER, switch_at INTEGER, maint_window TEXT, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS exit_audit_decisions (store_id TEXT, seq INTEGER, sale_id TEXT, selected INTEGER,
    probability REAL, signals TEXT, at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS exit_audit_results (store_id TEXT, seq INTEGER, sale_id TEXT, result TEXT,
    full_check INTEGER, recovered_fen INTEGER, missing TEXT, at INTEGER, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS queue_hours (store_id TEXT, seq INTEGER, camera_id TEXT, zone_id TEXT, hour INTEGER,
    seconds REAL, person_seconds REAL, max_length INTEGER, alerts INTEGER, alert_seconds REAL, wait_seconds REAL,
    wait_samples INTEGER, max_wait_s REAL, PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS guide_calls (store_id TEXT, seq INTEGER, call_id TEXT, reason TEXT, zone_id TEXT,
    status TEXT, staff_id TEXT, created_at INTEGER, accepted_at INTEGER, ended_at INTEGER, escalated INTEGER,
    PRIMARY KEY (store_id, seq));
  CREATE TABLE IF NOT EXISTS guide_assists (store_id TEXT, seq INTEGER, sale_id TEXT, staff_id TEXT, source TEXT,
    call_id TEXT, total_fen INTEGER, at INTEGER, PRIMARY KEY (store_id, seq));
`;

const ADDED_COLUMNS = [
  ['sale_lines', 'categories', "TEXT NOT NULL DEFAULT '[]'"],
  ['coupon_redemptions', 'at', 'INTEGER'],
  ['points_movements', 'at', 'INTEGER'],
  ['points_movements', 'sale_id', 'TEXT'],
  ['software_status', 'switch_at', 'INTEGER'],
  ['software_status', 'maint_window', 'TEXT'],
] as const;

export class SqliteEventStore implements HqEventStore {
  readonly db: Database.Database;

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // a lab file from before these columns gets them (CREATE IF NOT EXISTS kept its old tables)
    for (const [table, column, decl] of ADDED_COLUMNS) {
      const has = (this.db.pragma(`table_info(${table})`) as { name: string }[]).some(
        (c) => c.name === column,
      );
      if (!has) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
    }
  }

  async ingest(events: StoredEvent[], quarantined: Quarantined[]): Promise<IngestResult> {
    const { first, repeats } = splitBatch(events);
    const db = this.db;
    const now = this.now();
    return db.transaction((): IngestResult => {
      const insert = db.prepare(
        `INSERT OR IGNORE INTO events (store_id, seq, event_id, type, class, created_at, payload, digest, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const inserted = first
        .filter(
          (e) =>
            insert.run(
              e.storeId,
              e.seq,
              e.eventId,
              e.type,
              e.class,
              e.createdAt,
              JSON.stringify(e.payload),
              e.digest,
              now,
            ).changes > 0,
        )
        .map((e) => ({ storeId: e.storeId, seq: e.seq }));
      const split = freshOf(first, inserted);
      const again = [...split.again, ...repeats];
      const digestOf = db.prepare('SELECT digest FROM events WHERE store_id = ? AND seq = ?').pluck();
      const { conflicts, dupsByStore } = judgeRepeats(
        again,
        (s, seq) => digestOf.get(s, seq) as Buffer | undefined,
      );
      const allQuarantined = [...quarantined, ...conflicts];
      const q = db.prepare(
        'INSERT INTO quarantine (store_id, seq, topic, reason, detail, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const x of allQuarantined) q.run(x.storeId, x.seq, x.topic, x.reason, x.detail, x.payload, now);
      for (const t of projectionTables(split.fresh)) {
        const put = db.prepare(
          `INSERT OR IGNORE INTO ${t.name} (${t.columns.map(([c]) => c).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`,
        );
        for (const r of t.rows)
          put.run(...r.map((v) => (Array.isArray(v) ? JSON.stringify(v) : (v ?? null))));
      }
      this.advance(perStore(split.fresh, dupsByStore, allQuarantined));
      return {
        fresh: split.fresh.length,
        duplicates: again.length - conflicts.length,
        conflicts: conflicts.length,
        quarantined: allQuarantined.length,
      };
    })();
  }

  private advance(per: ReturnType<typeof perStore>): void {
    const db = this.db;
    const ensure = db.prepare('INSERT OR IGNORE INTO store_watermarks (store_id) VALUES (?)');
    const held = db
      .prepare(
        'SELECT EXISTS (SELECT 1 FROM events WHERE store_id = @s AND seq = @q) OR EXISTS (SELECT 1 FROM quarantine WHERE store_id = @s AND seq = @q)',
      )
      .pluck();
    for (const [storeId, n] of per) {
      ensure.run(storeId);
      let c = db
        .prepare('SELECT contiguous_seq FROM store_watermarks WHERE store_id = ?')
        .pluck()
        .get(storeId) as number;
      while (held.get({ s: storeId, q: c + 1 })) c++;
      db.prepare(
        `UPDATE store_watermarks SET contiguous_seq = ?, max_seq = max(max_seq, ?), events = events + ?,
           duplicates = duplicates + ?, quarantined = quarantined + ? WHERE store_id = ?`,
      ).run(c, n.max, n.fresh, n.dups, n.quarantined, storeId);
    }
  }

  async noteState(storeId: string, kind: 'state' | 'heartbeat', body: unknown): Promise<void> {
    const json = JSON.stringify(body ?? null);
    const now = this.now();
    if (kind === 'state') {
      const online = (body as { online?: unknown } | null)?.online === true ? 1 : 0;
      this.db
        .prepare(
          `INSERT INTO store_state (store_id, online, last_state, last_seen) VALUES (@id, @online, @json, @now)
           ON CONFLICT (store_id) DO UPDATE SET online = @online, last_state = @json, last_seen = @now`,
        )
        .run({ id: storeId, online, json, now });
      return;
    }
    this.db
      .prepare(
        `INSERT INTO store_state (store_id, last_heartbeat, last_seen) VALUES (@id, @json, @now)
         ON CONFLICT (store_id) DO UPDATE SET last_heartbeat = @json, last_seen = @now`,
      )
      .run({ id: storeId, json, now });
    const sent = (body as { sentThrough?: unknown } | null)?.sentThrough;
    if (Number.isSafeInteger(sent) && (sent as number) > 0)
      this.db
        .prepare(
          `INSERT INTO store_watermarks (store_id, sent_through) VALUES (@id, @sent)
           ON CONFLICT (store_id) DO UPDATE SET sent_through = max(sent_through, @sent)`,
        )
        .run({ id: storeId, sent });
  }

  async claimGaps(timeoutMs: number, limit = 500): Promise<Gap[]> {
    const db = this.db;
    const now = this.now();
    return db.transaction((): Gap[] => {
      db.prepare(
        `UPDATE store_watermarks SET gap_from = contiguous_seq + 1, gap_since = ?
          WHERE (max_seq > contiguous_seq OR sent_through > contiguous_seq) AND gap_from IS NOT contiguous_seq + 1`,
      ).run(now);
      db.prepare(
        `UPDATE store_watermarks SET gap_from = NULL, gap_since = NULL
          WHERE gap_from IS NOT NULL AND max_seq <= contiguous_seq AND sent_through <= contiguous_seq`,
      ).run();
      const due = db
        .prepare(
          `SELECT store_id, contiguous_seq, sent_through FROM store_watermarks
            WHERE gap_from = contiguous_seq + 1 AND gap_since <= @due
              AND (resend_asked_at IS NULL OR resend_asked_at <= @due) ORDER BY store_id LIMIT @limit`,
        )
        .all({ due: now - timeoutMs, limit }) as {
        store_id: string;
        contiguous_seq: number;
        sent_through: number;
      }[];
      const next = db
        .prepare(
          `SELECT min(s) FROM (SELECT min(seq) AS s FROM events WHERE store_id = @id AND seq > @c
             UNION ALL SELECT min(seq) FROM quarantine WHERE store_id = @id AND seq > @c)`,
        )
        .pluck();
      const mark = db.prepare(
        'UPDATE store_watermarks SET resend_asked_at = ?, resend_requests = resend_requests + 1 WHERE store_id = ?',
      );
      const gaps: Gap[] = [];
      for (const r of due) {
        mark.run(now, r.store_id);
        const g = gapRange(
          r.contiguous_seq,
          next.get({ id: r.store_id, c: r.contiguous_seq }) as number | null,
          r.sent_through,
        );
        if (g) gaps.push({ ...g, storeId: r.store_id });
      }
      return gaps;
    })();
  }

  async watermark(storeId: string): Promise<Watermark | null> {
    return watermarkOf(
      this.db.prepare('SELECT * FROM store_watermarks WHERE store_id = ?').get(storeId) as Parameters<
        typeof watermarkOf
      >[0],
    );
  }

  close(): void {
    this.db.close();
  }
}
