// The wire contract holds: every event a real store writes (sales with members, points
// and coupons, refunds, entrance counts, label findings) passes its type's schema in
// sync/event-schemas.ts, which HQ enforces; and the schemas do refuse a bad payload.
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { mulberry32 } from '../../bench/fleet/fleet.js';
import { VirtualStore } from '../../bench/fleet/virtual-store.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { knownEventType, payloadProblems } from '../../sync/event-schemas.js';

it('every event a trading store writes passes its schema', () => {
  const store = new VirtualStore({
    storeId: 'schema-store',
    broker: 'mqtt://127.0.0.1:9', // never started: only its database is used
    seedFile: resolve('config/demo/catalog.json'),
    members: 5,
    random: mulberry32(7),
  });
  for (let i = 0; i < 300; i++) {
    store.sale();
    if (i % 10 === 0) store.refund();
    if (i % 5 === 0) store.footfall();
  }
  const rows = readOutbox(store.db, 0, 100_000);
  const types = new Set(rows.map((r) => r.type));
  for (const t of ['sale.completed', 'points.moved', 'refund.completed', 'coupon.redeemed', 'vision.counts'])
    expect(types, t).toContain(t);
  for (const r of rows) {
    expect(knownEventType(r.type), r.type).toBe(true);
    expect(payloadProblems(r.type, r.payload), `${r.type} #${r.seq}`).toEqual([]);
  }
  store.db.close();
});

it('a payload that breaks its schema is named by path', () => {
  expect(payloadProblems('points.moved', { memberId: 'M1', delta: 'ten' })).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\/delta: /),
      expect.stringMatching(/\/reason: required/),
    ]),
  );
  expect(payloadProblems('some.future_type', { anything: 1 })).toEqual([]);
});

it('telemetry rolled up or dropped by the backlog guard travels as a valid tombstone', () => {
  expect(payloadProblems('vision.counts', { rolledUpInto: 12 })).toEqual([]);
  expect(payloadProblems('vision.heatmap', { dropped: true })).toEqual([]);
  expect(payloadProblems('vision.counts', { dropped: false })).not.toEqual([]);
  expect(payloadProblems('sale.completed', { rolledUpInto: 12 })).not.toEqual([]); // money is never rolled up
});
