import { describe, expect, it } from 'vitest';
import { centernetHeads, decodeCenterNet } from '../../models/detector/centernet.js';

// The CenterNet decoder on a hand-made head: 8×8 cells at stride 4 (a 32 px input), two
// classes. A person is a cell higher than its eight neighbours; its box is the four
// distances from the cell's corner.
function heads() {
  const side = 8;
  const heat = new Float32Array(side * side * 2);
  const box = new Float32Array(side * side * 4);
  const put = (x: number, y: number, c: number, v: number) => {
    heat[(y * side + x) * 2 + c] = v;
  };
  put(2, 3, 0, 0.9); // a person
  put(3, 3, 0, 0.6); // its shoulder: not a peak
  put(6, 6, 0, 0.5); // another person
  put(6, 1, 1, 0.95); // not a person
  box.set([4, 6, 5, 10], (3 * side + 2) * 4);
  box.set([2, 2, 2, 2], (6 * side + 6) * 4);
  return {
    heat: { dims: [1, side, side, 2], data: heat },
    wh: { dims: [1, side, side, 4], data: box },
  };
}

describe('CenterNet decoder', () => {
  it('takes 3×3 peaks of the person class and reads their boxes', () => {
    const h = centernetHeads(heads(), 32, 2);
    expect(h.stride).toBe(4);
    const dets = decodeCenterNet(h, { inputSize: 32, scoreThreshold: 0.3, classes: [0] });
    expect(dets).toEqual([
      { x1: 4, y1: 6, x2: 13, y2: 22, score: expect.closeTo(0.9, 5), cls: 0 },
      { x1: 22, y1: 22, x2: 26, y2: 26, score: 0.5, cls: 0 },
    ]);
    expect(decodeCenterNet(h, { inputSize: 32, scoreThreshold: 0.7, classes: [0] })).toHaveLength(1);
  });

  it('refuses outputs that are not a heatmap and a box map of one size', () => {
    const h = heads();
    expect(() => centernetHeads({ heat: h.heat }, 32, 2)).toThrow(/need/);
    expect(() =>
      centernetHeads({ heat: h.heat, wh: { dims: [1, 4, 4, 4], data: new Float32Array(64) } }, 32, 2),
    ).toThrow(/differ in size/);
  });
});
