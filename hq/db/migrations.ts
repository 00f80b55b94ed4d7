// HQ's PostgreSQL schema: ordered, append-only migrations (a released one never changes).
//
// Events are partitioned by HASH of the store: PostgreSQL needs the partition key inside
// every unique key, and the key that makes HQ idempotent is (store_id, seq). Hashing by
// store keeps that key whole, so a duplicate or a conflicting copy of an event always
// meets its original in the same partition, and everything HQ does per store (the
// watermark, gap checks, resends, rebuilding a store's projections) reads one partition.
// Partitioning by month would need the time inside the key, and a store's clock is not
// trustworthy enough for that to catch every duplicate. Retention is by store and age
// (DELETE by created_at in batches per partition); see hq/README.md.

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
  /** rollups to rebuild from the projections after this migration: the run that applies it
   * applies every pending migration and the rebuild in one transaction, so the rebuild's
   * SQL (today's) meets today's schema */
  rebuild?: 'hourly' | 'daily' | 'guides';
}

export const EVENT_PARTITIONS = 16;

const partitions = Array.from(
  { length: EVENT_PARTITIONS },
  (_, i) =>
    `CREATE TABLE events_p${String(i).padStart(2, '0')} PARTITION OF events FOR VALUES WITH (MODULUS ${EVENT_PARTITIONS}, REMAINDER ${i});`,
).join('\n');

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'events_watermarks_quarantine',
    sql: `
      CREATE TABLE events (
        store_id     text        NOT NULL,
        seq          bigint      NOT NULL CHECK (seq >= 1),
        event_id     text        NOT NULL,
        type         text        NOT NULL,
        class        text        NOT NULL CHECK (class IN ('money', 'telemetry', 'state')),
        created_at   bigint      NOT NULL,
        payload      jsonb       NOT NULL,
        -- sha-256 of the event as sent: tells a repeat (same digest) from a conflict
        digest       bytea       NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (store_id, seq)
      ) PARTITION BY HASH (store_id);
      ${partitions}

      -- per store: how far HQ holds its events without a gap, and what it knows beyond
      CREATE TABLE store_watermarks (
        store_id         text PRIMARY KEY,
        contiguous_seq   bigint NOT NULL DEFAULT 0,
        max_seq          bigint NOT NULL DEFAULT 0,
        sent_through     bigint NOT NULL DEFAULT 0,
        events           bigint NOT NULL DEFAULT 0,
        duplicates       bigint NOT NULL DEFAULT 0,
        quarantined      bigint NOT NULL DEFAULT 0,
        gap_from         bigint,
        gap_since        timestamptz,
        resend_asked_at  timestamptz,
        resend_requests  bigint NOT NULL DEFAULT 0,
        updated_at       timestamptz NOT NULL DEFAULT now()
      );

      -- events HQ would not store as they came, with the reason; (store_id, seq) when known
      CREATE TABLE quarantine (
        id           bigserial PRIMARY KEY,
        store_id     text,
        seq          bigint,
        topic        text NOT NULL,
        reason       text NOT NULL,
        detail       text NOT NULL,
        payload      text NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX quarantine_store_seq ON quarantine (store_id, seq) WHERE seq IS NOT NULL;

      CREATE TABLE store_state (
        store_id        text PRIMARY KEY,
        online          boolean NOT NULL DEFAULT false,
        last_state      jsonb,
        last_heartbeat  jsonb,
        last_seen       timestamptz
      );
    `,
  },
  {
    version: 2,
    name: 'projections',
    sql: `
      -- Projections are rows derived from events, each keyed by the event that made it:
      -- applying an event twice inserts nothing the second time.
      CREATE TABLE sales (
        store_id             text   NOT NULL,
        seq                  bigint NOT NULL,
        sale_id              text   NOT NULL,
        receipt_no           text   NOT NULL,
        channel              text   NOT NULL,
        kiosk_id             text,
        member_id            text,
        gross_fen            bigint NOT NULL,
        promo_discount_fen   bigint NOT NULL,
        coupon_discount_fen  bigint NOT NULL,
        total_fen            bigint NOT NULL,
        tax_fen              bigint NOT NULL,
        points_earned        bigint NOT NULL,
        sold_at              bigint NOT NULL,
        PRIMARY KEY (store_id, seq),
        UNIQUE (store_id, sale_id)
      );
      CREATE INDEX sales_store_time ON sales (store_id, sold_at);
      CREATE TABLE sale_lines (
        store_id      text   NOT NULL,
        seq           bigint NOT NULL,
        line_no       int    NOT NULL,
        gtin          text   NOT NULL,
        qty           int    NOT NULL,
        weight_g      int,
        unit_price_fen bigint NOT NULL,
        gross_fen     bigint NOT NULL,
        final_fen     bigint NOT NULL,
        tax_fen       bigint NOT NULL,
        PRIMARY KEY (store_id, seq, line_no)
      );
      CREATE TABLE sale_payments (
        store_id    text   NOT NULL,
        seq         bigint NOT NULL,
        n           int    NOT NULL,
        kind        text   NOT NULL,
        amount_fen  bigint NOT NULL,
        reference   text   NOT NULL,
        PRIMARY KEY (store_id, seq, n)
      );
      CREATE TABLE refunds (
        store_id    text   NOT NULL,
        seq         bigint NOT NULL,
        refund_id   text   NOT NULL,
        sale_id     text   NOT NULL,
        amount_fen  bigint NOT NULL,
        refunded_at bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE TABLE coupon_redemptions (
        store_id     text   NOT NULL,
        seq          bigint NOT NULL,
        coupon_id    text   NOT NULL,
        campaign_id  text,
        sale_id      text   NOT NULL,
        amount_fen   bigint NOT NULL,
        -- +1 a redemption, -1 its reversal by a refund
        direction    smallint NOT NULL CHECK (direction IN (1, -1)),
        PRIMARY KEY (store_id, seq)
      );
      CREATE TABLE points_movements (
        store_id   text   NOT NULL,
        seq        bigint NOT NULL,
        member_id  text   NOT NULL,
        delta      bigint NOT NULL,
        reason     text   NOT NULL,
        balance    bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX points_member ON points_movements (member_id, store_id, seq);
    `,
  },
  {
    version: 3,
    name: 'vision_and_pushes',
    sql: `
      -- people counting: increments per minute (the same minute may come in two events)
      CREATE TABLE vision_line_counts (
        store_id   text        NOT NULL,
        seq        bigint      NOT NULL,
        camera_id  text        NOT NULL,
        line_id    text        NOT NULL,
        minute     timestamptz NOT NULL,
        ins        int         NOT NULL,
        outs       int         NOT NULL,
        PRIMARY KEY (store_id, seq, camera_id, line_id, minute)
      );
      CREATE INDEX vision_line_counts_time ON vision_line_counts (store_id, minute);
      CREATE TABLE vision_zone_dwell (
        store_id   text        NOT NULL,
        seq        bigint      NOT NULL,
        camera_id  text        NOT NULL,
        zone_id    text        NOT NULL,
        minute     timestamptz NOT NULL,
        visits     int         NOT NULL,
        dwell_ms   bigint      NOT NULL,
        PRIMARY KEY (store_id, seq, camera_id, zone_id, minute)
      );
      CREATE INDEX vision_zone_dwell_time ON vision_zone_dwell (store_id, minute);
      -- a closed quarter hour's whole floor grid, presence-seconds per cell
      CREATE TABLE vision_heatmaps (
        store_id   text        NOT NULL,
        seq        bigint      NOT NULL,
        camera_id  text        NOT NULL,
        quarter    timestamptz NOT NULL,
        cols       int         NOT NULL,
        rows       int         NOT NULL,
        cell_m     real        NOT NULL,
        cells      real[]      NOT NULL,
        PRIMARY KEY (store_id, seq, camera_id, quarter)
      );
      CREATE INDEX vision_heatmaps_time ON vision_heatmaps (store_id, camera_id, quarter);

      -- what each store said of a push (push.applied / unchanged / rejected events)
      CREATE TABLE push_results (
        store_id  text   NOT NULL,
        seq       bigint NOT NULL,
        dataset   text   NOT NULL,
        version   bigint,
        status    text   NOT NULL,
        problems  jsonb  NOT NULL DEFAULT '[]',
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX push_results_lookup ON push_results (dataset, version, store_id);

      -- pushes HQ sent, and to which stores
      CREATE TABLE pushes (
        id          bigserial PRIMARY KEY,
        dataset     text        NOT NULL,
        version     bigint      NOT NULL,
        target      jsonb       NOT NULL,
        body_sha256 text        NOT NULL,
        created_by  text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (dataset, version)
      );
      CREATE TABLE push_targets (
        push_id   bigint NOT NULL REFERENCES pushes(id),
        store_id  text   NOT NULL,
        PRIMARY KEY (push_id, store_id)
      );
    `,
  },
  {
    version: 4,
    name: 'figures_inputs_and_store_profiles',
    sql: `
      -- what HQ's figures need beyond sales: categories of each line (zones' shelves), when
      -- coupons and points moved, coupons issued, offers shown, members enrolled, layouts
      ALTER TABLE sale_lines ADD COLUMN categories jsonb NOT NULL DEFAULT '[]';
      ALTER TABLE coupon_redemptions ADD COLUMN at bigint;
      ALTER TABLE points_movements ADD COLUMN at bigint;
      CREATE INDEX sale_lines_categories ON sale_lines USING gin (categories);
      CREATE INDEX coupon_redemptions_campaign ON coupon_redemptions (campaign_id, store_id);
      CREATE INDEX coupon_redemptions_coupon ON coupon_redemptions (coupon_id);
      CREATE INDEX refunds_store_time ON refunds (store_id, refunded_at);
      CREATE TABLE coupons_issued (
        store_id     text   NOT NULL,
        seq          bigint NOT NULL,
        coupon_id    text   NOT NULL,
        campaign_id  text   NOT NULL,
        member_id    text,
        source       text   NOT NULL,
        sale_id      text,
        issued_at    bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX coupons_issued_campaign ON coupons_issued (campaign_id, issued_at);
      CREATE INDEX coupons_issued_coupon ON coupons_issued (coupon_id);
      CREATE TABLE offers_shown (
        store_id     text   NOT NULL,
        seq          bigint NOT NULL,
        sale_id      text   NOT NULL,
        campaign_id  text   NOT NULL,
        shown_at     bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE TABLE members_enrolled (
        store_id     text   NOT NULL,
        seq          bigint NOT NULL,
        member_id    text   NOT NULL,
        enrolled_at  bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      -- each layout a store sent; its latest (highest seq) is the one in force
      CREATE TABLE store_layouts (
        store_id  text   NOT NULL,
        seq       bigint NOT NULL,
        layout    jsonb  NOT NULL,
        at        bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );

      -- what HQ's people say of a store: its name, region, groups, time zone and floor plan
      CREATE TABLE store_profiles (
        store_id          text PRIMARY KEY,
        name              text,
        region            text,
        groups            text[] NOT NULL DEFAULT '{}',
        time_zone         text NOT NULL DEFAULT 'Asia/Shanghai',
        floor_plan        bytea,
        floor_plan_width  int,
        floor_plan_height int,
        updated_by        text,
        updated_at        timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX store_profiles_groups ON store_profiles USING gin (groups);
    `,
  },
  {
    version: 5,
    name: 'chain_ledger',
    sql: `
      -- the chain's members and their points: HQ's balance is the sum of every store's
      -- movements, whatever order they arrive in
      ALTER TABLE points_movements ADD COLUMN sale_id text;
      CREATE TABLE ledger_members (
        member_id       text PRIMARY KEY,
        enrolled_store  text,
        enrolled_at     bigint,
        balance         bigint NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now()
      );
      -- what an offline store's policy let through and HQ found afterwards; never dropped
      CREATE TABLE ledger_conflicts (
        id           bigserial PRIMARY KEY,
        kind         text   NOT NULL CHECK (kind IN ('points_overspend', 'coupon_reuse')),
        store_id     text   NOT NULL,
        seq          bigint NOT NULL,
        sale_id      text,
        member_id    text,
        coupon_id    text,
        amount       bigint NOT NULL,
        others       jsonb  NOT NULL DEFAULT '[]',
        resolution   text   NOT NULL,
        detected_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (kind, store_id, seq)
      );
      CREATE INDEX ledger_conflicts_time ON ledger_conflicts (detected_at);
    `,
  },
  {
    version: 6,
    name: 'coupon_reservations',
    sql: `
      -- a chain coupon held for one store's cart while the shopper pays: a second store
      -- asking for it is refused until it is released, expires, or the sale redeems it
      CREATE TABLE coupon_reservations (
        coupon_id    text PRIMARY KEY,
        campaign_id  text,
        store_id     text NOT NULL,
        cart_id      text NOT NULL,
        reserved_at  timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        released_at  timestamptz
      );
    `,
  },
  {
    version: 7,
    name: 'store_code_keys',
    sql: `
      -- each store's member-card key, from its birth message: HQ vouches for them to the
      -- other stores, so a card issued at one store reads at any
      CREATE TABLE store_code_keys (
        kid         text PRIMARY KEY,
        store_id    text NOT NULL,
        public_key  text NOT NULL,
        first_seen  timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 8,
    name: 'chain_quotas',
    sql: `
      -- a campaign's quota counted across the chain: coupons issued, plus grants a store
      -- asked for and has not yet reported issuing (a grant lapses after 10 minutes)
      CREATE TABLE campaign_quotas (
        campaign_id  text PRIMARY KEY,
        quota        bigint NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE quota_grants (
        coupon_id    text PRIMARY KEY,
        campaign_id  text NOT NULL,
        store_id     text NOT NULL,
        granted_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX quota_grants_campaign ON quota_grants (campaign_id, granted_at);
      ALTER TABLE ledger_conflicts DROP CONSTRAINT ledger_conflicts_kind_check;
      ALTER TABLE ledger_conflicts ADD CONSTRAINT ledger_conflicts_kind_check
        CHECK (kind IN ('points_overspend', 'coupon_reuse', 'quota_exceeded'));
      ALTER TABLE ledger_conflicts ADD COLUMN campaign_id text;
    `,
  },
  {
    version: 9,
    name: 'software_rollouts',
    sql: `
      -- release bundles HQ serves to stores (npm run release), one per version and arch
      CREATE TABLE releases (
        version      text        NOT NULL,
        arch         text        NOT NULL,
        sha256       text        NOT NULL,
        bytes        bigint      NOT NULL,
        file         text        NOT NULL,
        schema       jsonb,
        uploaded_by  text        NOT NULL,
        uploaded_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (version, arch)
      );
      -- a rollout sends one release to its stores a batch at a time and halts when too
      -- many fail; its id is the software push's version at the stores
      CREATE TABLE rollouts (
        id            bigserial   PRIMARY KEY,
        version       text        NOT NULL,
        arch          text        NOT NULL,
        target        jsonb       NOT NULL,
        batch_size    int         NOT NULL CHECK (batch_size > 0),
        max_failures  int         NOT NULL CHECK (max_failures >= 0),
        -- where the stores download the bundle: HQ's API as the stores reach it
        download_url  text        NOT NULL,
        state         text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'halted')),
        reason        text,
        created_by    text        NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (version, arch) REFERENCES releases (version, arch)
      );
      CREATE TABLE rollout_targets (
        rollout_id  bigint      NOT NULL REFERENCES rollouts (id),
        store_id    text        NOT NULL,
        sent_at     timestamptz,
        PRIMARY KEY (rollout_id, store_id)
      );
      -- what each store said of a software push, step by step (software.status events)
      CREATE TABLE software_status (
        store_id  text   NOT NULL,
        seq       bigint NOT NULL,
        rollout   bigint NOT NULL,
        version   text   NOT NULL,
        state     text   NOT NULL,
        reason    text,
        at        bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX software_status_rollout ON software_status (rollout, store_id, seq);
    `,
  },
  {
    version: 10,
    name: 'store_certificates',
    sql: `
      -- each store's CSRs for its HTTPS certificate (tls.csr events): the newest is ordered
      CREATE TABLE certificate_requests (
        store_id    text   NOT NULL,
        seq         bigint NOT NULL,
        hostname    text   NOT NULL,
        csr         text   NOT NULL,
        key_sha256  text   NOT NULL,
        at          bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      -- the certificate HQ obtained for each store (ACME DNS-01) and pushed to it, or why not
      CREATE TABLE store_certificates (
        store_id         text        PRIMARY KEY,
        hostname         text        NOT NULL,
        request_seq      bigint      NOT NULL,
        key_sha256       text        NOT NULL,
        state            text        NOT NULL CHECK (state IN ('issued', 'failed')),
        serial           text,
        not_before       timestamptz,
        not_after        timestamptz,
        chain_pem        text,
        -- the certificate push's version at the store (ms when issued: newer each time)
        push_version     bigint,
        pushed_at        timestamptz,
        attempts         int         NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz,
        error            text,
        -- an operator asked for a new certificate now (POST /stores/:id/certificate/renew)
        renew_asked_at   timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 11,
    name: 'exit_audits',
    sql: `
      -- scan & go exit checks: every sale's decision (exit_audit.decided), and the checks
      -- made (exit_audit.completed); events a store sent before HQ knew them are projected here
      CREATE TABLE exit_audit_decisions (
        store_id     text    NOT NULL,
        seq          bigint  NOT NULL,
        sale_id      text    NOT NULL,
        selected     boolean NOT NULL,
        probability  real    NOT NULL,
        signals      jsonb   NOT NULL,
        at           bigint  NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE TABLE exit_audit_results (
        store_id       text    NOT NULL,
        seq            bigint  NOT NULL,
        sale_id        text    NOT NULL,
        result         text    NOT NULL,
        full_check     boolean NOT NULL,
        recovered_fen  bigint  NOT NULL,
        missing        jsonb   NOT NULL,
        at             bigint  NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      INSERT INTO exit_audit_decisions
        SELECT store_id, seq, payload->>'saleId', (payload->>'selected')::boolean,
               (payload->>'probability')::real, payload->'signals', created_at
          FROM events WHERE type = 'exit_audit.decided'
        ON CONFLICT DO NOTHING;
      INSERT INTO exit_audit_results
        SELECT store_id, seq, payload->>'saleId', payload->>'result', (payload->>'fullCheck')::boolean,
               (payload->>'recoveredFen')::bigint, payload->'missing', (payload->>'at')::bigint
          FROM events WHERE type = 'exit_audit.completed'
        ON CONFLICT DO NOTHING;
    `,
  },
  {
    version: 12,
    name: 'member_followers',
    sql: `
      -- which stores hold a member's replica: the store enrolled them, moved their points,
      -- or looked them up at HQ; a member's figure goes to these stores only, and a store
      -- not seen with the member for MEMBER_FOLLOW_DAYS is let go (sync/member-follow.ts)
      CREATE TABLE member_followers (
        member_id  text   NOT NULL,
        store_id   text   NOT NULL,
        last_seen  bigint NOT NULL,
        PRIMARY KEY (member_id, store_id)
      );
      CREATE INDEX member_followers_seen ON member_followers (last_seen);
      INSERT INTO member_followers
        SELECT member_id, store_id, max(at) FROM (
          SELECT member_id, store_id, enrolled_at AS at FROM members_enrolled
          UNION ALL
          SELECT member_id, store_id, coalesce(at, 0) FROM points_movements
        ) seen GROUP BY member_id, store_id;
    `,
  },
  {
    version: 13,
    name: 'hourly_rollups',
    sql: `
      -- HQ's figures per store and UTC hour, added to in the ingest transaction
      -- (hq/figures/rollups.ts); figures for a period are read from these, not the raw rows
      CREATE TABLE store_hours (
        store_id  text        NOT NULL,
        hour      timestamptz NOT NULL,
        sales_fen bigint NOT NULL DEFAULT 0, tickets bigint NOT NULL DEFAULT 0,
        items bigint NOT NULL DEFAULT 0, multi_item_tickets bigint NOT NULL DEFAULT 0,
        cash bigint NOT NULL DEFAULT 0, card bigint NOT NULL DEFAULT 0,
        wallet bigint NOT NULL DEFAULT 0, points bigint NOT NULL DEFAULT 0,
        other bigint NOT NULL DEFAULT 0, refunds_fen bigint NOT NULL DEFAULT 0,
        new_members bigint NOT NULL DEFAULT 0, points_issued bigint NOT NULL DEFAULT 0,
        points_spent bigint NOT NULL DEFAULT 0, scan_and_go_sales bigint NOT NULL DEFAULT 0,
        audits bigint NOT NULL DEFAULT 0, audits_checked bigint NOT NULL DEFAULT 0,
        audit_hits bigint NOT NULL DEFAULT 0, recovered_fen bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, hour)
      );
      CREATE INDEX store_hours_hour ON store_hours (hour);
      CREATE TABLE coupon_hours (
        store_id    text        NOT NULL,
        campaign_id text        NOT NULL, -- '' when HQ does not know it yet
        hour        timestamptz NOT NULL,
        redemptions bigint NOT NULL DEFAULT 0, coupon_cost_fen bigint NOT NULL DEFAULT 0,
        coupons_issued bigint NOT NULL DEFAULT 0, coupons_issued_redeemed bigint NOT NULL DEFAULT 0,
        offers_shown bigint NOT NULL DEFAULT 0, offers_claimed bigint NOT NULL DEFAULT 0,
        offers_redeemed bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, campaign_id, hour)
      );
      CREATE INDEX coupon_hours_campaign ON coupon_hours (campaign_id, hour);
      CREATE INDEX coupon_hours_hour ON coupon_hours (hour);
      CREATE TABLE line_hours (
        store_id  text        NOT NULL,
        camera_id text        NOT NULL,
        line_id   text        NOT NULL,
        hour      timestamptz NOT NULL,
        ins       bigint      NOT NULL DEFAULT 0,
        outs      bigint      NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, camera_id, line_id, hour)
      );
      CREATE INDEX line_hours_hour ON line_hours (hour);
    `,
    // filled from the projections once the schema is whole (see migratePg)
    rebuild: 'hourly',
  },
  {
    version: 14,
    name: 'daily_rollups',
    sql: `
      -- HQ's figures per store and local day of one time zone, the chain's reporting zone
      -- (hq/figures/daily.ts): a month is 30 rows a store instead of 480 hours. Added to in
      -- the ingest transaction; figure_settings holds the zone (one row), changed only
      -- with a rebuild of the days (hq rollups --day-time-zone).
      CREATE TABLE figure_settings (
        one           boolean PRIMARY KEY DEFAULT true CHECK (one),
        day_time_zone text    NOT NULL
      );
      INSERT INTO figure_settings (day_time_zone) VALUES ('Asia/Shanghai');
      CREATE TABLE store_days (
        store_id  text NOT NULL,
        day       date NOT NULL,
        ${[
          'sales_fen',
          'tickets',
          'items',
          'multi_item_tickets',
          'cash',
          'card',
          'wallet',
          'points',
          'other',
          'refunds_fen',
          'new_members',
          'points_issued',
          'points_spent',
          'scan_and_go_sales',
          'audits',
          'audits_checked',
          'audit_hits',
          'recovered_fen',
          'redemptions',
          'coupon_cost_fen',
          'coupons_issued',
          'coupons_issued_redeemed',
          'offers_shown',
          'offers_claimed',
          'offers_redeemed',
        ]
          .map((c) => `${c} bigint NOT NULL DEFAULT 0,`)
          .join('\n        ')}
        PRIMARY KEY (store_id, day)
      );
      CREATE INDEX store_days_day ON store_days (day);
      CREATE TABLE line_days (
        store_id  text   NOT NULL,
        camera_id text   NOT NULL,
        line_id   text   NOT NULL,
        day       date   NOT NULL,
        ins       bigint NOT NULL DEFAULT 0,
        outs      bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, camera_id, line_id, day)
      );
      CREATE INDEX line_days_day ON line_days (day);
    `,
    rebuild: 'daily',
  },
  {
    version: 15,
    name: 'maintenance_windows_and_config_drift',
    sql: `
      -- the local hours a store may switch software in (hq/releases/windows.ts): a store's
      -- own window, else its group's; sent in each store's signed push
      CREATE TABLE maintenance_windows (
        scope       text NOT NULL CHECK (scope IN ('store', 'group')),
        name        text NOT NULL,
        starts      text NOT NULL,
        ends        text NOT NULL,
        updated_by  text NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, name)
      );
      ALTER TABLE rollouts ADD COLUMN urgent boolean NOT NULL DEFAULT false;
      -- a staged update held for its window: when it opens, and the window as the store read it
      ALTER TABLE software_status ADD COLUMN switch_at bigint, ADD COLUMN maint_window jsonb;

      -- config drift (hq/config-drift.ts): what each store said of its config when it last
      -- came online, and what HQ last pushed it (one row a store, not a scan of push_targets)
      ALTER TABLE store_state ADD COLUMN config_report jsonb, ADD COLUMN config_reported_at timestamptz;
      CREATE TABLE store_config_pushes (
        store_id     text PRIMARY KEY,
        push_id      bigint NOT NULL,
        version      bigint NOT NULL,
        body_sha256  text NOT NULL,
        pushed_at    timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO store_config_pushes (store_id, push_id, version, body_sha256, pushed_at)
        SELECT DISTINCT ON (t.store_id) t.store_id, p.id, p.version, p.body_sha256, p.created_at
          FROM pushes p JOIN push_targets t ON t.push_id = p.id
         WHERE p.dataset = 'config' ORDER BY t.store_id, p.version DESC;
    `,
  },
  {
    version: 16,
    name: 'support_bundles',
    sql: `
      -- support bundles stores sent when an operator asked (hq/support-bundles.ts): the
      -- bundle's JSON (secrets redacted at the store), a few per store, read by support
      CREATE TABLE support_bundles (
        id            bigserial PRIMARY KEY,
        store_id      text NOT NULL,
        requested_by  text NOT NULL,
        requested_at  timestamptz NOT NULL DEFAULT now(),
        state         text NOT NULL CHECK (state IN ('asked', 'received', 'failed')),
        bytes         bigint,
        body          jsonb,
        error         text,
        received_at   timestamptz
      );
      CREATE INDEX support_bundles_store ON support_bundles (store_id, id);
    `,
  },
  {
    version: 17,
    name: 'release_deltas',
    sql: `
      -- binary deltas between releases' uncompressed tars (hq/releases/deltas.ts), made once each;
      -- useful = false: the delta was not small enough, stores get the full bundle
      CREATE TABLE release_deltas (
        from_version text NOT NULL,
        to_version   text NOT NULL,
        arch         text NOT NULL,
        sha256       text NOT NULL,
        bytes        bigint NOT NULL,
        window_log   int NOT NULL,
        tar_sha256   text NOT NULL,   -- the new release's uncompressed tar, which the delta rebuilds
        tar_bytes    bigint NOT NULL,
        useful       boolean NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (from_version, to_version, arch)
      );
    `,
  },
  {
    version: 18,
    name: 'guide_figures',
    sql: `
      -- the store guides (通绩效): how each call ended (guide.call) and each sale credited to a
      -- guide (guide.assist), no shopper in either; events HQ held before are projected here.
      -- guide_days: per store, guide and local day of the reporting zone (hq/figures/guide-days.ts),
      -- filled by the rebuild this migration asks for
      CREATE TABLE guide_calls (
        store_id     text    NOT NULL,
        seq          bigint  NOT NULL,
        call_id      text    NOT NULL,
        reason       text    NOT NULL,
        zone_id      text,
        status       text    NOT NULL,
        staff_id     text,
        created_at   bigint  NOT NULL,
        accepted_at  bigint,
        ended_at     bigint,
        escalated    boolean NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX guide_calls_time ON guide_calls (store_id, created_at);
      CREATE TABLE guide_assists (
        store_id   text   NOT NULL,
        seq        bigint NOT NULL,
        sale_id    text   NOT NULL,
        staff_id   text   NOT NULL,
        source     text   NOT NULL,
        call_id    text,
        total_fen  bigint NOT NULL,
        at         bigint NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX guide_assists_sale ON guide_assists (store_id, sale_id);
      CREATE INDEX guide_assists_time ON guide_assists (store_id, at);
      -- a refund's sale, to find its guide (and a late assist's refunds)
      CREATE INDEX refunds_sale ON refunds (store_id, sale_id);
      INSERT INTO guide_calls
        SELECT store_id, seq, payload->>'callId', payload->>'reason', payload->>'zoneId', payload->>'status',
               payload->>'staffId', (payload->>'createdAt')::bigint, (payload->>'acceptedAt')::bigint,
               (payload->>'endedAt')::bigint, (payload->>'escalated')::boolean
          FROM events WHERE type = 'guide.call'
        ON CONFLICT DO NOTHING;
      INSERT INTO guide_assists
        SELECT store_id, seq, payload->>'saleId', payload->>'staffId', payload->>'source', payload->>'callId',
               (payload->>'totalFen')::bigint, (payload->>'at')::bigint
          FROM events WHERE type = 'guide.assist'
        ON CONFLICT DO NOTHING;
      CREATE TABLE guide_days (
        store_id  text NOT NULL,
        staff_id  text NOT NULL,   -- '' for the calls no guide took
        day       date NOT NULL,
        ${[
          'calls',
          'calls_answered',
          'calls_done',
          'calls_escalated',
          'accept_ms',
          'done_ms',
          ...Array.from({ length: 26 }, (_, i) => `accept_bin_${i}`),
          ...Array.from({ length: 26 }, (_, i) => `done_bin_${i}`),
          'assisted_sales',
          'assisted_fen',
          'refunds',
          'refunded_fen',
        ]
          .map((c) => `${c} bigint NOT NULL DEFAULT 0,`)
          .join('\n        ')}
        PRIMARY KEY (store_id, staff_id, day)
      );
      CREATE INDEX guide_days_day ON guide_days (day);
    `,
    rebuild: 'guides',
  },
  {
    version: 19,
    name: 'queue_hours',
    sql: `
      -- the kiosks' queues: one row per store, queue zone and closed hour (vision.queue),
      -- sums HQ adds up over hours and stores (hq/figures/queues.ts)
      CREATE TABLE queue_hours (
        store_id        text    NOT NULL,
        seq             bigint  NOT NULL,
        camera_id       text    NOT NULL,
        zone_id         text    NOT NULL,
        hour            bigint  NOT NULL,
        seconds         real    NOT NULL,
        person_seconds  real    NOT NULL,
        max_length      int     NOT NULL,
        alerts          int     NOT NULL,
        alert_seconds   real    NOT NULL,
        wait_seconds    real    NOT NULL,
        wait_samples    int     NOT NULL,
        max_wait_s      real,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX queue_hours_time ON queue_hours (store_id, hour);
      INSERT INTO queue_hours
        SELECT store_id, seq, payload->>'cameraId', payload->>'zoneId', (payload->>'hour')::bigint,
               (payload->>'seconds')::real, (payload->>'personSeconds')::real, (payload->>'maxLength')::int,
               (payload->>'alerts')::int, (payload->>'alertSeconds')::real, (payload->>'waitSeconds')::real,
               (payload->>'waitSamples')::int, (payload->>'maxWaitSeconds')::real
          FROM events WHERE type = 'vision.queue'
        ON CONFLICT DO NOTHING;
    `,
  },
];
