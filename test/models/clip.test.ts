import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingAccuracy, type LabelledCrossing } from '../../models/analytics/accuracy.js';
import type { Crossing } from '../../models/analytics/lines.js';
import { DetectorSlot } from '../../models/detector/slot.js';
import { CameraPipeline, runCamera } from '../../models/pipeline.js';
import { MODEL_MANIFEST, vtestSource } from './fixtures.js';

// The whole pipeline (ffmpeg → motion gate → NanoDet → ByteTrack → line) on a real clip
// of people walking, against hand-labelled crossings (test/fixtures/vision/vtest-line-labels.json).

const labels = JSON.parse(
  readFileSync(new URL('../fixtures/vision/vtest-line-labels.json', import.meta.url), 'utf8'),
) as { line: { id: string; a: [number, number]; b: [number, number] }; crossings: LabelledCrossing[] };

describe('people counting on a real clip', () => {
  const slot = new DetectorSlot({ threads: 2, scoreThreshold: 0.2, iouThreshold: 0.6 });
  beforeAll(async () => {
    await slot.load(MODEL_MANIFEST);
  });
  afterAll(() => slot.close());

  it('counts line crossings in and out close to the hand labels', async () => {
    const counted: Crossing[] = [];
    let frames = 0;
    let inferred = 0;
    const pipeline = new CameraPipeline(
      {
        id: 'vtest',
        lines: [{ ...labels.line, band: 0.02 }],
        zones: [],
        motion: { threshold: 0.002, pixelDelta: 12, maxSkipMs: 1000 },
      },
      slot,
      {
        crossing: (c) => counted.push(c),
        frame: (s) => {
          frames++;
          if (s.inferred) inferred++;
        },
      },
    );
    await runCamera(vtestSource(10), pipeline, new AbortController().signal);
    expect(frames).toBe(795);

    const acc = countingAccuracy(
      labels.crossings.map((c) => ({ t: c.t * 1000, direction: c.direction })),
      counted.map((c) => ({ t: c.t, direction: c.direction })),
      1500,
    );
    const report = { clip: 'vtest.avi', frames, inferred, toleranceMs: 1500, ...acc, crossings: counted };
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/vision-accuracy.json', `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `vtest.avi: ${acc.labelled} labelled crossings, ${acc.counted} counted, ${acc.matched} matched; ` +
        `precision ${acc.precision.toFixed(2)}, recall ${acc.recall.toFixed(2)}, F1 ${acc.f1.toFixed(2)}`,
    );
    expect(acc.recall).toBeGreaterThanOrEqual(0.8);
    expect(acc.precision).toBeGreaterThanOrEqual(0.8);
  }, 180_000);
});
