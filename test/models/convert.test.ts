// The TF.js → ONNX converter on a small graph built here: NHWC convolution (a grouped
// one too), LeakyRelu, max pool, constant folding, concat, split and reshape, run by
// onnxruntime and checked against a plain JavaScript reference.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../models/convert/onnx-proto.js';
import type { TfConst, TfGraph, TfNode } from '../../models/convert/tfjs-graph.js';
import { TfjsToOnnx } from '../../models/convert/tfjs-to-onnx.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (...i: number[]) => ({ list: { i: i.map(String) } });
// eighths: exact in float16, so the converter stores them as float16 behind a Cast
const weights = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => (((i * 7 + seed) % 17) - 8) / 8);

function graph(): { g: TfGraph; filter: Float32Array; dw: Float32Array } {
  const filter = weights(3 * 3 * 2 * 4, 1); // HWIO: 3×3, 2 in, 4 out
  const dw = weights(3 * 3 * 1 * 4, 5); // grouped: 4 groups of 1 channel
  const consts = new Map<string, TfConst>([
    ['w', { dtype: 'float32', shape: [3, 3, 2, 4], data: filter }],
    ['dw', { dtype: 'float32', shape: [3, 3, 1, 4], data: dw }],
    ['axis', { dtype: 'int32', shape: [], data: Int32Array.of(3) }],
    ['sizes', { dtype: 'int32', shape: [2], data: Int32Array.of(4, -1) }],
    ['splitdim', { dtype: 'int32', shape: [], data: Int32Array.of(3) }],
    // shape arithmetic left by earlier converters: folded, never emitted
    ['shapeA', { dtype: 'int32', shape: [3], data: Int32Array.of(0, 8, 3) }],
    ['shapeB', { dtype: 'int32', shape: [3], data: Int32Array.of(1, 1, 1) }],
  ]);
  const conv = (name: string, input: string, filterName: string, padding: string): TfNode => ({
    name,
    op: 'Conv2D',
    input: [input, filterName],
    attr: {
      padding: { s: b64(padding) },
      data_format: { s: b64('NHWC') },
      strides: ints(1, 1, 1, 1),
      dilations: ints(1, 1, 1, 1),
    },
  });
  const nodes: TfNode[] = [
    {
      name: 'x',
      op: 'Placeholder',
      attr: { shape: { shape: { dim: [{ size: 1 }, { size: 6 }, { size: 6 }, { size: 2 }] } } },
    },
    ...['w', 'dw', 'axis', 'sizes', 'splitdim', 'shapeA', 'shapeB'].map((name) => ({ name, op: 'Const' })),
    conv('c1', 'x', 'w', 'SAME'),
    { name: 'act', op: 'LeakyRelu', input: ['c1'], attr: { alpha: { f: 0.1 } } },
    conv('c2', 'act', 'dw', 'SAME'),
    {
      name: 'pool',
      op: 'MaxPool',
      input: ['c2'],
      attr: {
        ksize: ints(1, 2, 2, 1),
        strides: ints(1, 2, 2, 1),
        padding: { s: b64('VALID') },
        data_format: { s: b64('NHWC') },
      },
    },
    { name: 'both', op: 'ConcatV2', input: ['pool', 'pool', 'axis'] },
    { name: 'split', op: 'SplitV', input: ['both', 'sizes', 'splitdim'] },
    { name: 'shape', op: 'AddV2', input: ['shapeA', 'shapeB'] },
    { name: 'flat', op: 'Reshape', input: ['split:1', 'shape'] },
    { name: 'out', op: 'Identity', input: ['flat'] },
  ];
  return {
    g: {
      nodes,
      consts,
      inputs: [{ name: 'x', shape: [1, 6, 6, 2] }],
      outputs: ['out'],
      meta: { generatedBy: 't', convertedBy: 't' },
    },
    filter,
    dw,
  };
}

/** Reference NHWC convolution, SAME padding, stride 1, with groups. */
function conv(
  x: Float32Array,
  h: number,
  w: number,
  ci: number,
  f: Float32Array,
  fin: number,
  co: number,
): Float32Array {
  const out = new Float32Array(h * w * co);
  const groups = ci / fin;
  const perGroup = co / groups;
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let o = 0; o < co; o++) {
        const g = Math.floor(o / perGroup);
        let s = 0;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1;
            const ix = xx + kx - 1;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            for (let i = 0; i < fin; i++)
              s += x[(iy * w + ix) * ci + g * fin + i]! * f[((ky * 3 + kx) * fin + i) * co + o]!;
          }
        out[(y * w + xx) * co + o] = s;
      }
  return out;
}

describe('TF.js graph → ONNX converter', () => {
  it('gives the same numbers as a plain reference', async () => {
    const { g, filter, dw } = graph();
    const model = new TfjsToOnnx(g).convert({ producer: 'test', metadata: { note: 'unit test' } });
    expect(model.nodes.some((n) => n.op === 'Cast')).toBe(true); // float16 storage
    expect(model.nodes.some((n) => n.op === 'Add')).toBe(false); // folded
    const session = await ort.InferenceSession.create(encodeModel(model));
    const x = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i) * 2);
    const out = (await session.run({ x: new ort.Tensor('float32', x, [1, 6, 6, 2]) })).out!;
    expect(out.dims).toEqual([1, 9, 4]);

    const c1 = conv(x, 6, 6, 2, filter, 2, 4).map((v) => (v < 0 ? 0.1 * v : v));
    const c2 = conv(c1, 6, 6, 4, dw, 1, 4);
    const pool = new Float32Array(3 * 3 * 4);
    for (let y = 0; y < 3; y++)
      for (let xx = 0; xx < 3; xx++)
        for (let c = 0; c < 4; c++)
          pool[(y * 3 + xx) * 4 + c] = Math.max(
            c2[(2 * y * 6 + 2 * xx) * 4 + c]!,
            c2[(2 * y * 6 + 2 * xx + 1) * 4 + c]!,
            c2[((2 * y + 1) * 6 + 2 * xx) * 4 + c]!,
            c2[((2 * y + 1) * 6 + 2 * xx + 1) * 4 + c]!,
          );
    // concat(pool, pool) on channels then split [4, rest]: the second part is pool again
    const got = out.data as Float32Array;
    for (let i = 0; i < pool.length; i++) expect(got[i]).toBeCloseTo(pool[i]!, 4);
    await session.release();
  });

  it('maps depthwise and fused convolutions, Relu6, Mean and Mul (MobileNetV3 blocks), an NCHW input and chosen outputs', async () => {
    const dwf = weights(3 * 3 * 2 * 2, 3); // depthwise: 2 channels, multiplier 2
    const pw = weights(1 * 1 * 4 * 3, 2); // pointwise 4 -> 3
    const bias = Float32Array.of(0.5, -0.25, 1);
    const consts = new Map<string, TfConst>([
      ['dwf', { dtype: 'float32', shape: [3, 3, 2, 2], data: dwf }],
      ['pw', { dtype: 'float32', shape: [1, 1, 4, 3], data: pw }],
      ['bias', { dtype: 'float32', shape: [3], data: bias }],
      ['axes', { dtype: 'int32', shape: [2], data: Int32Array.of(1, 2) }],
      ['three', { dtype: 'float32', shape: [], data: Float32Array.of(3) }],
    ]);
    const attrs = (padding: string, fused?: string[]) => ({
      padding: { s: b64(padding) },
      data_format: { s: b64('NHWC') },
      strides: ints(1, 1, 1, 1),
      dilations: ints(1, 1, 1, 1),
      ...(fused ? { fused_ops: { list: { s: fused.map(b64) } } } : {}),
    });
    const g: TfGraph = {
      nodes: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: { shape: { shape: { dim: [{ size: 1 }, { size: 5 }, { size: 5 }, { size: 2 }] } } },
        },
        ...['dwf', 'pw', 'bias', 'axes', 'three'].map((name) => ({ name, op: 'Const' })),
        { name: 'dw', op: 'DepthwiseConv2dNative', input: ['x', 'dwf'], attr: attrs('SAME') },
        {
          name: 'pwc',
          op: '_FusedConv2D',
          input: ['dw', 'pw', 'bias'],
          attr: attrs('VALID', ['BiasAdd', 'Relu6']),
        },
        { name: 'scaled', op: 'Mul', input: ['pwc', 'three'] },
        { name: 'pooled', op: 'Mean', input: ['scaled', 'axes'], attr: { keep_dims: { b: true } } },
        { name: 'out', op: 'Identity', input: ['pooled'] },
        { name: 'map', op: 'Identity', input: ['pwc'] },
        { name: 'unused', op: 'NonMaxSuppressionV5', input: ['pooled'] },
      ],
      consts,
      inputs: [{ name: 'x', shape: [1, 5, 5, 2] }],
      outputs: ['unused'],
      meta: { generatedBy: 't', convertedBy: 't' },
    };
    // the signature's own output would need an unknown op: asking for others leaves it out
    const model = new TfjsToOnnx(g).convert({
      producer: 't',
      metadata: {},
      outputs: ['out', 'map'],
      nchwInput: true,
    });
    const session = await ort.InferenceSession.create(encodeModel(model));
    const nhwc = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i) * 3);
    const nchw = new Float32Array(50);
    for (let y = 0; y < 5; y++)
      for (let xx = 0; xx < 5; xx++)
        for (let c = 0; c < 2; c++) nchw[(c * 5 + y) * 5 + xx] = nhwc[(y * 5 + xx) * 2 + c]!;
    const res = await session.run({ x: new ort.Tensor('float32', nchw, [1, 2, 5, 5]) });
    // reference: depthwise (multiplier 2) = a grouped conv whose filter has one input per group
    const dwAsGrouped = new Float32Array(3 * 3 * 1 * 4);
    for (let k = 0; k < 9; k++)
      for (let c = 0; c < 2; c++)
        for (let m = 0; m < 2; m++) dwAsGrouped[k * 4 + c * 2 + m] = dwf[(k * 2 + c) * 2 + m]!;
    const d = conv(nhwc, 5, 5, 2, dwAsGrouped, 1, 4);
    const map = new Float32Array(25 * 3);
    for (let p = 0; p < 25; p++)
      for (let o = 0; o < 3; o++) {
        let v = bias[o]!;
        for (let i = 0; i < 4; i++) v += d[p * 4 + i]! * pw[i * 3 + o]!;
        map[p * 3 + o] = Math.min(6, Math.max(0, v));
      }
    expect(res.map!.dims).toEqual([1, 5, 5, 3]);
    const gotMap = res.map!.data as Float32Array;
    for (let i = 0; i < map.length; i++) expect(gotMap[i]).toBeCloseTo(map[i]!, 4);
    expect(res.out!.dims).toEqual([1, 1, 1, 3]);
    for (let o = 0; o < 3; o++) {
      let mean = 0;
      for (let p = 0; p < 25; p++) mean += (3 * map[p * 3 + o]!) / 25;
      expect((res.out!.data as Float32Array)[o]).toBeCloseTo(mean, 4);
    }
    await session.release();
  });

  it('refuses an op it does not know, by name', () => {
    const { g } = graph();
    g.nodes.push({ name: 'weird', op: 'NonMaxSuppressionV5', input: ['flat'] });
    g.outputs = ['weird'];
    expect(() => new TfjsToOnnx(g).convert({ producer: 't', metadata: {} })).toThrow(
      /weird: TF op NonMaxSuppressionV5 is not supported/,
    );
  });
});
