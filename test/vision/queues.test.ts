// The queue watch on the store's own database: the length is what the camera's zone holds
// (given here as the pipeline's occupancy would be), the pace is the kiosks' real sales;
// an alert past a limit for raiseSeconds, closed by the watch under both for clearSeconds,
// taken over after a restart, and each hour's figures kept.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openAlerts, resolveAlert } from '../../edge/alerts/alerts.js';
import { estimateWaitSeconds, QueueWatch, queueAlertKiosk, queueHours } from '../../edge/vision/queues.js';
import { cashSale, demoDb, SEED_NOW, sellableCodes } from '../helpers/store.js';

const RULE = { maxLength: 4, maxWaitSeconds: 300, raiseSeconds: 5, clearSeconds: 30, salesWindowMinutes: 10 };
const ZONE = { cameraId: 'floor', zoneId: 'kiosk-queue', ...RULE };

function watch(db = demoDb()) {
  let now = SEED_NOW;
  let length: number | undefined = 0;
  const w = new QueueWatch({
    db: () => db,
    zones: [ZONE],
    occupancy: () => new Map(length === undefined ? [] : [['floor', { 'kiosk-queue': length }]]),
    now: () => now,
    log: pino({ level: 'silent' }),
  });
  /** `n` people in the zone for `seconds`, read every second */
  const hold = (n: number | undefined, seconds: number) => {
    length = n;
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      w.tick();
    }
    return w.states()[0]!;
  };
  return { db, w, hold, at: () => now };
}

describe('queues at the kiosks', () => {
  it('estimates the wait from the length and the kiosks’ pace', () => {
    expect(estimateWaitSeconds(0, 0)).toBe(0);
    expect(estimateWaitSeconds(3, 0)).toBeNull();
    expect(estimateWaitSeconds(3, 1.5)).toBe(120);
    expect(estimateWaitSeconds(1, 0.2)).toBe(300);
  });

  it('alerts when the queue stays long, and closes the alert once it has cleared for a while', () => {
    const { db, hold } = watch();
    hold(2, 10);
    expect(openAlerts(db)).toEqual([]);
    // a moment past the limit is not a queue
    hold(5, 3);
    hold(3, 2);
    expect(openAlerts(db)).toEqual([]);
    const s = hold(5, 6);
    expect(s).toMatchObject({ length: 5, salesPerMinute: 0, waitSeconds: null });
    expect(s.alertId).not.toBeNull();
    expect(openAlerts(db)).toMatchObject([{ kind: 'queue', kioskId: queueAlertKiosk(ZONE) }]);
    // still long: the one alert, not another
    hold(6, 20);
    expect(openAlerts(db)).toHaveLength(1);
    // clears: the alert stays until it has been short for clearSeconds
    hold(1, 20);
    expect(openAlerts(db)).toHaveLength(1);
    expect(hold(0, 11).alertId).toBeNull();
    expect(openAlerts(db)).toEqual([]);
    expect(db.prepare(`SELECT resolved_by FROM kiosk_alerts WHERE kind = 'queue'`).pluck().all()).toEqual([
      'queue-watch',
    ]);
    // the hour: 71 s watched (the first tick has nothing before it); the alert open from the
    // sixth second past the limit to the 31st under it
    const [h] = queueHours(db, SEED_NOW - 3_600_000, SEED_NOW + 3_600_000);
    const people = 2 * 9 + 5 * 3 + 3 * 2 + 5 * 6 + 6 * 20 + 1 * 20;
    expect(h).toMatchObject({
      zoneId: 'kiosk-queue',
      maxLength: 6,
      alerts: 1,
      alertSeconds: 1 + 20 + 20 + 10,
    });
    expect(h!.avgLength).toBeCloseTo(people / 71, 2);
  });

  it('tells HQ each closed hour once, as sums it can add up', () => {
    const { db, hold } = watch();
    hold(3, 11);
    const sent = () =>
      (
        db
          .prepare("SELECT payload FROM outbox WHERE type = 'vision.queue' ORDER BY seq")
          .pluck()
          .all() as string[]
      ).map((p) => JSON.parse(p));
    expect(sent()).toEqual([]); // the hour is not over
    hold(0, 3600); // into the next hour
    hold(0, 5);
    expect(sent()).toHaveLength(1);
    const hour = Math.floor(SEED_NOW / 3_600_000) * 3_600_000;
    const [first] = sent();
    expect(first).toMatchObject({ cameraId: 'floor', zoneId: 'kiosk-queue', hour, maxLength: 3, alerts: 0 });
    // read every second from 02:00:01; the first read has no time before it: three people
    // for ten seconds, then nobody to 02:59:59
    expect(first).toMatchObject({ seconds: 3598, personSeconds: 30, waitSamples: 0, maxWaitSeconds: null });
  });

  it('alerts on a long wait at the kiosks’ pace, a short queue included', () => {
    const { db, hold, at } = watch();
    const codes = sellableCodes(db);
    // two kiosk sales in the last ten minutes: 0.2 a minute, so two people wait ten minutes
    cashSale(db, codes, 0, at() - 300_000);
    cashSale(db, codes, 1, at() - 60_000);
    const s = hold(2, 6);
    expect(s).toMatchObject({ length: 2, salesPerMinute: 0.2, waitSeconds: 600 });
    expect(s.alertId).not.toBeNull();
    const [h] = queueHours(db, SEED_NOW - 3_600_000, SEED_NOW + 3_600_000);
    expect(h).toMatchObject({ avgWaitSeconds: 600, maxWaitSeconds: 600 });
  });

  it('a camera that sends nothing changes nothing; staff may close the alert first; a restart takes it over', () => {
    const { db, hold, w } = watch();
    hold(5, 6);
    const id = openAlerts(db)[0]!.id;
    // the camera goes quiet: no length, the alert stays, no hour is added to
    const before = queueHours(db, SEED_NOW, SEED_NOW + 3_600_000)[0]!;
    expect(hold(undefined, 60)).toMatchObject({ length: null, alertId: id });
    expect(queueHours(db, SEED_NOW, SEED_NOW + 3_600_000)[0]!.alertSeconds).toBe(before.alertSeconds);
    // a new watch on the same database (the daemon restarted) takes the open alert over
    w.stop();
    const again = new QueueWatch({
      db: () => db,
      zones: [ZONE],
      occupancy: () => new Map([['floor', { 'kiosk-queue': 0 }]]),
      now: () => SEED_NOW + 10 * 60_000,
      log: pino({ level: 'silent' }),
    });
    again.start();
    again.stop();
    expect(again.states()[0]!.alertId).toBe(id);
    // staff closed it before the queue cleared: the watch lets it be, and can raise a new one
    resolveAlert(db, id, 'mgr-1', SEED_NOW + 70_000);
    hold(0, 31);
    expect(db.prepare('SELECT resolved_by FROM kiosk_alerts WHERE id = ?').pluck().get(id)).toBe('mgr-1');
    hold(5, 6);
    expect(openAlerts(db)).toHaveLength(1);
    expect(openAlerts(db)[0]!.id).not.toBe(id);
  });
});
