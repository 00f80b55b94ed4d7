import { insidePolygon, type Point } from './geometry.js';

// A polygon zone (an aisle, a promotion end, the checkout queue). A visit starts when a
// track's foot point is inside and ends when it has been outside for `exitGraceMs`
// (a person stepping across the edge for a moment is still one visit) or the track
// ends. Visits shorter than `minDwellMs` are passers-by and are not reported.

export interface ZoneConfig {
  id: string;
  polygon: readonly Point[];
  minDwellMs: number;
  exitGraceMs: number;
}

export interface ZoneVisit {
  zoneId: string;
  trackId: number;
  enter: number;
  exit: number;
  dwellMs: number;
}

interface Presence {
  enter: number;
  lastInside: number;
}

export class Zone {
  private readonly present = new Map<number, Presence>();

  constructor(readonly cfg: ZoneConfig) {
    if (cfg.polygon.length < 3) throw new Error(`zone ${cfg.id}: a polygon needs at least 3 points`);
  }

  update(trackId: number, p: Point, t: number): ZoneVisit | undefined {
    const cur = this.present.get(trackId);
    if (insidePolygon(p, this.cfg.polygon)) {
      if (cur) cur.lastInside = t;
      else this.present.set(trackId, { enter: t, lastInside: t });
      return undefined;
    }
    if (cur && t - cur.lastInside > this.cfg.exitGraceMs) return this.close(trackId, cur);
    return undefined;
  }

  /** Ends visits of tracks that are gone; returns those long enough to report. */
  retain(live: Set<number>): ZoneVisit[] {
    const out: ZoneVisit[] = [];
    for (const [id, cur] of this.present) {
      if (live.has(id)) continue;
      const v = this.close(id, cur);
      if (v) out.push(v);
    }
    return out;
  }

  private close(trackId: number, cur: Presence): ZoneVisit | undefined {
    this.present.delete(trackId);
    const dwellMs = cur.lastInside - cur.enter;
    if (dwellMs < this.cfg.minDwellMs) return undefined;
    return { zoneId: this.cfg.id, trackId, enter: cur.enter, exit: cur.lastInside, dwellMs };
  }

  /** People in the zone now. */
  occupancy(): number {
    return this.present.size;
  }
}
