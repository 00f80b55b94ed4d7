// Vision cost per frame on this machine, on real footage (the OpenCV walking clip):
//   raw     `session.run` on a prepared tensor: the model alone (the baseline)
//   detect  letterbox + run + NanoDet decode + NMS
//   full    the camera pipeline: motion gate + detect + tracker + line + zone + heatmap
// each at 1 and 2 onnxruntime threads, on frames as the daemon decodes them (ffmpeg
// scales 768×576 to the model's 416×312 as it decodes, so the detector only pads), and
// the full pipeline also on 768×576 frames, resized in process by sharp. ffmpeg's
// decode per frame at both sizes. How many cameras fit is measured in the daemon
// itself: bench/cameras.bench.ts.
import { type Frame, fitSize, letterbox } from '../models/detector/letterbox.js';
import { DetectorSlot } from '../models/detector/slot.js';
import { CameraPipeline } from '../models/pipeline.js';
import { bundledModelManifest } from '../models/weights/index.js';
import { VTEST_FLOOR, VTEST_SCENE, vtestSource } from '../test/models/fixtures.js';

const FRAMES = 120;

async function decode(
  n: number,
  size?: { width: number; height: number },
): Promise<{ frames: Frame[]; msPerFrame: number }> {
  const source = vtestSource(10, size);
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
      lines: [{ ...VTEST_SCENE.pathWest, band: 0.02 }],
      zones: [{ id: 'z', polygon: VTEST_SCENE.lampPost, minDwellMs: 1000, exitGraceMs: 1000 }],
      floor: VTEST_FLOOR,
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
  const manifest = bundledModelManifest();
  const fitted = fitSize(768, 576, 416);
  const { frames: big, msPerFrame: decodeBigMs } = await decode(FRAMES);
  const { frames, msPerFrame: decodeMs } = await decode(FRAMES, fitted);
  const rows: string[] = [];
  for (const threads of [1, 2]) {
    const slot = new DetectorSlot({ threads, scoreThreshold: 0.2, iouThreshold: 0.6 });
    const det = await slot.load(manifest);
    const m = det.manifest.input;
    const tensor = (await letterbox(frames[0]!, m.size, { mean: m.mean, std: m.std, bgr: true })).tensor;
    const raw = await timeIt(FRAMES, () => det.runRaw(tensor));
    const detect = await timeIt(FRAMES, (i) => det.detect(frames[i % frames.length]!));
    const p = pipeline(slot, 'bench');
    const full = await timeIt(FRAMES, (i) => p.process({ frame: frames[i % frames.length]!, t: i * 200 }));
    const q = pipeline(slot, 'bench-big');
    const fullBig = await timeIt(FRAMES, (i) => q.process({ frame: big[i % big.length]!, t: i * 200 }));
    rows.push(
      `| ${threads} | ${raw.toFixed(1)} | ${detect.toFixed(1)} | ${full.toFixed(1)} | ${(full / raw).toFixed(2)}× | ${fullBig.toFixed(1)} (${(fullBig / raw).toFixed(2)}×) |`,
    );
    await slot.close();
  }
  console.log(
    `frames: ${FRAMES} of vtest.avi; ffmpeg decode ${decodeMs.toFixed(1)} ms/frame at ${fitted.width}×${fitted.height} (the daemon's), ${decodeBigMs.toFixed(1)} at 768×576`,
  );
  console.log(
    `| ORT threads | raw session.run ms | detect ms | full pipeline ms | full ÷ raw | full pipeline on 768×576 frames, ms (÷ raw) |`,
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}
