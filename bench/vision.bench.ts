// Vision cost per frame on this machine, on real footage (the OpenCV walking clip):
//   raw     `session.run` on a prepared tensor: the model alone (the baseline)
//   detect  letterbox with sharp + run + NanoDet decode + NMS
//   full    the camera pipeline: motion gate + detect + tracker + line + zone + heatmap
// each at 1 and 2 onnxruntime threads; ffmpeg's decode per frame; and how many cameras
// at 5 fps fit on this machine's cores, computed and then measured with that many
// pipelines running at once.
import { availableParallelism } from 'node:os';
import { type Frame, letterbox } from '../models/detector/letterbox.js';
import { DetectorSlot } from '../models/detector/slot.js';
import { CameraPipeline } from '../models/pipeline.js';
import { bundledModelManifest } from '../models/weights/index.js';
import { vtestSource } from '../test/models/fixtures.js';

const FRAMES = 120;
const FPS = 5;

async function decode(n: number): Promise<{ frames: Frame[]; msPerFrame: number }> {
  const source = vtestSource(10);
  const ac = new AbortController();
  const frames: Frame[] = [];
  const t0 = performance.now();
  for await (const f of source.frames(ac.signal)) {
    frames.push(f.frame);
    if (frames.length === n) ac.abort();
  }
  return { frames, msPerFrame: (performance.now() - t0) / frames.length };
}

function pipeline(slot: DetectorSlot, id: string): CameraPipeline {
  return new CameraPipeline(
    {
      id,
      lines: [{ id: 'path-west', a: [0.25, 0.2257], b: [0.25, 0.6597], band: 0.02 }],
      zones: [
        {
          id: 'z',
          polygon: [
            [0.45, 0.3],
            [0.72, 0.3],
            [0.72, 0.62],
            [0.45, 0.62],
          ],
          minDwellMs: 1000,
          exitGraceMs: 1000,
        },
      ],
      floor: { homography: [20, 0, 0, 0, 14, 0, 0, 0.5, 0.75], cellM: 0.5, cols: 54, rows: 24 },
      // every frame inferred: the outdoor clip moves all the time anyway, and this is the worst case
      motion: { threshold: 0, pixelDelta: 12, maxSkipMs: 0 },
    },
    slot,
  );
}

async function timeIt(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

export async function run(): Promise<void> {
  const { frames, msPerFrame: decodeMs } = await decode(FRAMES);
  const manifest = bundledModelManifest();
  const rows: string[] = [];
  const results: Record<number, { raw: number; detect: number; full: number }> = {};
  for (const threads of [1, 2]) {
    const slot = new DetectorSlot({ threads, scoreThreshold: 0.2, iouThreshold: 0.6 });
    const det = await slot.load(manifest);
    const m = det.manifest.input;
    const tensor = (await letterbox(frames[0]!, m.size, { mean: m.mean, std: m.std, bgr: true })).tensor;
    const raw = await timeIt(FRAMES, () => det.runRaw(tensor));
    const detect = await timeIt(FRAMES, (i) => det.detect(frames[i % frames.length]!));
    const p = pipeline(slot, 'bench');
    const full = await timeIt(FRAMES, (i) => p.process({ frame: frames[i % frames.length]!, t: i * 200 }));
    results[threads] = { raw, detect, full };
    rows.push(
      `| ${threads} | ${raw.toFixed(1)} | ${detect.toFixed(1)} | ${full.toFixed(1)} | ${(full / raw).toFixed(2)}× |`,
    );
    await slot.close();
  }
  console.log(
    `frames: ${frames.length} of vtest.avi at 768×576; ffmpeg decode ${decodeMs.toFixed(1)} ms/frame`,
  );
  console.log('| ORT threads | raw session.run ms | detect ms | full pipeline ms | full ÷ raw |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);

  // Capacity: a camera at 5 fps costs 5 × (pipeline + decode) ms of one core each second.
  const cores = availableParallelism();
  const perCamera = FPS * (results[1]!.full + decodeMs);
  const computed = Math.floor((cores * 1000) / perCamera);
  // Measured: that many single-thread pipelines at once, each over the same frames.
  const k = Math.max(1, computed);
  const slots = await Promise.all(
    Array.from({ length: k }, async () => {
      const s = new DetectorSlot({ threads: 1, scoreThreshold: 0.2, iouThreshold: 0.6 });
      await s.load(manifest);
      return s;
    }),
  );
  const pipes = slots.map((s, i) => pipeline(s, `cam${i}`));
  const t0 = performance.now();
  await Promise.all(
    pipes.map(async (p) => {
      for (let i = 0; i < frames.length; i++) await p.process({ frame: frames[i]!, t: i * 200 });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const aggregateFps = (k * frames.length) / seconds;
  await Promise.all(slots.map((s) => s.close()));
  console.log(
    `cameras at ${FPS} fps on ${cores} cores: ${computed} by arithmetic (${perCamera.toFixed(0)} ms of a core per camera-second, decode included); ` +
      `measured with ${k} pipelines at once: ${aggregateFps.toFixed(1)} frames/s in all = ${(aggregateFps / FPS).toFixed(1)} cameras' worth (decode not included)`,
  );
}
