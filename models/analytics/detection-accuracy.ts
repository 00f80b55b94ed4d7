import { area, type Box, iou } from '../detector/nms.js';

// Detection accuracy against hand-labelled person boxes, as the PASCAL VOC and COCO
// evaluations do it: detections are taken best score first, each matches the unmatched
// labelled person it overlaps most at IoU ≥ `minIou`; a detection left over is a false
// positive unless it lies mostly inside an "ignore" region (people hidden behind a sign,
// cut by the frame edge: neither finding nor missing them is scored).

export interface LabelledFrame {
  frame: number;
  people: Box[];
  ignore: Box[];
  /** Indices into `people` of two people walking together. */
  pairs: [number, number][];
}

export interface DetectionAccuracy {
  frames: number;
  labelled: number;
  detected: number;
  truePositives: number;
  falsePositives: number;
  missed: number;
  precision: number;
  recall: number;
  f1: number;
  /** Labelled pairs of walkers where both got a box of their own. */
  pairs: { labelled: number; separated: number };
}

/** Share of `b`'s area inside `region`. */
function insideShare(b: Box, region: Box): number {
  const w = Math.min(b.x2, region.x2) - Math.max(b.x1, region.x1);
  const h = Math.min(b.y2, region.y2) - Math.max(b.y1, region.y1);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.max(1e-9, area(b));
}

/** Matches one frame's detections; returns which labelled person each detection took (-1: none). */
export function matchFrame(
  label: LabelledFrame,
  dets: (Box & { score: number })[],
  minIou = 0.5,
): { matchedPeople: Set<number>; falsePositives: number } {
  const taken = new Set<number>();
  let falsePositives = 0;
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = minIou;
    label.people.forEach((p, i) => {
      if (taken.has(i)) return;
      const o = iou(d, p);
      if (o >= bestIou) {
        bestIou = o;
        best = i;
      }
    });
    if (best >= 0) taken.add(best);
    else if (!label.ignore.some((r) => insideShare(d, r) >= 0.5)) falsePositives++;
  }
  return { matchedPeople: taken, falsePositives };
}

export function detectionAccuracy(
  labels: LabelledFrame[],
  detsOf: (frame: number) => (Box & { score: number })[],
  minIou = 0.5,
): DetectionAccuracy {
  let labelled = 0;
  let detected = 0;
  let tp = 0;
  let fp = 0;
  let pairs = 0;
  let separated = 0;
  for (const l of labels) {
    const dets = detsOf(l.frame);
    const m = matchFrame(l, dets, minIou);
    labelled += l.people.length;
    detected += dets.length;
    tp += m.matchedPeople.size;
    fp += m.falsePositives;
    for (const [a, b] of l.pairs) {
      pairs++;
      if (m.matchedPeople.has(a) && m.matchedPeople.has(b)) separated++;
    }
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = labelled ? tp / labelled : 1;
  return {
    frames: labels.length,
    labelled,
    detected,
    truePositives: tp,
    falsePositives: fp,
    missed: labelled - tp,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    pairs: { labelled: pairs, separated },
  };
}
