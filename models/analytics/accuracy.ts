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
}

export function countingAccuracy(
  labels: LabelledCrossing[],
  counted: LabelledCrossing[],
  toleranceMs: number,
): CountingAccuracy {
  const pairs: { l: number; c: number; gap: number }[] = [];
  labels.forEach((l, li) => {
    counted.forEach((c, ci) => {
      const gap = Math.abs(l.t - c.t);
      if (l.direction === c.direction && gap <= toleranceMs) pairs.push({ l: li, c: ci, gap });
    });
  });
  pairs.sort((a, b) => a.gap - b.gap);
  const usedL = new Set<number>();
  const usedC = new Set<number>();
  for (const p of pairs) {
    if (usedL.has(p.l) || usedC.has(p.c)) continue;
    usedL.add(p.l);
    usedC.add(p.c);
  }
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
  };
}
