import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Reads a TensorFlow.js "graph-model" (model.json + weight shards): a GraphDef in JSON
// whose Const nodes take their values from the shards, in manifest order.

export interface TfAttr {
  type?: string;
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  list?: { i?: (string | number)[]; f?: number[]; s?: string[] };
  shape?: { dim?: { size: string | number }[] };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export type TfData = Float32Array | Int32Array;

export interface TfConst {
  dtype: 'float32' | 'int32' | 'int64';
  shape: number[];
  data: TfData;
}

export interface TfGraph {
  nodes: TfNode[];
  consts: Map<string, TfConst>;
  inputs: { name: string; shape: number[] }[];
  outputs: string[];
  meta: { generatedBy: string; convertedBy: string };
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

/** IEEE 754 half to float; the shards store most float weights as float16. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decodeWeight(w: ManifestWeight, buf: Buffer, off: number): { value: TfConst; bytes: number } {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization;
  if (q) {
    if (q.dtype !== 'float16') throw new Error(`weight ${w.name}: quantization ${q.dtype} is not supported`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(buf.readUInt16LE(off + 2 * i));
    return { value: { dtype: 'float32', shape: w.shape, data: out }, bytes: 2 * n };
  }
  if (w.dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(off + 4 * i);
    return { value: { dtype: 'float32', shape: w.shape, data: out }, bytes: 4 * n };
  }
  if (w.dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt32LE(off + 4 * i);
    return { value: { dtype: 'int32', shape: w.shape, data: out }, bytes: 4 * n };
  }
  throw new Error(`weight ${w.name}: dtype ${w.dtype} is not supported`);
}

export function tfShape(a: TfAttr | undefined): number[] {
  return (a?.shape?.dim ?? []).map((d) => Number(d.size));
}

export function loadTfjsGraph(modelJsonPath: string): TfGraph {
  const j = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    modelTopology: { node: TfNode[] };
    weightsManifest: { paths: string[]; weights: ManifestWeight[] }[];
    signature?: { inputs?: Record<string, { name: string }>; outputs?: Record<string, { name: string }> };
  };
  if (j.format !== 'graph-model') throw new Error(`${modelJsonPath}: not a TF.js graph model`);
  const consts = new Map<string, TfConst>();
  for (const group of j.weightsManifest) {
    const buf = Buffer.concat(group.paths.map((p) => readFileSync(join(dirname(modelJsonPath), p))));
    let off = 0;
    for (const w of group.weights) {
      const { value, bytes } = decodeWeight(w, buf, off);
      consts.set(w.name, value);
      off += bytes;
    }
    if (off !== buf.length) throw new Error(`weights: ${buf.length - off} bytes left over in ${group.paths}`);
  }
  const nodes = j.modelTopology.node;
  const inputs = nodes
    .filter((n) => n.op === 'Placeholder')
    .map((n) => ({ name: n.name, shape: tfShape(n.attr?.shape) }));
  const outputs = Object.values(j.signature?.outputs ?? {}).map((o) => o.name.replace(/:0$/, ''));
  return {
    nodes,
    consts,
    inputs,
    outputs,
    meta: { generatedBy: j.generatedBy ?? '', convertedBy: j.convertedBy ?? '' },
  };
}
