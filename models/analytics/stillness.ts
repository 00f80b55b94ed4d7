import type { Point } from './geometry.js';

// Phantom people. A detector scores a traffic cone, a mannequin or a coat stand as a
// person now and then, and such a thing never moves: left alone its track would sit in
// one floor cell from the first frame to the last and become the store's hottest spot.
// People tell themselves apart by moving. So a track counts for nothing (heat, zones,
// lines, occupancy) until its feet have moved clear of where it was first seen. What it
// did meanwhile is held and credited in full the moment it moves, so a shopper who was
// already standing at a shelf when the camera started loses nothing once they walk off.
// A track still unmoved after `staticAfterMs` is a static object and what it held is
// dropped. Unmoved tracks older than `listAfterMs` are listed as ignored regions, for
// staff to see. A person who walked in and then stands still keeps counting: their
// track has already moved.

export interface StillnessOptions {
  /** Foot-point travel, in heights of the track's box, that proves a track moves. */
  moveHeights: number;
  /** ...and at least this share of the frame width, so a small jittery box cannot walk by noise. */
  moveMinWidth: number;
  /** An unmoved track older than this is a static object: what it held is dropped. */
  staticAfterMs: number;
  /** An unmoved track older than this is listed for staff as an ignored region. */
  listAfterMs: number;
  /** How long an ended static object stays listed. */
  forgetAfterMs: number;
}

export const DEFAULT_STILLNESS: StillnessOptions = {
  moveHeights: 0.6,
  moveMinWidth: 0.02,
  staticAfterMs: 30_000,
  listAfterMs: 5_000,
  forgetAfterMs: 10 * 60_000,
};

/** What a held track did: a position to replay into lines and zones, or heat seconds at a point. */
export type HeldSample = { kind: 'at'; p: Point; t: number } | { kind: 'heat'; p: Point; seconds: number };

/** A box in normalised image coordinates (0..1). */
export interface NormBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface StaticObject {
  trackId: number;
  box: NormBox;
  since: number;
  lastSeen: number;
  /** Still held by the tracker (false: it ended unmoved and is listed until `forgetAfterMs`). */
  present: boolean;
}

type State = 'held' | 'moving' | 'static';

interface Watch {
  state: State;
  origin: Point;
  firstSeen: number;
  held: HeldSample[];
  box: NormBox;
  lastSeen: number;
}

/** Samples one held track may buffer (30 s at 30 fps, position and heat): bounded memory. */
const MAX_HELD = 1800;
/** Ended static objects kept for staff to see (a flickering cone starts a new track now and then). */
const MAX_ENDED = 50;

export class Stillness {
  private readonly watches = new Map<number, Watch>();
  private readonly ended: StaticObject[] = [];

  constructor(private readonly o: StillnessOptions = DEFAULT_STILLNESS) {}

  /**
   * A fresh sighting of a track (foot point and box, both normalised; `aspect` is the
   * frame's height ÷ width so travel is measured in pixels' proportions). Returns what
   * must be credited now: the held samples, in order, the moment the track proves it
   * moves; nothing while it is held or static.
   */
  see(id: number, p: Point, box: NormBox, t: number, aspect: number): HeldSample[] {
    let w = this.watches.get(id);
    if (!w) {
      w = { state: 'held', origin: p, firstSeen: t, held: [], box, lastSeen: t };
      this.watches.set(id, w);
    }
    w.box = box;
    w.lastSeen = t;
    if (w.state === 'moving') return [];
    // travel in frame widths (y scaled by the aspect); box height likewise
    const travel = Math.hypot(p[0] - w.origin[0], (p[1] - w.origin[1]) * aspect);
    const height = (box.y2 - box.y1) * aspect;
    if (travel >= Math.max(this.o.moveHeights * height, this.o.moveMinWidth)) {
      const credit = w.state === 'held' ? w.held : [];
      w.state = 'moving';
      w.held = [];
      return credit;
    }
    if (w.state === 'held' && t - w.firstSeen >= this.o.staticAfterMs) {
      w.state = 'static';
      w.held = [];
    }
    return [];
  }

  /** Whether what this track does now counts. */
  counts(id: number): boolean {
    return this.watches.get(id)?.state === 'moving';
  }

  /** Keeps a sample of a track that has not proved it moves (dropped for a static one). */
  hold(id: number, s: HeldSample): void {
    const w = this.watches.get(id);
    if (w?.state === 'held' && w.held.length < MAX_HELD) w.held.push(s);
  }

  /** Forgets tracks the tracker no longer holds; an ended held track's samples are dropped. */
  retain(live: Set<number>, now: number): void {
    for (const [id, w] of this.watches) {
      if (live.has(id)) continue;
      this.watches.delete(id);
      if (this.listed(w))
        this.ended.push({
          trackId: id,
          box: w.box,
          since: w.firstSeen,
          lastSeen: w.lastSeen,
          present: false,
        });
    }
    while (
      this.ended.length > MAX_ENDED ||
      (this.ended.length && now - this.ended[0]!.lastSeen > this.o.forgetAfterMs)
    )
      this.ended.shift();
  }

  private listed(w: Watch): boolean {
    return w.state !== 'moving' && w.lastSeen - w.firstSeen >= this.o.listAfterMs;
  }

  /** Unmoved tracks held now, then recently ended ones, newest first. */
  staticObjects(): StaticObject[] {
    const present: StaticObject[] = [];
    for (const [id, w] of this.watches)
      if (this.listed(w))
        present.push({ trackId: id, box: w.box, since: w.firstSeen, lastSeen: w.lastSeen, present: true });
    return [...present, ...[...this.ended].reverse()];
  }

  /** Tracks that count now (for occupancy). */
  moving(ids: Iterable<number>): number {
    let n = 0;
    for (const id of ids) if (this.counts(id)) n++;
    return n;
  }
}
