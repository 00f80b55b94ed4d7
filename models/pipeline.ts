import { Background } from './analytics/background.js';
import { footPoint, insidePolygon, type Point } from './analytics/geometry.js';
import { type FloorConfig, Heatmap } from './analytics/heatmap.js';
import { CountingLine, type Crossing, type LineConfig } from './analytics/lines.js';
import {
  DEFAULT_STILLNESS,
  type HeldSample,
  type StaticObject,
  Stillness,
  type StillnessOptions,
} from './analytics/stillness.js';
import { Zone, type ZoneConfig, type ZoneVisit } from './analytics/zones.js';
import type { Frame } from './detector/letterbox.js';
import type { Detection } from './detector/nms.js';
import { MotionGate, type MotionOptions } from './motion.js';
import type { FrameSource, TimedFrame } from './sources/source.js';
import { ByteTracker, DEFAULT_TRACKER, type Track, type TrackerOptions } from './tracker/bytetrack.js';

// One camera's analytics: motion gate → detector → tracker → lines, zones and floor
// heatmap. It hands out plain events and counters; storing and syncing them is the
// daemon's business (edge/vision), so this folder knows nothing of SQLite or MQTT.

export interface CameraAnalyticsConfig {
  id: string;
  lines: LineConfig[];
  zones: ZoneConfig[];
  floor?: FloorConfig;
  motion: MotionOptions;
  tracker?: Partial<TrackerOptions>;
  stillness?: Partial<StillnessOptions>;
  /** Regions drawn by staff where nobody can stand (a poster, a mannequin): detections
   * whose feet fall inside are dropped before tracking. */
  ignore?: readonly (readonly Point[])[];
}

export interface FrameStats {
  cameraId: string;
  t: number;
  inferred: boolean;
  people: number;
  /** Detector time for this frame (0 when gated out). */
  inferMs: number;
}

export interface PipelineListener {
  crossing?(c: Crossing & { cameraId: string }): void;
  visit?(v: ZoneVisit & { cameraId: string }): void;
  frame?(s: FrameStats): void;
  /** After each inferred frame: what the detector found and the tracks it fed (for accuracy checks). */
  tracked?(s: { t: number; detections: Detection[]; tracks: Track[]; counting: number[] }): void;
}

/** What the pipeline needs of the model in service: the daemon's DetectorSlot, or in the
 * accuracy tests a replay of the same model's recorded detections. */
export interface Detects {
  use<T>(fn: (d: { detect(f: Frame): Promise<Detection[]> }) => Promise<T>): Promise<T | undefined>;
}

/** Longest gap credited to the heatmap between two frames (a stalled camera adds nothing). */
const MAX_PRESENCE_STEP_S = 1;

export class CameraPipeline {
  private readonly gate: MotionGate;
  private readonly tracker: ByteTracker;
  private readonly lines: CountingLine[];
  private readonly zones: Zone[];
  private readonly heat: Heatmap | undefined;
  private readonly still: Stillness;
  private readonly background = new Background();
  private tracks: Track[] = [];
  private lastT: number | undefined;
  private lastSize = { width: 1, height: 1 };

  constructor(
    readonly cfg: CameraAnalyticsConfig,
    private readonly detector: Detects,
    private readonly listener: PipelineListener = {},
  ) {
    this.gate = new MotionGate(cfg.motion);
    this.tracker = new ByteTracker({ ...DEFAULT_TRACKER, ...cfg.tracker });
    this.lines = cfg.lines.map((l) => new CountingLine(l));
    this.zones = cfg.zones.map((z) => new Zone(z));
    this.heat = cfg.floor ? new Heatmap(cfg.floor) : undefined;
    this.still = new Stillness({ ...DEFAULT_STILLNESS, ...cfg.stillness });
  }

  async process({ frame, t }: TimedFrame): Promise<void> {
    this.lastSize = { width: frame.width, height: frame.height };
    this.background.add(frame);
    const inferred = this.gate.check(frame, t);
    let inferMs = 0;
    if (inferred) {
      const started = performance.now();
      const dets: Detection[] | undefined = await this.detector.use((d) => d.detect(frame));
      inferMs = performance.now() - started;
      // No model in service: the camera idles rather than inventing an empty store.
      if (dets) this.step(dets, t);
    }
    this.accumulate(t);
    this.listener.frame?.({ cameraId: this.cfg.id, t, inferred, people: this.people(), inferMs });
  }

  private step(dets: Detection[], t: number): void {
    const { width, height } = this.lastSize;
    const ignore = this.cfg.ignore;
    const kept = ignore?.length
      ? dets.filter((d) => !ignore.some((poly) => insidePolygon(footPoint(d, width, height), poly)))
      : dets;
    this.tracks = this.tracker.update(kept, t);
    for (const tr of this.tracks) {
      if (tr.lastSeen !== t) continue; // predicted only: no fresh position to judge by
      const p = footPoint(tr, width, height);
      const box = { x1: tr.x1 / width, y1: tr.y1 / height, x2: tr.x2 / width, y2: tr.y2 / height };
      for (const s of this.still.see(tr.id, p, box, t, height / width)) this.credit(tr.id, s);
      this.credit(tr.id, { kind: 'at', p, t });
    }
    const live = this.tracker.liveIds();
    this.still.retain(live, t);
    this.listener.tracked?.({
      t,
      detections: kept,
      tracks: this.tracks,
      counting: this.tracks.filter((tr) => this.still.counts(tr.id)).map((tr) => tr.id),
    });
    for (const line of this.lines) line.retain(live);
    for (const zone of this.zones)
      for (const v of zone.retain(live)) this.listener.visit?.({ ...v, cameraId: this.cfg.id });
  }

  /** Applies what a track did if it counts; holds it while the track has not moved yet. */
  private credit(id: number, s: HeldSample): void {
    if (!this.still.counts(id)) {
      this.still.hold(id, s);
      return;
    }
    if (s.kind === 'heat') {
      this.heat?.add(s.p, s.seconds);
      return;
    }
    for (const line of this.lines) {
      const c = line.update(id, s.p, s.t);
      if (c) this.listener.crossing?.({ ...c, cameraId: this.cfg.id });
    }
    for (const zone of this.zones) {
      const v = zone.update(id, s.p, s.t);
      if (v) this.listener.visit?.({ ...v, cameraId: this.cfg.id });
    }
  }

  /** Tracked people who count: confirmed tracks that have moved. */
  private people(): number {
    return this.still.moving(this.tracks.map((tr) => tr.id));
  }

  private accumulate(t: number): void {
    const dt =
      this.lastT === undefined ? 0 : Math.min(MAX_PRESENCE_STEP_S, Math.max(0, (t - this.lastT) / 1000));
    this.lastT = t;
    if (!this.heat || dt === 0) return;
    const { width, height } = this.lastSize;
    for (const tr of this.tracks)
      this.credit(tr.id, { kind: 'heat', p: footPoint(tr, width, height), seconds: dt });
  }

  /** Things the camera took for people that never moved: ignored, and listed for staff. */
  staticObjects(): StaticObject[] {
    return this.still.staticObjects();
  }

  /** The camera's still scene (people walking by removed), kept in memory only. */
  scene(): Frame | undefined {
    return this.background.snapshot();
  }

  /** People the camera sees now, and per zone. */
  occupancy(): { visible: number; zones: Record<string, number> } {
    return {
      visible: this.people(),
      zones: Object.fromEntries(this.zones.map((z) => [z.cfg.id, z.occupancy()])),
    };
  }

  /** Presence-seconds per floor cell since the last call, or undefined without a floor plan. */
  takeHeatmap(): { cells: Float64Array; floor: FloorConfig } | undefined {
    return this.heat ? { cells: this.heat.take(), floor: this.heat.cfg } : undefined;
  }

  /** Ends every open zone visit (camera stopping). */
  finish(): void {
    this.tracks = [];
    this.still.retain(new Set(), this.lastT ?? 0);
    for (const zone of this.zones)
      for (const v of zone.retain(new Set())) this.listener.visit?.({ ...v, cameraId: this.cfg.id });
  }
}

/** Feeds a source into a pipeline until the source ends or the signal aborts. */
export async function runCamera(
  source: FrameSource,
  pipeline: CameraPipeline,
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const f of source.frames(signal)) {
      await pipeline.process(f);
      if (signal.aborted) break;
    }
  } finally {
    pipeline.finish();
  }
}
