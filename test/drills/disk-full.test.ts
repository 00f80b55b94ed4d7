// A real filesystem filling up under a trading store: the database lives on a small
// tmpfs (mounted by the test; the suites run as root, as CI does). The backlog guard
// sees the disk go low, then nearly full, and releases its reserve so sales keep being
// written; when the disk is truly full a sale is refused whole and the database stays
// consistent; when space returns, selling resumes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../edge/db/open.js';
import { BacklogGuard } from '../../edge/sync/backlog.js';
import { checkInvariants } from '../helpers/invariants.js';
import { cashSale, demoDb, SEED_NOW, sellableCodes } from '../helpers/store.js';

const MB = 1024 * 1024;
const mnt = mkdtempSync(join(tmpdir(), 'storeedge-tmpfs-'));
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]);
let db: Db | null = null;
afterAll(() => {
  db?.close();
  execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** One whole sale; returns false when the storage refused it. */
function sell(d: Db, codes: string[], i: number): boolean {
  try {
    cashSale(d, codes, i, SEED_NOW + i * 1000);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_FULL') return false;
    throw e;
  }
}

function fill(path: string, bytes: number): void {
  writeFileSync(path, Buffer.alloc(bytes));
}

describe('disk filling up', () => {
  it('low → nearly full (reserve released, selling goes on) → full (refused whole) → space back', () => {
    db = demoDb(join(mnt, 'store.db'));
    const codes = sellableCodes(db);
    const reserve = join(mnt, 'storeedge.reserve');
    const guard = new BacklogGuard({
      db,
      log: pino({ level: 'silent' }),
      highWaterBytes: 64 * MB,
      lowWaterBytes: 32 * MB,
      dataDir: mnt,
      diskLowBytes: 6 * MB,
      diskCriticalBytes: 2 * MB,
      reserveFile: { path: reserve, bytes: 4 * MB },
    });
    guard.prepare();
    expect(guard.check().state).toBe('ok');
    for (let i = 0; i < 20; i++) expect(sell(db, codes, i)).toBe(true);

    // something else on the box eats the disk
    const free = () => guard.check().freeBytes;
    fill(join(mnt, 'other-1'), free() - 4 * MB);
    expect(guard.check().state).toBe('disk_low');
    expect(guard.acceptsTelemetry()).toBe(false);
    fill(join(mnt, 'other-2'), free() - 1 * MB);
    const s = guard.check();
    expect(s).toMatchObject({ state: 'disk_full', reserveReleased: true });
    expect(existsSync(reserve)).toBe(false);
    // the released reserve is room for sales
    let sold = 0;
    for (let i = 20; i < 60; i++) if (sell(db, codes, i)) sold++;
    expect(sold).toBeGreaterThan(20);

    // truly full: sales are refused whole, nothing half-written
    fill(join(mnt, 'other-3'), Math.max(0, free() - 16 * 1024));
    let refused = 0;
    for (let i = 60; i < 400 && refused < 3; i++) if (!sell(db, codes, i)) refused++;
    expect(refused).toBe(3);
    expect(checkInvariants(db)).toEqual([]);

    // staff clear space: selling resumes
    for (const f of ['other-1', 'other-2', 'other-3']) rmSync(join(mnt, f));
    expect(sell(db, codes, 1000)).toBe(true);
    expect(checkInvariants(db)).toEqual([]);
    expect(guard.check().state).toBe('ok');
  });
});
