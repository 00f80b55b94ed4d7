// The backlog guard: telemetry rolls up and then drops under pressure, money never does,
// sequence numbers stay whole for HQ, and a filling disk is a designed state.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../edge/db/open.js';
import { BacklogGuard } from '../../edge/sync/backlog.js';
import { appendSyntheticEvent } from '../helpers/outbox.js';
import { demoDb } from '../helpers/store.js';

const T0 = Date.UTC(2026, 10, 20, 1, 0);

function fill(db: Db) {
  db.transaction(() => {
    for (let m = 0; m < 120; m++) {
      appendSyntheticEvent(
        db,
        {
          type: 'footfall.minute',
          class: 'telemetry',
          payload: { camera: 'entrance', counts: { in: 2, out: 1 } },
        },
        T0 + m * 60_000,
      );
      if (m % 10 === 0)
        appendSyntheticEvent(
          db,
          { type: 'sale.completed', class: 'money', payload: { totalFen: 100 + m } },
          T0 + m * 60_000,
        );
    }
  })();
}

const rows = (db: Db) =>
  db.prepare('SELECT seq, type, class, payload FROM outbox ORDER BY seq').all() as {
    seq: number;
    type: string;
    class: string;
    payload: string;
  }[];

function guard(db: Db, o: Partial<ConstructorParameters<typeof BacklogGuard>[0]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-backlog-'));
  return new BacklogGuard({
    db,
    log: pino({ level: 'silent' }),
    highWaterBytes: 3000,
    lowWaterBytes: 2000,
    dataDir: dir,
    diskLowBytes: 1000,
    diskCriticalBytes: 500,
    freeBytes: () => 1e9,
    ...o,
  });
}

describe('backlog guard', () => {
  it('rolls telemetry up by type and hour; counts are kept, money is untouched, no sequence is lost', () => {
    const db = demoDb();
    fill(db);
    const before = rows(db);
    const g = guard(db, { highWaterBytes: 3000, lowWaterBytes: 2600 });
    const s = g.check();
    expect(s.rolledUp).toBe(118); // 120 minutes in 2 hours: 2 heads remain
    const after = rows(db);
    expect(after.map((r) => r.seq)).toEqual(before.map((r) => r.seq));
    expect(after.filter((r) => r.class === 'money')).toEqual(before.filter((r) => r.class === 'money'));
    const heads = after.filter((r) => r.class === 'telemetry' && !r.payload.includes('rolledUpInto'));
    expect(heads).toHaveLength(2);
    const total = heads.map((h) => JSON.parse(h.payload).counts.in as number).reduce((a, b) => a + b, 0);
    expect(total).toBe(240);
    expect(s.state).toBe('ok');
  });

  it('drops the oldest telemetry when roll-up is not enough, never money', () => {
    const db = demoDb();
    fill(db);
    const moneyBefore = rows(db).filter((r) => r.class === 'money');
    const s = guard(db, { highWaterBytes: 800, lowWaterBytes: 700 }).check();
    expect(s.dropped).toBeGreaterThan(0);
    expect(rows(db).filter((r) => r.class === 'money')).toEqual(moneyBefore);
  });

  it('low disk stops telemetry; a nearly full disk releases the reserve and raises the alarm state', () => {
    const db = demoDb();
    let free = 5000;
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-reserve-'));
    const reserve = join(dir, 'storeedge.reserve');
    const g = guard(db, { freeBytes: () => free, reserveFile: { path: reserve, bytes: 64 * 1024 } });
    g.prepare();
    expect(existsSync(reserve)).toBe(true);
    expect(g.check().state).toBe('ok');
    expect(g.acceptsTelemetry()).toBe(true);
    free = 900;
    expect(g.check().state).toBe('disk_low');
    expect(g.acceptsTelemetry()).toBe(false);
    free = 100;
    const s = g.check();
    expect(s).toMatchObject({ state: 'disk_full', reserveReleased: true });
    expect(existsSync(reserve)).toBe(false);
  });
});
