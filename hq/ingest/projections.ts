// The rows each event type projects into HQ's read tables (the same tables on
// PostgreSQL and on the lab's SQLite), keyed by the event's
// (store_id, seq): projecting an event again, or rebuilding from the events table,
// inserts nothing new. Payloads were checked against their schemas before this runs.
import type pg from 'pg';
import type { WireEvent } from '../../sync/topics.js';

// biome-ignore lint/suspicious/noExplicitAny: payloads are schema-checked JSON (sync/event-schemas.ts)
type P = any;

export interface Table {
  name: string;
  columns: [string, string][]; // [column, PostgreSQL array type]
  rows: unknown[][];
}

function tables(): Record<string, Table> {
  const t = (name: string, columns: [string, string][]): Table => ({ name, columns, rows: [] });
  return {
    sales: t('sales', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['sale_id', 'text'],
      ['receipt_no', 'text'],
      ['channel', 'text'],
      ['kiosk_id', 'text'],
      ['member_id', 'text'],
      ['gross_fen', 'bigint'],
      ['promo_discount_fen', 'bigint'],
      ['coupon_discount_fen', 'bigint'],
      ['total_fen', 'bigint'],
      ['tax_fen', 'bigint'],
      ['points_earned', 'bigint'],
      ['sold_at', 'bigint'],
    ]),
    lines: t('sale_lines', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['line_no', 'int'],
      ['gtin', 'text'],
      ['qty', 'int'],
      ['weight_g', 'int'],
      ['unit_price_fen', 'bigint'],
      ['gross_fen', 'bigint'],
      ['final_fen', 'bigint'],
      ['tax_fen', 'bigint'],
      ['categories', 'jsonb'],
    ]),
    payments: t('sale_payments', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['n', 'int'],
      ['kind', 'text'],
      ['amount_fen', 'bigint'],
      ['reference', 'text'],
    ]),
    refunds: t('refunds', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['refund_id', 'text'],
      ['sale_id', 'text'],
      ['amount_fen', 'bigint'],
      ['refunded_at', 'bigint'],
    ]),
    coupons: t('coupon_redemptions', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['coupon_id', 'text'],
      ['campaign_id', 'text'],
      ['sale_id', 'text'],
      ['amount_fen', 'bigint'],
      ['direction', 'smallint'],
      ['at', 'bigint'],
    ]),
    issued: t('coupons_issued', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['coupon_id', 'text'],
      ['campaign_id', 'text'],
      ['member_id', 'text'],
      ['source', 'text'],
      ['sale_id', 'text'],
      ['issued_at', 'bigint'],
    ]),
    offers: t('offers_shown', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['sale_id', 'text'],
      ['campaign_id', 'text'],
      ['shown_at', 'bigint'],
    ]),
    members: t('members_enrolled', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['member_id', 'text'],
      ['enrolled_at', 'bigint'],
    ]),
    layouts: t('store_layouts', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['layout', 'jsonb'],
      ['at', 'bigint'],
    ]),
    lineCounts: t('vision_line_counts', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['camera_id', 'text'],
      ['line_id', 'text'],
      ['minute', 'timestamptz'],
      ['ins', 'int'],
      ['outs', 'int'],
    ]),
    zoneDwell: t('vision_zone_dwell', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['camera_id', 'text'],
      ['zone_id', 'text'],
      ['minute', 'timestamptz'],
      ['visits', 'int'],
      ['dwell_ms', 'bigint'],
    ]),
    heatmaps: t('vision_heatmaps', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['camera_id', 'text'],
      ['quarter', 'timestamptz'],
      ['cols', 'int'],
      ['rows', 'int'],
      ['cell_m', 'real'],
      ['cells', 'text'], // number[]: each writer gives it its engine's array form
    ]),
    pushResults: t('push_results', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['dataset', 'text'],
      ['version', 'bigint'],
      ['status', 'text'],
      ['problems', 'jsonb'],
    ]),
    csrs: t('certificate_requests', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['hostname', 'text'],
      ['csr', 'text'],
      ['key_sha256', 'text'],
      ['at', 'bigint'],
    ]),
    auditDecisions: t('exit_audit_decisions', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['sale_id', 'text'],
      ['selected', 'boolean'],
      ['probability', 'real'],
      ['signals', 'jsonb'],
      ['at', 'bigint'],
    ]),
    auditResults: t('exit_audit_results', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['sale_id', 'text'],
      ['result', 'text'],
      ['full_check', 'boolean'],
      ['recovered_fen', 'bigint'],
      ['missing', 'jsonb'],
      ['at', 'bigint'],
    ]),
    software: t('software_status', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['rollout', 'bigint'],
      ['version', 'text'],
      ['state', 'text'],
      ['reason', 'text'],
      ['at', 'bigint'],
      ['switch_at', 'bigint'],
      ['maint_window', 'jsonb'],
    ]),
    queues: t('queue_hours', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['camera_id', 'text'],
      ['zone_id', 'text'],
      ['hour', 'bigint'],
      ['seconds', 'real'],
      ['person_seconds', 'real'],
      ['max_length', 'int'],
      ['alerts', 'int'],
      ['alert_seconds', 'real'],
      ['wait_seconds', 'real'],
      ['wait_samples', 'int'],
      ['max_wait_s', 'real'],
    ]),
    guideCalls: t('guide_calls', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['call_id', 'text'],
      ['reason', 'text'],
      ['zone_id', 'text'],
      ['status', 'text'],
      ['staff_id', 'text'],
      ['created_at', 'bigint'],
      ['accepted_at', 'bigint'],
      ['ended_at', 'bigint'],
      ['escalated', 'boolean'],
    ]),
    guideAssists: t('guide_assists', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['sale_id', 'text'],
      ['staff_id', 'text'],
      ['source', 'text'],
      ['call_id', 'text'],
      ['total_fen', 'bigint'],
      ['at', 'bigint'],
    ]),
    points: t('points_movements', [
      ['store_id', 'text'],
      ['seq', 'bigint'],
      ['member_id', 'text'],
      ['delta', 'bigint'],
      ['reason', 'text'],
      ['balance', 'bigint'],
      ['at', 'bigint'],
      ['sale_id', 'text'],
    ]),
  };
}

/** The projection rows of these (new) events, table by table. */
export function projectionTables(events: WireEvent[]): Table[] {
  const t = tables();
  for (const e of events) {
    const p = e.payload as P;
    const k = [e.storeId, e.seq];
    switch (e.type) {
      case 'sale.completed':
        t.sales!.rows.push([
          ...k,
          p.saleId,
          p.receiptNo,
          p.channel,
          p.kioskId,
          p.memberId,
          p.grossFen,
          p.promoDiscountFen,
          p.couponDiscountFen,
          p.totalFen,
          p.taxFen,
          p.pointsEarned,
          p.at,
        ]);
        p.lines.forEach((l: P, i: number) => {
          t.lines!.rows.push([
            ...k,
            i + 1,
            l.gtin,
            l.qty,
            l.weightG,
            l.unitPriceFen,
            l.grossFen,
            l.finalFen,
            l.taxFen,
            JSON.stringify(l.categories ?? []),
          ]);
        });
        p.payments.forEach((x: P, i: number) => {
          t.payments!.rows.push([...k, i + 1, x.kind, x.amountFen, x.reference]);
        });
        break;
      case 'refund.completed':
        t.refunds!.rows.push([...k, p.refundId, p.saleId, p.amountFen, p.at]);
        break;
      case 'coupon.redeemed':
        t.coupons!.rows.push([...k, p.couponId, p.campaignId, p.saleId, p.amountFen, 1, e.createdAt]);
        break;
      case 'coupon.redemption_reversed':
        t.coupons!.rows.push([...k, p.couponId, null, p.saleId, p.amountFen, -1, e.createdAt]);
        break;
      case 'coupon.issued':
        t.issued!.rows.push([...k, p.couponId, p.campaignId, p.memberId, p.source, p.saleId, e.createdAt]);
        break;
      case 'offer.shown':
        t.offers!.rows.push([...k, p.saleId, p.campaignId, e.createdAt]);
        break;
      case 'member.enrolled':
        t.members!.rows.push([...k, p.memberId, e.createdAt]);
        break;
      case 'store.layout':
        t.layouts!.rows.push([...k, JSON.stringify(p), e.createdAt]);
        break;
      case 'points.moved':
        t.points!.rows.push([...k, p.memberId, p.delta, p.reason, p.balance, e.createdAt, p.saleId]);
        break;
      case 'vision.counts':
        // a rolled-up or dropped row ({rolledUpInto} / {dropped}) carries no counts
        for (const [camera, c] of Object.entries((p.cameras ?? {}) as Record<string, P>))
          for (const [minute, m] of Object.entries((c.minutes ?? {}) as Record<string, P>)) {
            for (const [line, v] of Object.entries((m.lines ?? {}) as Record<string, P>))
              t.lineCounts!.rows.push([...k, camera, line, minute, v.in ?? 0, v.out ?? 0]);
            for (const [zone, v] of Object.entries((m.zones ?? {}) as Record<string, P>))
              t.zoneDwell!.rows.push([...k, camera, zone, minute, v.visits ?? 0, v.dwellMs ?? 0]);
          }
        break;
      case 'vision.heatmap':
        for (const [camera, c] of Object.entries((p.cameras ?? {}) as Record<string, P>))
          for (const [quarter, g] of Object.entries((c.quarters ?? {}) as Record<string, P>))
            t.heatmaps!.rows.push([
              ...k,
              camera,
              quarter,
              g.cols,
              g.rows,
              g.cellM,
              `{${(g.cells as number[]).join(',')}}`,
            ]);
        break;
      case 'push.applied':
      case 'push.unchanged':
      case 'push.rejected':
        t.pushResults!.rows.push([
          ...k,
          p.dataset,
          p.version ?? null,
          e.type.slice('push.'.length),
          JSON.stringify(p.problems ?? []),
        ]);
        break;
      case 'tls.csr':
        t.csrs!.rows.push([...k, p.hostname, p.csrPem, p.keySha256, e.createdAt]);
        break;
      case 'exit_audit.decided':
        // booleans as 1/0: PostgreSQL reads them as boolean, SQLite (the lab) binds no booleans
        t.auditDecisions!.rows.push([
          ...k,
          p.saleId,
          p.selected ? 1 : 0,
          p.probability,
          JSON.stringify(p.signals),
          e.createdAt,
        ]);
        break;
      case 'exit_audit.completed':
        t.auditResults!.rows.push([
          ...k,
          p.saleId,
          p.result,
          p.fullCheck ? 1 : 0,
          p.recoveredFen,
          JSON.stringify(p.missing),
          p.at,
        ]);
        break;
      case 'vision.queue':
        t.queues!.rows.push([
          ...k,
          p.cameraId,
          p.zoneId,
          p.hour,
          p.seconds,
          p.personSeconds,
          p.maxLength,
          p.alerts,
          p.alertSeconds,
          p.waitSeconds,
          p.waitSamples,
          p.maxWaitSeconds,
        ]);
        break;
      case 'guide.call':
        t.guideCalls!.rows.push([
          ...k,
          p.callId,
          p.reason,
          p.zoneId,
          p.status,
          p.staffId,
          p.createdAt,
          p.acceptedAt,
          p.endedAt,
          p.escalated ? 1 : 0,
        ]);
        break;
      case 'guide.assist':
        t.guideAssists!.rows.push([...k, p.saleId, p.staffId, p.source, p.callId, p.totalFen, p.at]);
        break;
      case 'software.status':
        t.software!.rows.push([
          ...k,
          p.rollout,
          p.version,
          p.state,
          p.reason ?? null,
          e.createdAt,
          p.switchAt ?? null,
          p.window ? JSON.stringify(p.window) : null,
        ]);
        break;
    }
  }
  return Object.values(t).filter((x) => x.rows.length);
}

/** Writes the projections of these (new) events, in the caller's PostgreSQL transaction. */
export async function writeProjectionsPg(client: pg.PoolClient, events: WireEvent[]): Promise<void> {
  for (const table of projectionTables(events)) {
    const cols = table.columns.map(([c]) => c).join(', ');
    const arrays = table.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    // arrays of arrays do not unnest: a heatmap's cells go as a real[] literal
    const value = (v: unknown) => (Array.isArray(v) ? `{${v.join(',')}}` : (v ?? null));
    await client.query(
      table.name === 'vision_heatmaps'
        ? `INSERT INTO vision_heatmaps (${cols}) SELECT store_id, seq, camera_id, quarter, cols, rows, cell_m, cells::real[]
             FROM unnest(${arrays}) AS u(${cols}) ON CONFLICT DO NOTHING`
        : `INSERT INTO ${table.name} (${cols}) SELECT * FROM unnest(${arrays}) ON CONFLICT DO NOTHING`,
      table.columns.map((_, i) => table.rows.map((r) => value(r[i]))),
    );
  }
}
