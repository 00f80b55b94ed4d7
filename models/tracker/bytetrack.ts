import { munkres } from 'munkres';
import { type Box, type Detection, iou } from '../detector/nms.js';
import { Kalman1D } from './kalman.js';

// ByteTrack (Zhang et al., 2022) in its essentials: detections split by score; tracks
// first take high-score boxes by IoU (optimal assignment), then the still unmatched
// tracks take low-score boxes, which are mostly people half hidden behind others or
// shelves, so a track survives a partial occlusion instead of breaking in two. A track
// that finds nothing is kept, predicted, for `lostTtlMs` before it is dropped, so an
// id stays the same across a short full occlusion.

export interface TrackerOptions {
  highScore: number;
  lowScore: number;
  /** A new track starts only from a box at least this confident. */
  newTrackScore: number;
  /** IoU below which a pair is never matched (cost 1 - IoU). */
  matchIou: number;
  lowMatchIou: number;
  /** Consecutive hits before a track counts (suppresses one-frame false positives). */
  minHits: number;
  lostTtlMs: number;
  /** Boxes are matched enlarged by this share of their size on each side (buffered IoU,
   * Yang et al. 2023): at a few frames a second a walker moves a third of their width
   * between frames, and a box that grows as a half-hidden person steps out still matches. */
  buffer: number;
}

export const DEFAULT_TRACKER: TrackerOptions = {
  highScore: 0.4,
  lowScore: 0.2,
  newTrackScore: 0.45,
  matchIou: 0.2,
  lowMatchIou: 0.4,
  minHits: 2,
  lostTtlMs: 1500,
  buffer: 0.3,
};

export type TrackState = 'tentative' | 'confirmed' | 'lost';

export interface Track extends Box {
  id: number;
  state: TrackState;
  score: number;
  firstSeen: number;
  lastSeen: number;
  hits: number;
}

class Tracklet {
  readonly f: Kalman1D[];
  state: TrackState = 'tentative';
  hits = 1;
  lastSeen: number;
  lastPredict: number;
  score: number;

  constructor(
    readonly id: number,
    d: Detection,
    readonly firstSeen: number,
  ) {
    const [cx, cy, w, h] = toCxCywh(d);
    // Noise scales with the box so near and far people track alike.
    const s = Math.max(w, h);
    this.f = [cx, cy, w, h].map((v) => new Kalman1D(v, (s * 0.05) ** 2, (s * 0.5) ** 2, (s * 0.05) ** 2));
    this.lastSeen = firstSeen;
    this.lastPredict = firstSeen;
    this.score = d.score;
  }

  predict(t: number): void {
    const dt = Math.max(0, (t - this.lastPredict) / 1000);
    for (const k of this.f) k.predict(dt);
    // A box's size does not keep growing or shrinking while it is unseen.
    if (this.state === 'lost') {
      this.f[2]!.v = 0;
      this.f[3]!.v = 0;
    }
    this.lastPredict = t;
  }

  update(d: Detection, t: number): void {
    const z = toCxCywh(d);
    for (let i = 0; i < 4; i++) this.f[i]!.update(z[i]!);
    this.lastSeen = t;
    this.score = d.score;
    this.hits++;
  }

  box(): Box {
    const [cx, cy, w, h] = this.f.map((k) => k.x) as [number, number, number, number];
    return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
  }
}

function toCxCywh(b: Box): [number, number, number, number] {
  return [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.x2 - b.x1, b.y2 - b.y1];
}

function buffered(b: Box, k: number): Box {
  if (k === 0) return b;
  const dx = (b.x2 - b.x1) * k;
  const dy = (b.y2 - b.y1) * k;
  return { x1: b.x1 - dx, y1: b.y1 - dy, x2: b.x2 + dx, y2: b.y2 + dy };
}

/** Optimal IoU assignment; pairs under the gate are left unmatched. */
function associate(
  tracks: Tracklet[],
  dets: Detection[],
  gate: number,
  buffer = 0,
): { pairs: [number, number][]; restT: number[]; restD: number[] } {
  if (!tracks.length || !dets.length)
    return { pairs: [], restT: tracks.map((_, i) => i), restD: dets.map((_, i) => i) };
  const boxes = tracks.map((t) => buffered(t.box(), buffer));
  const near = dets.map((d) => buffered(d, buffer));
  const cost = boxes.map((b) => near.map((d) => 1 - iou(b, d)));
  const pairs: [number, number][] = [];
  for (const [ti, di] of munkres(cost)) if (1 - cost[ti]![di]! >= gate) pairs.push([ti, di]);
  const usedT = new Set(pairs.map((p) => p[0]));
  const usedD = new Set(pairs.map((p) => p[1]));
  return {
    pairs,
    restT: tracks.map((_, i) => i).filter((i) => !usedT.has(i)),
    restD: dets.map((_, i) => i).filter((i) => !usedD.has(i)),
  };
}

export class ByteTracker {
  private tracks: Tracklet[] = [];
  private nextId = 1;

  constructor(private readonly opts: TrackerOptions = DEFAULT_TRACKER) {}

  /** Advances to time `t` (ms) with this frame's detections; returns the confirmed tracks seen now. */
  update(dets: Detection[], t: number): Track[] {
    const o = this.opts;
    for (const tr of this.tracks) tr.predict(t);
    const high = dets.filter((d) => d.score >= o.highScore);
    const low = dets.filter((d) => d.score >= o.lowScore && d.score < o.highScore);

    const active = this.tracks.filter((tr) => tr.state !== 'tentative');
    const tentative = this.tracks.filter((tr) => tr.state === 'tentative');

    // 1. established (and lost) tracks take the confident boxes
    const a1 = associate(active, high, o.matchIou, o.buffer);
    for (const [ti, di] of a1.pairs) this.hit(active[ti]!, high[di]!, t);
    // 2. tracks still unmatched and seen last frame take the weak boxes
    const rest = a1.restT.map((i) => active[i]!).filter((tr) => tr.state === 'confirmed');
    const a2 = associate(rest, low, o.lowMatchIou, o.buffer);
    for (const [ti, di] of a2.pairs) this.hit(rest[ti]!, low[di]!, t);
    const matched = new Set([...a1.pairs.map((p) => active[p[0]]!), ...a2.pairs.map((p) => rest[p[0]]!)]);
    // 3. tentative tracks take what confident boxes are left
    const leftHigh = a1.restD.map((i) => high[i]!);
    const a3 = associate(tentative, leftHigh, o.matchIou, o.buffer);
    for (const [ti, di] of a3.pairs) {
      this.hit(tentative[ti]!, leftHigh[di]!, t);
      matched.add(tentative[ti]!);
    }
    // unmatched tentative tracks die at once; confirmed ones are kept as lost for a while
    this.tracks = this.tracks.filter((tr) => {
      if (matched.has(tr)) return true;
      if (tr.state === 'tentative') return false;
      tr.state = 'lost';
      return t - tr.lastSeen <= o.lostTtlMs;
    });
    for (const di of a3.restD) {
      const d = leftHigh[di]!;
      if (d.score >= o.newTrackScore) this.tracks.push(new Tracklet(this.nextId++, d, t));
    }
    return this.visible();
  }

  private hit(tr: Tracklet, d: Detection, t: number): void {
    tr.update(d, t);
    if (tr.state === 'lost' || tr.hits >= this.opts.minHits) tr.state = 'confirmed';
  }

  /** Confirmed tracks matched in the latest update. */
  visible(): Track[] {
    return this.tracks.filter((tr) => tr.state === 'confirmed').map((tr) => this.snapshot(tr));
  }

  /** Every track still held: the confirmed ones and, at their predicted place, the lost ones
   * (a person hidden for a moment behind another is still there). */
  held(): Track[] {
    return this.tracks.filter((tr) => tr.state !== 'tentative').map((tr) => this.snapshot(tr));
  }

  /** Ids of every track still held, lost ones included (a track gone from here has ended). */
  liveIds(): Set<number> {
    return new Set(this.tracks.filter((tr) => tr.state !== 'tentative').map((tr) => tr.id));
  }

  private snapshot(tr: Tracklet): Track {
    return {
      ...tr.box(),
      id: tr.id,
      state: tr.state,
      score: tr.score,
      firstSeen: tr.firstSeen,
      lastSeen: tr.lastSeen,
      hits: tr.hits,
    };
  }
}
