/** A point in normalised image coordinates: 0..1 across and down the frame. */
export type Point = readonly [number, number];

/** The point a person stands on: bottom centre of their box, normalised. */
export function footPoint(
  b: { x1: number; y1: number; x2: number; y2: number },
  width: number,
  height: number,
): Point {
  return [(b.x1 + b.x2) / 2 / width, b.y2 / height];
}

/** Ray casting; points on an edge may fall either way, which the zone hysteresis absorbs. */
export function insidePolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Applies a 3×3 homography (row-major) to a point. */
export function applyHomography(h: readonly number[], p: Point): Point {
  const w = h[6]! * p[0] + h[7]! * p[1] + h[8]!;
  return [(h[0]! * p[0] + h[1]! * p[1] + h[2]!) / w, (h[3]! * p[0] + h[4]! * p[1] + h[5]!) / w];
}

/** The inverse of a 3×3 homography (row-major), or undefined for a singular one. */
export function invertHomography(h: readonly number[]): number[] | undefined {
  const [a, b, c, d, e, f, g, k, l] = h as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const A = e * l - f * k;
  const B = -(d * l - f * g);
  const C = d * k - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return undefined;
  const inv = [
    A,
    -(b * l - c * k),
    b * f - c * e,
    B,
    a * l - c * g,
    -(a * f - c * d),
    C,
    -(a * k - b * g),
    a * e - b * d,
  ];
  return inv.map((v) => v / det);
}
