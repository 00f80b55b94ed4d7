import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { applyHomography } from '../../models/analytics/geometry.js';
import { fitSize } from '../../models/detector/letterbox.js';
import { ModelRejectedError } from '../../models/detector/manifest.js';
import { DetectorSlot } from '../../models/detector/slot.js';
import { type CameraAnalyticsConfig, CameraPipeline, runCamera } from '../../models/pipeline.js';
import { FfmpegSource } from '../../models/sources/ffmpeg-source.js';
import { FolderSource } from '../../models/sources/folder-source.js';
import type { FrameSource } from '../../models/sources/source.js';
import { bundledModelManifest } from '../../models/weights/index.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import type { Db } from '../db/open.js';
import type { ZonePlace } from '../guides/calls.js';
import { VisionAggregates } from './aggregates.js';
import { bucketOf, startOfLocalDay } from './buckets.js';
import { queueLayout } from './layout.js';
import { ModelStore } from './model-store.js';
import { footfallSince } from './queries.js';
import type { CameraScene } from './render.js';

// The vision part: one model shared by every camera, one pipeline per camera, and the
// aggregates they feed. A camera that fails is retried by its source; a model that
// fails to load leaves the cameras idle (and says so in /readyz) but never stops the
// store from selling.

type CameraCfg = Config['cameras'][number];

export interface VisionPartOptions {
  vision: Config['vision'];
  cameras: CameraCfg[];
  db: () => Db;
  log: Logger;
  timezone: string;
  /** Where pushed models are kept (beside the database); absent: model pushes are refused. */
  modelDir?: string | undefined;
  acceptsTelemetry: () => boolean;
  now?: () => number;
}

interface CameraRun {
  cfg: CameraCfg;
  pipeline: CameraPipeline;
  source: FrameSource;
  done: Promise<void>;
  frames: number;
  inferred: number;
  inferMs: number;
  lastFrameAt: number | null;
  error: string | null;
  /** The source ran out and everything it produced is flushed to SQLite. */
  finished: boolean;
}

export interface ModelInstallResult {
  status: 'applied' | 'rejected';
  problems?: string[];
  model?: { id: string; version: string; sha256: string };
}

function analyticsConfig(c: CameraCfg): CameraAnalyticsConfig {
  const fp = c.floorPlan;
  return {
    id: c.id,
    // "in" is crossing to the left of a→b; a line whose inside is on the right is walked the other way
    lines: c.lines.map((l) => ({
      id: l.id,
      a: l.inSide === 'left' ? l.a : l.b,
      b: l.inSide === 'left' ? l.b : l.a,
      band: l.band,
    })),
    zones: c.zones.map((z) => ({
      id: z.id,
      polygon: z.polygon,
      minDwellMs: z.minDwellSeconds * 1000,
      exitGraceMs: z.exitGraceSeconds * 1000,
    })),
    ...(fp
      ? {
          floor: {
            homography: fp.homography,
            cellM: fp.cellM,
            cols: Math.ceil(fp.widthM / fp.cellM),
            rows: Math.ceil(fp.depthM / fp.cellM),
          },
        }
      : {}),
    motion: c.motion,
    stillness: {
      moveHeights: c.stillness.moveHeights,
      staticAfterMs: c.stillness.staticAfterSeconds * 1000,
    },
    ignore: c.ignore.map((r) => r.polygon),
  };
}

/** What staff and operators see of people counting (GET /api/v1/vision/status, /readyz). */
export type VisionDetails = {
  enabled: boolean;
  model: { id: string; version: string; sha256: string; pushedVersion: number | null } | null;
  modelError: string | null;
  telemetrySkipped: number;
  cameras: {
    id: string;
    source: string;
    state: string;
    frames: number;
    inferred: number;
    dropped: number;
    inferMs: number;
    lastFrameAt: number | null;
    error: string | null;
    /** Things the camera took for people that never moved, ignored (normalised boxes). */
    staticObjects: {
      box: [number, number, number, number];
      since: number;
      lastSeen: number;
      present: boolean;
    }[];
  }[];
};

export class VisionPart implements Part {
  readonly name = 'vision';
  readonly aggregates: VisionAggregates;
  private readonly slot: DetectorSlot;
  private readonly runs = new Map<string, CameraRun>();
  private abort = new AbortController();
  private flushTimer: NodeJS.Timeout | null = null;
  private modelError: string | null = null;
  private modelVersion: number | null = null;
  private installing: Promise<unknown> = Promise.resolve();
  private readonly models: ModelStore | null;
  private readonly now: () => number;

  constructor(private readonly o: VisionPartOptions) {
    this.now = o.now ?? Date.now;
    this.slot = new DetectorSlot({
      threads: o.vision.threads,
      scoreThreshold: o.vision.detectScore,
      iouThreshold: o.vision.nmsIou,
    });
    this.aggregates = new VisionAggregates({ db: o.db, now: this.now, acceptsTelemetry: o.acceptsTelemetry });
    this.models = o.modelDir ? new ModelStore(o.modelDir) : null;
  }

  async start(): Promise<void> {
    if (!this.o.vision.enabled || this.o.cameras.length === 0) return;
    queueLayout(this.o.db(), this.o.cameras, this.now());
    await this.loadInitialModel();
    this.abort = new AbortController();
    for (const cfg of this.o.cameras) this.startCamera(cfg);
    this.flushTimer = setInterval(() => this.flush(), this.o.vision.flushSeconds * 1000);
    this.flushTimer.unref();
  }

  private async loadInitialModel(): Promise<void> {
    const pushed = this.models?.active();
    const candidates = [
      ...(pushed ? [{ path: pushed.manifestPath, version: pushed.version }] : []),
      { path: this.o.vision.model || bundledModelManifest(), version: null },
    ];
    for (const c of candidates) {
      try {
        const d = await this.slot.load(c.path);
        this.modelVersion = c.version;
        this.modelError = null;
        this.o.log.info(
          { model: d.manifest.id, version: d.manifest.version, pushed: c.version },
          'vision model loaded',
        );
        return;
      } catch (err) {
        this.modelError = (err as Error).message;
        this.o.log.error({ err: this.modelError, path: c.path }, 'vision model refused');
      }
    }
  }

  private source(cfg: CameraCfg): FrameSource {
    const onError = (message: string) => {
      const run = this.runs.get(cfg.id);
      if (run) run.error = message;
      this.o.log.warn({ camera: cfg.id, err: message }, 'camera source failed; reconnecting');
    };
    // decoded straight at the size the model sees (ffmpeg scales as it decodes), so the
    // detector only pads; analytics work in the frame's own proportions either way
    const model = this.slot.current()?.manifest.input.size;
    const { width, height } = model
      ? fitSize(cfg.frameSize.width, cfg.frameSize.height, model)
      : cfg.frameSize;
    if (cfg.source.type === 'images')
      return new FolderSource(cfg.source.url, { fps: cfg.fps, width, height, onError });
    return new FfmpegSource({
      kind: cfg.source.type === 'mjpeg' ? 'http' : cfg.source.type,
      input: cfg.source.url,
      fps: cfg.fps,
      width,
      height,
      loop: cfg.source.loop,
      realtime: cfg.source.realtime,
      // a recording analysed faster than real time keeps its own timeline
      ...(cfg.source.type === 'file' && !cfg.source.realtime
        ? { mediaEpoch: cfg.source.startedAt ? Date.parse(cfg.source.startedAt) : this.now() }
        : {}),
      reconnect: { baseMs: 1000, capMs: 30_000 },
      onError,
    });
  }

  private startCamera(cfg: CameraCfg): void {
    const footfall = new Map(cfg.lines.map((l) => [l.id, l.footfall]));
    const run: Partial<CameraRun> = {
      cfg,
      frames: 0,
      inferred: 0,
      inferMs: 0,
      lastFrameAt: null,
      error: null,
      finished: false,
    };
    const pipeline = new CameraPipeline(analyticsConfig(cfg), this.slot, {
      crossing: (c) =>
        this.aggregates.crossing(cfg.id, c.lineId, footfall.get(c.lineId) ?? false, c.direction, c.t),
      visit: (v) => this.aggregates.visit(cfg.id, v.zoneId, v.exit, v.dwellMs),
      frame: (s) => {
        run.frames!++;
        // heat belongs to the quarter hour its frames show (a recording analysed off real
        // time included): a frame in a new quarter hands the last one's heat over first
        if (run.lastFrameAt !== null && run.lastFrameAt !== undefined)
          if (bucketOf(s.t, '15m') !== bucketOf(run.lastFrameAt, '15m'))
            this.takeHeat(run as CameraRun, run.lastFrameAt);
        run.lastFrameAt = s.t;
        run.error = null;
        if (s.inferred) {
          run.inferred!++;
          // moving average: what one inference costs on this machine now
          run.inferMs = run.inferMs! ? run.inferMs! * 0.9 + s.inferMs * 0.1 : s.inferMs;
        }
      },
    });
    const source = this.source(cfg);
    run.pipeline = pipeline;
    run.source = source;
    run.done = runCamera(source, pipeline, this.abort.signal)
      .catch((err: Error) => {
        run.error = err.message;
        this.o.log.error({ camera: cfg.id, err: err.message }, 'camera stopped');
      })
      .then(() => {
        // A recording that ran out is a closed period: its last seconds go to SQLite now,
        // before the camera reads 'ended', so staff and HQ read the same figures for it
        // from then on instead of waiting for the next timer flush.
        if (this.abort.signal.aborted) return;
        this.flush();
        run.finished = true;
      });
    this.runs.set(cfg.id, run as CameraRun);
  }

  /** Moves heatmap seconds and tallies into SQLite and the outbox. */
  flush(): void {
    const now = this.now();
    for (const run of this.runs.values()) this.takeHeat(run, run.lastFrameAt ?? now);
    try {
      // old buckets are pruned by housekeeping
      this.aggregates.flush();
    } catch (err) {
      // a full disk refuses the write; the tallies stay in memory for the next try
      this.o.log.error({ err: (err as Error).message }, 'vision aggregates not written');
    }
  }

  /** The camera's heat since the last take, stamped with the time of the frames it came from. */
  private takeHeat(run: CameraRun, at: number): void {
    const h = run.pipeline.takeHeatmap();
    if (h)
      this.aggregates.heatmap(run.cfg.id, at, {
        cols: h.floor.cols,
        rows: h.floor.rows,
        cellM: h.floor.cellM,
        cells: h.cells,
      });
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.abort.abort();
    await Promise.all([...this.runs.values()].map((r) => r.done));
    this.flush();
    this.runs.clear();
    await this.slot.close();
  }

  /** The zones with the product categories on their shelves (for dwell against sales). */
  zoneCategories(): { cameraId: string; zoneId: string; categories: string[] }[] {
    return this.o.cameras.flatMap((c) =>
      c.zones
        .filter((z) => z.categories.length)
        .map((z) => ({ cameraId: c.id, zoneId: z.id, categories: z.categories })),
    );
  }

  /** Every zone, with its shelves' categories and its centre in floor metres where the
   * camera has a floor plan (the guide page's "nearest first"). */
  zonePlaces(): ZonePlace[] {
    return this.o.cameras.flatMap((c) =>
      c.zones.map((z) => {
        const n = z.polygon.length;
        const mid: [number, number] = [
          z.polygon.reduce((a, p) => a + p[0]!, 0) / n,
          z.polygon.reduce((a, p) => a + p[1]!, 0) / n,
        ];
        const centre = c.floorPlan ? applyHomography(c.floorPlan.homography, mid) : null;
        return { cameraId: c.id, zoneId: z.id, categories: z.categories, centre };
      }),
    );
  }

  /** People in each zone now, by camera (what the queue watch reads every second). */
  zoneOccupancy(): Map<string, Record<string, number>> {
    return new Map([...this.runs.values()].map((r) => [r.cfg.id, r.pipeline.occupancy().zones]));
  }

  /** Live occupancy: the store's from its entrance lines today, and what each camera sees. */
  occupancy(): {
    store: { ins: number; outs: number; inside: number; since: number };
    cameras: { id: string; visible: number; zones: Record<string, number> }[];
  } {
    const since = startOfLocalDay(this.now(), this.o.timezone);
    const stored = footfallSince(this.o.db(), since);
    const pending = this.aggregates.pendingFootfall(since);
    const ins = stored.ins + pending.ins;
    const outs = stored.outs + pending.outs;
    return {
      // people leaving who came in before midnight, or missed ins, must not make it negative
      store: { ins, outs, inside: Math.max(0, ins - outs), since },
      cameras: [...this.runs.values()].map((r) => ({ id: r.cfg.id, ...r.pipeline.occupancy() })),
    };
  }

  /**
   * Installs a model HQ pushed: staged on disk, loaded and tried, then put in service.
   * One at a time, so two pushes arriving together cannot finish out of order.
   */
  installModel(version: number, body: unknown): Promise<ModelInstallResult> {
    const next = this.installing.then(() => this.install(version, body));
    this.installing = next.catch(() => undefined);
    return next;
  }

  private async install(version: number, body: unknown): Promise<ModelInstallResult> {
    if (!this.models) return { status: 'rejected', problems: ['this store keeps no pushed models'] };
    if (this.modelVersion !== null && version <= this.modelVersion)
      return {
        status: 'rejected',
        problems: [`/version: ${version} is not newer than ${this.modelVersion}`],
      };
    let manifestPath: string;
    try {
      manifestPath = this.models.stage(version, body);
    } catch (err) {
      return { status: 'rejected', problems: [(err as Error).message] };
    }
    try {
      const d = await this.slot.load(manifestPath);
      this.models.activate(version, manifestPath);
      this.modelVersion = version;
      this.modelError = null;
      this.o.log.info({ model: d.manifest.id, version }, 'pushed vision model in service');
      return {
        status: 'applied',
        model: { id: d.manifest.id, version: d.manifest.version, sha256: d.manifest.sha256 },
      };
    } catch (err) {
      this.models.discard(manifestPath);
      const message =
        err instanceof ModelRejectedError ? err.message : `model refused: ${(err as Error).message}`;
      this.o.log.warn({ version, err: message }, 'pushed vision model refused; the running model stays');
      return { status: 'rejected', problems: [message] };
    }
  }

  /** The model in service ({id: null}: none could be loaded; undefined when people
   * counting is off): for the metrics the alert rules watch. */
  modelInService(): { id: string | null } | undefined {
    if (!this.o.vision.enabled) return undefined;
    return { id: this.slot.current()?.manifest.id ?? null };
  }

  details(): VisionDetails {
    const m = this.slot.current()?.manifest;
    return {
      enabled: this.o.vision.enabled,
      model: m ? { id: m.id, version: m.version, sha256: m.sha256, pushedVersion: this.modelVersion } : null,
      modelError: this.modelError,
      telemetrySkipped: this.aggregates.skippedTelemetry(),
      cameras: [...this.runs.values()].map((r) => ({
        id: r.cfg.id,
        source: r.source.label,
        // 'ended' only once the run's last tallies are stored (see startCamera)
        state: r.finished ? 'ended' : r.source.state() === 'ended' ? 'streaming' : r.source.state(),
        frames: r.frames,
        inferred: r.inferred,
        dropped: r.source.dropped(),
        inferMs: Math.round(r.inferMs * 10) / 10,
        lastFrameAt: r.lastFrameAt,
        error: r.error,
        staticObjects: r.pipeline.staticObjects().map((o) => ({
          box: [o.box.x1, o.box.y1, o.box.x2, o.box.y2].map((v) => Math.round(v * 1000) / 1000) as [
            number,
            number,
            number,
            number,
          ],
          since: o.since,
          lastSeen: o.lastSeen,
          present: o.present,
        })),
      })),
    };
  }

  /** What a camera's dashboard pictures are drawn from; undefined for a camera not running. */
  scene(cameraId: string): CameraScene | undefined {
    const run = this.runs.get(cameraId);
    if (!run) return undefined;
    const c = run.cfg;
    // without still scenes (vision.stillScene: false) the heatmap keeps its zones and
    // lines on the floor, and there is no picture nor anything found in one
    const pictures = this.o.vision.stillScene;
    return {
      cameraId,
      image: pictures ? run.pipeline.scene() : undefined,
      lines: c.lines.map((l) => ({ id: l.id, a: l.a, b: l.b })),
      zones: c.zones.map((z) => ({ id: z.id, polygon: z.polygon })),
      ignore: c.ignore.map((r) => ({ id: r.id, polygon: r.polygon })),
      staticObjects: pictures ? run.pipeline.staticObjects() : [],
      ...(c.floorPlan ? { floor: c.floorPlan } : {}),
    };
  }

  /** Whether staff may see the cameras' still scenes (config vision.stillScene). */
  showsStillScene(): boolean {
    return this.o.vision.stillScene;
  }
}

export const modelDirFor = (dbPath: string) => join(dbPath, '..', 'models');
