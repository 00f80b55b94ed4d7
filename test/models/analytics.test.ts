import { describe, expect, it } from 'vitest';
import { applyHomography, insidePolygon, invertHomography } from '../../models/analytics/geometry.js';
import { Heatmap } from '../../models/analytics/heatmap.js';
import { CountingLine } from '../../models/analytics/lines.js';
import { Zone } from '../../models/analytics/zones.js';

// Line and zone logic on scripted foot-point paths (normalised image coordinates).
// The line runs top to bottom at x = 0.5; "in" is walking left to right in the image.
const line = () => new CountingLine({ id: 'door', a: [0.5, 0.1], b: [0.5, 0.9], band: 0.02 });

function walk(l: CountingLine, id: number, xs: number[], y = 0.5, t0 = 0) {
  return xs.map((x, i) => l.update(id, [x, y], t0 + i * 100)).filter((c) => c !== undefined);
}

describe('counting line', () => {
  it('counts a walk across once, with its direction', () => {
    const l = line();
    expect(walk(l, 1, [0.3, 0.4, 0.45, 0.55, 0.6, 0.7]).map((c) => c.direction)).toEqual(['in']);
    expect(walk(l, 2, [0.7, 0.6, 0.52, 0.47, 0.4]).map((c) => c.direction)).toEqual(['out']);
  });

  it('does not count jitter or loitering on the line', () => {
    const l = line();
    // someone standing on the line, swaying within the band, for 40 frames
    const sway = Array.from({ length: 40 }, (_, i) => 0.5 + (i % 2 ? 0.015 : -0.015));
    expect(walk(l, 1, [0.4, ...sway])).toEqual([]);
    // walks up to the line, waits on it, and turns back
    expect(walk(l, 2, [0.4, 0.45, 0.49, 0.51, 0.5, 0.49, 0.45, 0.4])).toEqual([]);
  });

  it('counts a real crossing back as the opposite direction', () => {
    const l = line();
    expect(walk(l, 1, [0.4, 0.6, 0.6, 0.4]).map((c) => c.direction)).toEqual(['in', 'out']);
  });

  it('ignores walking around the end of the line', () => {
    const l = line();
    expect(walk(l, 1, [0.4, 0.6], 0.95)).toEqual([]);
  });

  it('a track first seen on the far side has not crossed', () => {
    const l = line();
    expect(walk(l, 1, [0.7, 0.8])).toEqual([]);
  });

  it('forgets ended tracks', () => {
    const l = line();
    walk(l, 1, [0.4]);
    l.retain(new Set());
    // the same id reused later starts afresh: no crossing from a stale side
    expect(walk(l, 1, [0.6, 0.7])).toEqual([]);
  });

  it('refuses a line of zero length', () => {
    expect(() => new CountingLine({ id: 'x', a: [0.2, 0.2], b: [0.2, 0.2], band: 0.01 })).toThrow(
      /same point/,
    );
  });
});

describe('zone dwell', () => {
  const square = [
    [0.2, 0.2],
    [0.6, 0.2],
    [0.6, 0.6],
    [0.2, 0.6],
  ] as const;

  it('reports a visit with its dwell after the person leaves', () => {
    const z = new Zone({ id: 'promo', polygon: square, minDwellMs: 2000, exitGraceMs: 500 });
    for (let t = 0; t <= 5000; t += 100) expect(z.update(1, [0.4, 0.4], t)).toBeUndefined();
    expect(z.occupancy()).toBe(1);
    expect(z.update(1, [0.9, 0.9], 5200)).toBeUndefined(); // within the grace period
    const v = z.update(1, [0.9, 0.9], 5600);
    expect(v).toMatchObject({ zoneId: 'promo', trackId: 1, enter: 0, exit: 5000, dwellMs: 5000 });
    expect(z.occupancy()).toBe(0);
  });

  it('a step outside shorter than the grace keeps one visit', () => {
    const z = new Zone({ id: 'promo', polygon: square, minDwellMs: 0, exitGraceMs: 1000 });
    z.update(1, [0.4, 0.4], 0);
    z.update(1, [0.65, 0.4], 500);
    z.update(1, [0.4, 0.4], 900);
    expect(z.retain(new Set())).toEqual([expect.objectContaining({ enter: 0, exit: 900 })]);
  });

  it('passers-by under the minimum dwell are not visits', () => {
    const z = new Zone({ id: 'promo', polygon: square, minDwellMs: 2000, exitGraceMs: 0 });
    z.update(1, [0.4, 0.4], 0);
    z.update(1, [0.4, 0.4], 1000);
    expect(z.update(1, [0.9, 0.4], 1100)).toBeUndefined();
    expect(z.occupancy()).toBe(0);
  });

  it('a track that ends inside closes its visit', () => {
    const z = new Zone({ id: 'promo', polygon: square, minDwellMs: 0, exitGraceMs: 0 });
    z.update(7, [0.3, 0.3], 0);
    z.update(7, [0.3, 0.3], 3000);
    expect(z.retain(new Set([1]))).toEqual([expect.objectContaining({ trackId: 7, dwellMs: 3000 })]);
  });

  it('point in polygon', () => {
    expect(insidePolygon([0.4, 0.4], square)).toBe(true);
    expect(insidePolygon([0.1, 0.4], square)).toBe(false);
  });
});

describe('floor heatmap', () => {
  it('maps image points through the homography into grid cells', () => {
    // image (0..1) → floor 0..10 m across, 0..8 m deep
    const h = [10, 0, 0, 0, 8, 0, 0, 0, 1];
    expect(applyHomography(h, [0.5, 0.5])).toEqual([5, 4]);
    const m = new Heatmap({ homography: h, cellM: 1, cols: 10, rows: 8 });
    m.add([0.55, 0.55], 2); // (5.5 m, 4.4 m) → cell (5, 4)
    m.add([0.55, 0.55], 1.5);
    m.add([1.5, 0.5], 9); // off the plan
    const cells = m.take();
    expect(cells[4 * 10 + 5]).toBeCloseTo(3.5);
    expect(cells.reduce((a, b) => a + b, 0)).toBeCloseTo(3.5);
    expect(m.take().every((c) => c === 0)).toBe(true);
  });

  it('a perspective homography keeps points finite and ordered', () => {
    // a camera looking down a corridor: far rows squeezed near the top of the image
    const h = [4, 0, 0, 0, 2, 0, 0, 1.5, 0.25];
    const near = applyHomography(h, [0.5, 0.9]);
    const far = applyHomography(h, [0.5, 0.1]);
    expect(near[1]).toBeGreaterThan(far[1]);
    expect(Number.isFinite(far[0])).toBe(true);
  });
});

describe('homography inverse', () => {
  it('maps floor metres back to the image point they came from', () => {
    const h = [20, 0, 0, 0, 14, 0, 0, 0.5, 0.75];
    const inv = invertHomography(h)!;
    for (const p of [
      [0.1, 0.2],
      [0.5, 0.5],
      [0.9, 0.95],
    ] as const) {
      const [x, y] = applyHomography(inv, applyHomography(h, p));
      expect(x).toBeCloseTo(p[0], 9);
      expect(y).toBeCloseTo(p[1], 9);
    }
    expect(invertHomography([1, 2, 3, 2, 4, 6, 0, 0, 1])).toBeUndefined();
  });
});
