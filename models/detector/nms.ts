/** An axis-aligned box in pixels of the frame it was found in. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection extends Box {
  score: number;
  /** Class index in the model's label list (COCO: 0 is person). */
  cls: number;
}

export function area(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

/** Greedy per-class non-maximum suppression: keeps the best box of each overlapping group. */
export function nms(dets: Detection[], iouThreshold: number, maxDetections = 300): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.cls === d.cls && iou(k, d) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
