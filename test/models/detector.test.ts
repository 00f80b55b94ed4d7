import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersonDetector } from '../../models/detector/detector.js';
import { ModelRejectedError } from '../../models/detector/manifest.js';
import { iou } from '../../models/detector/nms.js';
import { DetectorSlot } from '../../models/detector/slot.js';
import { MODEL_MANIFEST, visionFixture } from './fixtures.js';

// The real NanoDet model on real photographs (darknet's sample images from Debian).

async function load(name: string) {
  const { data, info } = await sharp(visionFixture(name))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

const OPTS = { threads: 1, scoreThreshold: 0.3, iouThreshold: 0.6 };

describe('person detector (NanoDet-m, ONNX)', () => {
  let det: PersonDetector;
  beforeAll(async () => {
    det = await PersonDetector.load(MODEL_MANIFEST, OPTS);
  });
  afterAll(async () => {
    await det.release();
  });

  it('finds the person in person.jpg with a sensible box, and not the dog or the horse', async () => {
    const people = await det.detect(await load('person.jpg'));
    expect(people).toHaveLength(1);
    // hand-drawn box of the standing woman in the 640×424 photograph
    expect(iou(people[0]!, { x1: 188, y1: 96, x2: 276, y2: 378 })).toBeGreaterThan(0.7);
  });

  it('finds the people in kite.jpg: several, on the beach in the lower half, most standing', async () => {
    const img = await load('kite.jpg');
    const people = await det.detect(img);
    expect(people.length).toBeGreaterThanOrEqual(3);
    for (const p of people) expect(p.y2).toBeGreaterThan(img.height * 0.5);
    // upright people are taller than wide (one far figure is crouching)
    expect(people.filter((p) => p.y2 - p.y1 > 1.5 * (p.x2 - p.x1)).length).toBeGreaterThanOrEqual(3);
  });

  it('finds nobody in horses.jpg', async () => {
    expect(await det.detect(await load('horses.jpg'))).toEqual([]);
  });

  it('finds nobody in a blank frame', async () => {
    const blank = { width: 320, height: 240, data: Buffer.alloc(320 * 240 * 3, 128) };
    expect(await det.detect(blank)).toEqual([]);
  });
});

describe('model files are verified before use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-model-'));
  const manifest = JSON.parse(readFileSync(MODEL_MANIFEST, 'utf8'));
  function copy(name: string, mutate: (bytes: Buffer, m: typeof manifest) => void): string {
    const bytes = readFileSync(join(dirname(MODEL_MANIFEST), manifest.file));
    const m = structuredClone(manifest);
    mutate(bytes, m);
    writeFileSync(join(dir, `${name}.onnx`), bytes);
    m.file = `${name}.onnx`;
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(m));
    return path;
  }

  it('refuses a corrupted file by its hash', async () => {
    const p = copy('flipped', (b) => {
      const i = b.length >> 1;
      b[i] = b[i]! ^ 0xff;
    });
    await expect(PersonDetector.load(p, OPTS)).rejects.toThrow(/sha256 .* does not match/);
  });

  it('refuses a truncated file by its size', async () => {
    const p = join(dir, 'short.json');
    copyFileSync(MODEL_MANIFEST, p);
    const m = { ...manifest, file: 'short.onnx' };
    writeFileSync(
      join(dir, 'short.onnx'),
      readFileSync(join(dirname(MODEL_MANIFEST), manifest.file)).subarray(0, 1000),
    );
    writeFileSync(p, JSON.stringify(m));
    await expect(PersonDetector.load(p, OPTS)).rejects.toThrow(/size 1000 bytes/);
  });

  it('refuses garbage that matches its own manifest: onnxruntime cannot parse it', async () => {
    const junk = Buffer.from('this is not an onnx model');
    writeFileSync(join(dir, 'junk.onnx'), junk);
    const { createHash } = await import('node:crypto');
    const m = {
      ...manifest,
      file: 'junk.onnx',
      bytes: junk.length,
      sha256: createHash('sha256').update(junk).digest('hex'),
    };
    writeFileSync(join(dir, 'junk.json'), JSON.stringify(m));
    const err = await PersonDetector.load(join(dir, 'junk.json'), OPTS).catch((e) => e);
    expect(err).toBeInstanceOf(ModelRejectedError);
    expect(String(err.message)).toMatch(/onnxruntime cannot load it/);
  });

  it('refuses a valid model whose manifest names the wrong input', async () => {
    const p = copy('wronginput', (_b, m) => {
      m.input.name = 'images';
    });
    await expect(PersonDetector.load(p, OPTS)).rejects.toThrow(/no input named images/);
  });

  it('refuses an invalid manifest, naming the field', async () => {
    const p = copy('badmanifest', (_b, m) => {
      m.input.size = 'big';
    });
    await expect(PersonDetector.load(p, OPTS)).rejects.toThrow(/\/input\/size/);
  });

  it('hot swap: a bad model leaves the running one in service; a good one replaces it', async () => {
    const slot = new DetectorSlot(OPTS);
    const first = await slot.load(MODEL_MANIFEST);
    const bad = copy('bad-swap', (b) => {
      b[100] = b[100]! ^ 1;
    });
    await expect(slot.load(bad)).rejects.toBeInstanceOf(ModelRejectedError);
    expect(slot.current()).toBe(first);
    const img = await load('person.jpg');
    // a swap while a frame is inside the old model: that frame still completes
    const inFlight = slot.use((d) => d.detect(img));
    const second = await slot.load(copy('good-swap', () => {}));
    expect(slot.current()).toBe(second);
    expect(await inFlight).toHaveLength(1);
    expect(await slot.use((d) => d.detect(img))).toHaveLength(1);
    await slot.close();
  });
});
