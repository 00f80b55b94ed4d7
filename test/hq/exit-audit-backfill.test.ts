// HQ's exit-audit projection (migration 11) also projects the exit_audit.* events a store
// sent while HQ stored them unprojected (an HQ older than its stores), then figures
// count them like any other.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_MIGRATIONS } from '../../hq/db/migrations.js';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import { storeFigures } from '../../hq/figures/store-figures.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

let pgs: Postgres;
let pool: ReturnType<typeof openPgPool>;

beforeAll(async () => {
  pgs = await startPostgres();
  pool = openPgPool(pgs.url, 2);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await pgs?.stop();
});

it('projects exit-audit events stored before the projection existed', async () => {
  const before = PG_MIGRATIONS.filter((m) => m.version < 11);
  expect(await migratePg(pool, before)).toEqual({ from: 0, to: 10 });
  const at = Date.parse('2026-11-02T10:05:00+08:00');
  const put = (seq: number, type: string, payload: unknown) =>
    pool.query(
      `INSERT INTO events (store_id, seq, event_id, type, class, created_at, payload, digest)
       VALUES ('store-x', $1, $2, $3, 'state', $4, $5, '\\x00')`,
      [seq, `e${seq}`, type, at, JSON.stringify(payload)],
    );
  await put(1, 'exit_audit.decided', {
    saleId: 'S1',
    selected: true,
    probability: 0.4,
    signals: ['high_value'],
  });
  await put(2, 'exit_audit.decided', { saleId: 'S2', selected: false, probability: 0.05, signals: [] });
  await put(3, 'exit_audit.completed', {
    saleId: 'S1',
    probability: 0.4,
    signals: ['high_value'],
    fullCheck: false,
    result: 'ok',
    missing: [],
    recoverySaleId: null,
    recoveredFen: 0,
    at: at + 60_000,
  });
  expect(await migratePg(pool)).toMatchObject({ from: 10 });
  const [f] = await storeFigures(pool, {
    stores: ['store-x'],
    from: at - 3_600_000,
    to: at + 3_600_000,
    timeZone: 'Asia/Shanghai',
    bucket: 'total',
  });
  expect(f).toMatchObject({
    scanAndGoSales: 2,
    audits: 1,
    auditsChecked: 1,
    auditHits: 0,
    auditRate: 0.5,
    hitRate: 0,
  });
  const signals = await pool.query(`SELECT signals FROM exit_audit_decisions WHERE sale_id = 'S1'`);
  expect(signals.rows[0].signals).toEqual(['high_value']);
}, 60_000);
