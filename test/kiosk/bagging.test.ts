// The bagging-area check: the monitor's rules, then a kiosk station polling a real
// MT-SICS bagging scale (its simulator on a pty) while items are scanned.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MtSicsScale } from '../../device-drivers/scale/mt-sics.js';
import { ScaleSimulator } from '../../device-drivers/scale/simulator.js';
import { openAlerts } from '../../edge/alerts/alerts.js';
import { BaggingMonitor } from '../../edge/kiosk/bagging.js';
import { KioskStation } from '../../edge/kiosk/station.js';
import { ProviderPayments } from '../../edge/payments/provider-payments.js';
import { waitFor } from '../helpers/ports.js';
import { openPtyPair } from '../helpers/pty.js';
import { ctx, demoDb, gtinOf, layouts } from '../helpers/store.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('bagging monitor', () => {
  const monitor = () => new BaggingMonitor({ toleranceG: 10, placeWithinMs: 1000 });

  it('a scanned item placed in time is fine; noise below the tolerance is ignored', () => {
    const m = monitor();
    expect(m.reading(0, true)).toBeNull();
    m.scanned(0);
    expect(m.reading(4, true)).toBeNull(); // a bag settling
    expect(m.reading(520, false)).toBeNull(); // still moving
    expect(m.reading(520, true)).toBeNull();
    expect(m.overdue(5000)).toBeNull();
  });

  it('flags an item that never arrives, one that arrives unscanned, and one taken off', () => {
    const m = monitor();
    m.reading(0, true);
    m.scanned(0);
    expect(m.overdue(999)).toBeNull();
    expect(m.overdue(1000)).toBe('item not placed in the bagging area');
    expect(m.reading(300, true)).toBe('unexpected item in the bagging area');
    expect(m.reading(20, true)).toBe('item removed from the bagging area');
    m.scanned(2000);
    m.reset(); // a new shopper: the last one's scans are not expected any more
    expect(m.overdue(10_000)).toBeNull();
  });
});

describe('kiosk station with a bagging scale', () => {
  it('raises bagging alerts for staff from live scale readings', async () => {
    const db = demoDb();
    const pair = await openPtyPair();
    const sim = new ScaleSimulator(pair.b);
    await sim.open();
    const scale = new MtSicsScale({ id: 'k1-bagging', path: pair.a, timeoutMs: 1000 });
    await scale.open();
    const log = pino({ level: 'silent' });
    const station = new KioskStation({
      kioskId: 'kiosk-1',
      db,
      log,
      store: { id: 'demo-store-001', name: 'Demo' },
      scanOptions: { variableMeasure: layouts, currencyNumeric: '156' },
      context: () => ctx(Date.now()),
      payments: new ProviderPayments({ db, currency: 'CNY', context: () => ctx(), log }),
      bagging: { scale, monitor: new BaggingMonitor({ toleranceG: 10, placeWithinMs: 600 }), pollMs: 50 },
    });
    station.start();
    cleanup.push(async () => {
      station.stop();
      await scale.close();
      await sim.close();
      await pair.close();
      db.close();
    });
    await new Promise((r) => setTimeout(r, 200)); // the idle kiosk has read its empty bagging area
    const bagging = () =>
      openAlerts(db, 'kiosk-1')
        .filter((a) => a.kind === 'bagging')
        .map((a) => a.message);

    await station.scan(gtinOf(db, 'Whole Milk 1L'));
    sim.place(1030);
    await new Promise((r) => setTimeout(r, 900));
    expect(bagging()).toEqual([]); // scanned and placed

    await station.scan(gtinOf(db, 'Cola 330ml'));
    await waitFor(
      'not placed',
      () => (bagging().includes('item not placed in the bagging area') ? true : undefined),
      3000,
    );
    sim.place(1030 + 2000);
    await waitFor(
      'unexpected',
      () => (bagging().includes('unexpected item in the bagging area') ? true : undefined),
      3000,
    );
    sim.place(200);
    await waitFor(
      'removed',
      () => (bagging().includes('item removed from the bagging area') ? true : undefined),
      3000,
    );
  });
});
