// What a sale asks of the disk (edge/db/durability.ts): the light steps of a cart commit
// without fsync, the commit that takes the payment fsyncs the WAL, and with it every
// frame before it. Proved on the system calls of real sales under strace: when a sale
// returns, nothing it wrote to the WAL is unsynced, and it cost one fsync.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLight, lightly } from '../../edge/db/durability.js';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { openDb } from '../../edge/db/open.js';
import { appendOutbox, readOutbox } from '../../edge/db/outbox.js';
import { traceSales } from '../helpers/traced-sales.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'storeedge-durable-'));
const level = (db: ReturnType<typeof openDb>) => db.pragma('synchronous', { simple: true });

describe('light and durable commits', () => {
  it('commits light steps at NORMAL and everything else at FULL', () => {
    const db = openDb(join(tmp(), 's.db'));
    expect(level(db)).toBe(2);
    lightly(db, () => {
      expect(level(db)).toBe(1);
      expect(isLight(db)).toBe(true);
      // nested: the outer step decides
      lightly(db, () => expect(level(db)).toBe(1));
    });
    expect(level(db)).toBe(2);
    expect(isLight(db)).toBe(false);
    // inside a durable transaction a light step stays durable
    db.transaction(() => lightly(db, () => expect(isLight(db)).toBe(false)))();
    // and an error in a light step still puts the level back
    expect(() =>
      lightly(db, () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(level(db)).toBe(2);
  });

  it('does a light step that turns out to carry money again, durably', () => {
    const db = openDb(join(tmp(), 's.db'));
    migrate(db, migrations);
    const levels: number[] = [];
    const seq = lightly(db, () =>
      db.transaction(() => {
        levels.push(level(db) as number);
        return appendOutbox(
          db,
          { type: 'member.enrolled', class: 'money', payload: { memberId: 'm-1' } },
          Date.now(),
        ).seq;
      })(),
    );
    // the first try (NORMAL) rolled back at the money event; the second ran at FULL
    expect(levels).toEqual([1, 2]);
    expect(readOutbox(db).map((r) => r.seq)).toEqual([seq]);
    expect(level(db)).toBe(2);
  });
});

describe('one fsync per sale, and a returned sale is on disk', () => {
  it('traces 30 whole sales: every WAL write synced before the sale returns, one fsync each', () => {
    const dir = tmp();
    const lines = traceSales(dir, 30, 'openat,pwrite64,write,fsync,fdatasync');
    const open = lines.find((l) => /openat\(.*store\.db", /.test(l))!;
    const pid = open.split(/\s+/)[0];
    const main = lines.filter((l) => l.startsWith(`${pid} `));
    const walFd = /= (\d+)$/.exec(main.find((l) => /openat\(.*store\.db-wal"/.test(l))!)![1];
    const dbFd = /= (\d+)$/.exec(open)![1];
    const start = main.findIndex((l) => l.includes('write(1, "ready'));
    expect(start).toBeGreaterThan(0);

    const sales: { fsyncs: number; unsyncedAtReturn: number }[] = [];
    let fsyncs = 0;
    let unsynced = 0;
    let checkpoints = 0;
    // a sync another thread interrupts is traced as "fsync(7 <unfinished ...>" (the machine
    // busy with other suites): it counts as the sync it is
    const sync = (fd: string | undefined) => new RegExp(`(fsync|fdatasync)\\(${fd}(\\)| <unfinished)`);
    for (const l of main.slice(start + 1)) {
      // a checkpoint copies the WAL into the database and syncs both, once in a while
      if (sync(dbFd).test(l)) checkpoints++;
      else if (sync(walFd).test(l)) {
        fsyncs++;
        unsynced = 0;
      } else if (l.includes(`pwrite64(${walFd},`)) unsynced++;
      else if (/write\(1, "sale \d+/.test(l)) {
        sales.push({ fsyncs, unsyncedAtReturn: unsynced });
        fsyncs = 0;
      }
    }
    expect(sales).toHaveLength(30);
    // durable: no frame of a returned sale waits in the page cache alone
    expect(sales.filter((s) => s.unsyncedAtReturn > 0)).toEqual([]);
    // one fsync of the WAL per sale, and one more for each checkpoint
    const total = sales.reduce((a, s) => a + s.fsyncs, 0);
    expect(sales.every((s) => s.fsyncs >= 1)).toBe(true);
    expect(checkpoints).toBeLessThanOrEqual(3);
    expect(total).toBeLessThanOrEqual(30 + checkpoints);
  });
});
