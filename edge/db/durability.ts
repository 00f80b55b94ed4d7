// Which commits wait for the disk. The store database runs synchronous=FULL: every
// commit is fsynced unless it is one of the light steps of a cart (a new cart, a scan, a
// quantity, locking it for payment), which commit at NORMAL.
//
// Why that keeps every guarantee: in WAL mode a commit appends its frames to the one
// log file, in order. A NORMAL commit writes them without fsync; the next FULL commit
// fsyncs the log, and with it every frame before it. The commit that completes a sale
// (or takes a payment, a refund, a redemption) is FULL, so when it returns, the scans of
// that sale are on disk too. What a power cut can take is only light steps after the
// last durable commit: lines of a cart nobody has paid for yet, which the kiosk shows
// again from the database when it comes back.
//
// A light step that turns out to carry money (a scan whose label is refused records a
// money event for HQ) is rolled back and done again with every commit durable.
import type { Db } from './open.js';

const light = new WeakSet<Db>();

/** Thrown by appendOutbox for a money event inside a light commit: `lightly` catches it
 * and runs the work again durably. */
export class MoneyInLightCommit extends Error {
  constructor(type: string) {
    super(`money event ${type} inside a light commit: it must wait for the disk`);
  }
}

/** Runs `work` (which opens its own transactions) with commits at synchronous=NORMAL.
 * Inside a transaction already open, that transaction decides: the level can only be
 * set between transactions (SQLite refuses it inside one). */
export function lightly<T>(db: Db, work: () => T): T {
  if (db.inTransaction || light.has(db)) return work();
  db.prepare('PRAGMA synchronous = NORMAL').run();
  light.add(db);
  try {
    return work();
  } catch (err) {
    if (!(err instanceof MoneyInLightCommit)) throw err;
  } finally {
    light.delete(db);
    db.prepare('PRAGMA synchronous = FULL').run();
  }
  // its transaction rolled back with the error: nothing of the first try is left
  return work();
}

/** Whether commits on `db` are light right now (inside `lightly`). */
export const isLight = (db: Db): boolean => light.has(db);
