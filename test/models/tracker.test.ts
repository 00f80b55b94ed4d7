import { describe, expect, it } from 'vitest';
import type { Detection } from '../../models/detector/nms.js';
import { ByteTracker } from '../../models/tracker/bytetrack.js';

// Scripted detections: boxes of people walking, at 10 frames a second.
const person = (cx: number, cy = 200, score = 0.8): Detection => ({
  x1: cx - 20,
  y1: cy - 60,
  x2: cx + 20,
  y2: cy + 60,
  score,
  cls: 0,
});

function run(frames: Detection[][], tracker = new ByteTracker()) {
  return frames.map((dets, i) => tracker.update(dets, i * 100));
}

describe('ByteTrack-style tracker', () => {
  it('gives a walking person one id, confirmed after two hits', () => {
    const out = run(Array.from({ length: 20 }, (_, i) => [person(100 + i * 8)]));
    expect(out[0]).toEqual([]); // tentative on its first frame
    const ids = new Set(out.slice(1).flatMap((ts) => ts.map((t) => t.id)));
    expect(ids.size).toBe(1);
  });

  it('keeps two people apart when they pass each other', () => {
    const frames = Array.from({ length: 30 }, (_, i) => [
      person(100 + i * 10, 200),
      person(400 - i * 10, 230),
    ]);
    const out = run(frames);
    const first = out[2]!.map((t) => [t.id, t.x1 < 250]);
    const last = out[29]!.map((t) => [t.id, t.x1 < 250]);
    // the one that started on the left ends on the right, with the same id
    const leftId = first.find(([, left]) => left)![0];
    expect(last.find(([id]) => id === leftId)![1]).toBe(false);
    expect(new Set(out.flat().map((t) => t.id)).size).toBe(2);
  });

  it('keeps the id across a short full occlusion', () => {
    const frames = Array.from({ length: 30 }, (_, i) => (i >= 10 && i < 18 ? [] : [person(100 + i * 8)]));
    const out = run(frames);
    const before = out[9]![0]!.id;
    expect(out[12]).toEqual([]); // hidden
    expect(out[18]![0]!.id).toBe(before);
  });

  it('keeps the id through a partial occlusion seen only as a weak detection', () => {
    const frames = Array.from({ length: 20 }, (_, i) => [
      person(100 + i * 8, 200, i >= 8 && i < 14 ? 0.25 : 0.8),
    ]);
    const out = run(frames);
    expect(out.slice(2).every((ts) => ts.length === 1)).toBe(true);
    expect(new Set(out.flat().map((t) => t.id)).size).toBe(1);
  });

  it('a weak detection alone never starts a track, a one-frame blip never confirms', () => {
    const out = run([[person(100, 200, 0.3)], [person(100, 200, 0.3)], [person(300)], [], [], []]);
    expect(out.flat()).toEqual([]);
  });

  it('re-entry after the lost window is a new person', () => {
    const frames = Array.from({ length: 40 }, (_, i) => (i >= 10 && i < 30 ? [] : [person(100 + i * 2)]));
    const out = run(frames);
    expect(out[35]![0]!.id).not.toBe(out[9]![0]!.id);
  });
});
