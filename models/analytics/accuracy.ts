import type { Direction } from './lines.js';

// Counting accuracy against hand labels: a counted crossing matches a labelled one of
// the same direction within `toleranceMs`, one to one, nearest first.

export interface LabelledCrossing {
  t: number;
  direction: Direction;
}

export interface CountingAccuracy {
  labelled: number;
  counted: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
  /** |counted − labelled| / labelled per direction: the error a footfall report shows. */
  countError: Record<Direction, number>;
  /** Indices of the labels that a counted crossing matched. */
  matchedLabels: number[];
}

/** Greedy one-to-one matching: every allowed (label, counted) pair by its cost, lowest
 * first, each side used once. `cost` is undefined for a pair that may not match. */
function oneToOne<L, C>(
  labels: L[],
  counted: C[],
  cost: (l: L, c: C) => number | undefined,
): [number, number][] {
  const cand: { l: number; c: number; cost: number }[] = [];
  labels.forEach((l, li) => {
    counted.forEach((c, ci) => {
      const k = cost(l, c);
      if (k !== undefined) cand.push({ l: li, c: ci, cost: k });
    });
  });
  cand.sort((a, b) => a.cost - b.cost);
  const usedL = new Set<number>();
  const usedC = new Set<number>();
  const out: [number, number][] = [];
  for (const p of cand) {
    if (usedL.has(p.l) || usedC.has(p.c)) continue;
    usedL.add(p.l);
    usedC.add(p.c);
    out.push([p.l, p.c]);
  }
  return out;
}

export function countingAccuracy(
  labels: LabelledCrossing[],
  counted: LabelledCrossing[],
  toleranceMs: number,
): CountingAccuracy {
  // the nearest in time first (a smaller cost is a better match)
  const pairs = oneToOne(labels, counted, (l, c) => {
    const gap = Math.abs(l.t - c.t);
    return l.direction === c.direction && gap <= toleranceMs ? gap : undefined;
  });
  const usedL = new Set(pairs.map(([l]) => l));
  const matched = usedL.size;
  const precision = counted.length ? matched / counted.length : 1;
  const recall = labels.length ? matched / labels.length : 1;
  const err = (d: Direction) => {
    const want = labels.filter((l) => l.direction === d).length;
    const got = counted.filter((c) => c.direction === d).length;
    return want ? Math.abs(got - want) / want : got ? 1 : 0;
  };
  return {
    labelled: labels.length,
    counted: counted.length,
    matched,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    countError: { in: err('in'), out: err('out') },
    matchedLabels: [...usedL].sort((a, b) => a - b),
  };
}

// Zone dwell against hand labels: a counted visit matches the labelled visit whose
// interval it overlaps most (intersection over union of the two intervals ≥ `minOverlap`),
// one to one. Labels marked optional (visits too short to go one way or the other) may
// be matched but are not missed when they are not.

export interface LabelledVisit {
  enter: number;
  exit: number;
  optional?: boolean;
}

export interface VisitAccuracy {
  labelled: number;
  counted: number;
  matched: number;
  missed: number;
  /** Counted visits that match no label at all. */
  extra: number;
  recall: number;
  precision: number;
  /** Mean |counted dwell − labelled dwell| over matched visits, ms. */
  dwellErrorMs: number;
  pairs: { label: LabelledVisit; counted: LabelledVisit }[];
  /** Indices of the labels that a counted visit matched. */
  matchedLabels: number[];
}

function overlap(a: LabelledVisit, b: LabelledVisit): number {
  const inter = Math.min(a.exit, b.exit) - Math.max(a.enter, b.enter);
  if (inter <= 0) return 0;
  return inter / (Math.max(a.exit, b.exit) - Math.min(a.enter, b.enter));
}

export function visitAccuracy(
  labels: LabelledVisit[],
  counted: LabelledVisit[],
  minOverlap = 0.3,
): VisitAccuracy {
  // the largest overlap first
  const matches = oneToOne(labels, counted, (l, c) => {
    const o = overlap(l, c);
    return o >= minOverlap ? -o : undefined;
  });
  const pairs = matches.map(([l, c]) => ({ label: labels[l]!, counted: counted[c]! }));
  const usedL = new Set(matches.map(([l]) => l));
  const required = labels.filter((l) => !l.optional).length;
  const matchedRequired = pairs.filter((p) => !p.label.optional).length;
  const dwell = (v: LabelledVisit) => v.exit - v.enter;
  return {
    labelled: required,
    counted: counted.length,
    matched: matchedRequired,
    missed: required - matchedRequired,
    extra: counted.length - pairs.length,
    recall: required ? matchedRequired / required : 1,
    precision: counted.length ? pairs.length / counted.length : 1,
    dwellErrorMs: pairs.length
      ? pairs.reduce((s, p) => s + Math.abs(dwell(p.counted) - dwell(p.label)), 0) / pairs.length
      : 0,
    pairs,
    matchedLabels: [...usedL].sort((a, b) => a - b),
  };
}

/** Sums a row-major grid into blocks of `k`×`k` cells (a coarser floor grid). */
export function coarsen(cells: ArrayLike<number>, cols: number, rows: number, k: number): number[] {
  const bc = Math.ceil(cols / k);
  const out = new Array<number>(bc * Math.ceil(rows / k)).fill(0);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[Math.floor(r / k) * bc + Math.floor(c / k)]! += cells[r * cols + c]!;
  return out;
}

/** Spearman's rank correlation (ties take their mean rank). */
export function spearman(a: number[], b: number[]): number {
  const rank = (xs: number[]) => {
    const order = xs.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(xs.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : 0;
}

/** Indices of the `n` largest values, largest first. */
export function topIndices(xs: ArrayLike<number>, n: number): number[] {
  return Array.from(xs, (v, i) => [v, i] as const)
    .filter(([v]) => v > 0)
    .sort((p, q) => q[0] - p[0])
    .slice(0, n)
    .map(([, i]) => i);
}
