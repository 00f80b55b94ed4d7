import { describe, expect, it } from 'vitest';
import type { Point } from '../../models/analytics/geometry.js';
import { type HeldSample, Stillness } from '../../models/analytics/stillness.js';

// Which tracks count: scripted foot points (normalised, 4:3 frame) at 5 frames a second.
const ASPECT = 0.75;
const boxAt = (p: Point, h = 0.15) => ({ x1: p[0] - h / 6, y1: p[1] - h, x2: p[0] + h / 6, y2: p[1] });

/** Feeds one track's path; returns what was credited, in order (what the pipeline would apply). */
function follow(s: Stillness, id: number, path: Point[], t0 = 0, h = 0.15): HeldSample[] {
  const credited: HeldSample[] = [];
  path.forEach((p, i) => {
    const t = t0 + i * 200;
    credited.push(...s.see(id, p, boxAt(p, h), t, ASPECT));
    const sample: HeldSample = { kind: 'at', p, t };
    if (s.counts(id)) credited.push(sample);
    else s.hold(id, sample);
  });
  return credited;
}

const still = (p: Point, n: number): Point[] => Array.from({ length: n }, () => p);
const walk = (from: Point, dx: number, n: number): Point[] =>
  Array.from({ length: n }, (_, i) => [from[0] + dx * i, from[1]] as Point);

describe('stillness: phantom people never count', () => {
  it('a box that never moves counts for nothing and is listed as a static object', () => {
    const s = new Stillness();
    // a cone for 80 s, its box jittering by a third of its height (as NanoDet's does)
    const jitter = Array.from(
      { length: 400 },
      (_, i) => [0.22 + (i % 3) * 0.004, 0.36 + (i % 2) * 0.008] as Point,
    );
    expect(follow(s, 1, jitter, 0, 0.035)).toEqual([]);
    expect(s.counts(1)).toBe(false);
    const listed = s.staticObjects();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ trackId: 1, present: true, since: 0 });
  });

  it('a walking person counts from their first frame: what was held is credited in order', () => {
    const s = new Stillness();
    const credited = follow(s, 7, walk([0.1, 0.5], 0.02, 20));
    expect(credited).toHaveLength(20);
    expect(credited.map((c) => (c.kind === 'at' ? c.t : -1))).toEqual(
      Array.from({ length: 20 }, (_, i) => i * 200),
    );
    expect(s.staticObjects()).toEqual([]);
  });

  it('a shopper already standing at a shelf when the camera starts is credited in full once they walk off', () => {
    const s = new Stillness();
    const path = [...still([0.5, 0.5], 50), ...walk([0.5, 0.5], 0.02, 10)]; // 10 s still, then 2 s walking
    expect(follow(s, 3, path)).toHaveLength(60);
  });

  it('a shopper who walked in and then stands still keeps counting', () => {
    const s = new Stillness();
    const path = [...walk([0.1, 0.5], 0.02, 10), ...still([0.28, 0.5], 300)]; // then a minute at the shelf
    expect(follow(s, 4, path)).toHaveLength(310);
    expect(s.staticObjects()).toEqual([]);
  });

  it('after staticAfterMs unmoved, what was held is dropped; moving later counts from then on', () => {
    const s = new Stillness();
    const path = [...still([0.5, 0.5], 200), ...walk([0.5, 0.5], 0.02, 10)]; // 40 s still (> 30 s)
    const credited = follow(s, 5, path);
    // proof needs 0.6 box heights (0.0675 frame widths here): the walk's fifth step; from it on all counts
    expect(credited).toHaveLength(6);
    expect(credited.every((c) => c.kind === 'at' && c.t >= 200 * 200)).toBe(true);
  });

  it('an ended static object stays listed for a while, then is forgotten; an ended held track leaves nothing', () => {
    const s = new Stillness({
      moveHeights: 0.6,
      moveMinWidth: 0.02,
      staticAfterMs: 30_000,
      listAfterMs: 5_000,
      forgetAfterMs: 60_000,
    });
    follow(s, 1, still([0.2, 0.4], 100)); // 20 s: listed
    follow(s, 2, still([0.6, 0.4], 10)); // 2 s: not listed
    s.retain(new Set(), 20_000);
    expect(s.staticObjects().map((o) => [o.trackId, o.present])).toEqual([[1, false]]);
    s.retain(new Set(), 20_000 + 61_000);
    expect(s.staticObjects()).toEqual([]);
  });

  it('keeps a bounded list of ended static objects (a flickering cone starts a new track now and then)', () => {
    const s = new Stillness();
    for (let id = 1; id <= 80; id++) {
      follow(s, id, still([0.2, 0.4], 30), id * 10_000); // 6 s each: listed
      s.retain(new Set(), id * 10_000 + 6_000);
    }
    expect(s.staticObjects().length).toBeLessThanOrEqual(50);
    expect(s.staticObjects()[0]!.trackId).toBe(80); // newest first
  });

  it('holds a bounded number of samples per track', () => {
    const s = new Stillness();
    s.see(9, [0.5, 0.5], boxAt([0.5, 0.5]), 0, ASPECT);
    for (let i = 0; i < 10_000; i++) s.hold(9, { kind: 'heat', p: [0.5, 0.5], seconds: 0.2 });
    const credit = s.see(9, [0.9, 0.5], boxAt([0.9, 0.5]), 1000, ASPECT);
    expect(credit.length).toBeLessThanOrEqual(1800);
  });
});
