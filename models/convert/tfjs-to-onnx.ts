import type { OnnxModel, OnnxNode, OnnxTensor } from './onnx-proto.js';
import { OnnxDataType } from './onnx-proto.js';
import type { TfAttr, TfConst, TfGraph, TfNode } from './tfjs-graph.js';

// Converts a TF.js graph model to an ONNX graph, one TF op to one small ONNX pattern.
// TF's NHWC convolutions and pools are wrapped in transposes; onnxruntime's transpose
// optimiser removes the back-to-back pairs at session creation. Subgraphs whose inputs
// are all constants (shape arithmetic left by earlier converters) are folded here.
// Only the ops the detectors tried here use are mapped (NanoDet's; CenterNet-MobileNetV3's
// up to its heatmap and box heads); any other op is refused by name.

const OPSET = 19;

type Value = { kind: 'const'; c: TfConst } | { kind: 'dyn'; name: string; shape: number[] };

/** float16 bytes for values that survive the round trip exactly, else undefined. */
function toHalfExact(data: ArrayLike<number>): Uint8Array | undefined {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    f32[0] = data[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    const mant = x & 0x7fffff;
    if ((x & 0x7fffffff) === 0) out[i] = sign;
    else if (exp >= 1 && exp <= 30 && (mant & 0x1fff) === 0) out[i] = sign | (exp << 10) | (mant >>> 13);
    else if (exp <= 0 && exp > -10) {
      // subnormal half: exact only if the dropped bits are zero
      const m = mant | 0x800000;
      const shift = 14 - exp;
      if ((m & ((1 << shift) - 1)) !== 0) return undefined;
      out[i] = sign | (m >>> shift);
    } else return undefined;
  }
  return new Uint8Array(out.buffer);
}

const decode = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
const ints = (a: TfAttr | undefined) => (a?.list?.i ?? []).map(Number);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function ref(input: string): { node: string; index: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(input)!;
  return { node: m[1]!, index: m[2] ? Number(m[2]) : 0 };
}

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes ${a} and ${b} do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

export class TfjsToOnnx {
  private readonly values = new Map<string, Value>();
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly emittedConsts = new Map<string, string>();
  private counter = 0;
  private nchwInput = false;
  private outputNames: string[] = [];

  constructor(private readonly g: TfGraph) {}

  /**
   * `outputs` picks the graph's outputs (default: its signature's), so a model's own
   * post-processing can be left out and done in TypeScript; `nchwInput` gives an NHWC
   * graph an NCHW input, as the detector feeds every model.
   */
  convert(opts: {
    producer: string;
    metadata: Record<string, string>;
    outputs?: string[];
    nchwInput?: boolean;
  }): OnnxModel {
    const outputNames = opts.outputs ?? this.g.outputs;
    this.nchwInput = opts.nchwInput ?? false;
    this.outputNames = outputNames;
    const byName = new Map(this.g.nodes.map((n) => [n.name, n]));
    const done = new Set<string>();
    // Depth-first topological order: shards are not guaranteed to list producers first.
    const visit = (name: string, stack: Set<string>): void => {
      if (done.has(name)) return;
      if (stack.has(name)) throw new Error(`cycle at ${name}`);
      const n = byName.get(name);
      if (!n) throw new Error(`unknown node ${name}`);
      stack.add(name);
      for (const i of n.input ?? []) if (!i.startsWith('^')) visit(ref(i).node, stack);
      stack.delete(name);
      this.convertNode(n);
      done.add(name);
    };
    for (const o of outputNames) visit(o, new Set());

    const outputs = outputNames.map((o) => {
      const v = this.get(o);
      if (v.kind !== 'dyn') throw new Error(`output ${o} is constant`);
      return { name: v.name, elemType: OnnxDataType.FLOAT, shape: v.shape };
    });
    return {
      opset: OPSET,
      producer: opts.producer,
      graphName: 'graph',
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.g.inputs.map((i) => ({
        name: i.name,
        elemType: OnnxDataType.FLOAT,
        shape: this.nchwInput ? [i.shape[0]!, i.shape[3]!, i.shape[1]!, i.shape[2]!] : i.shape,
      })),
      outputs,
      metadata: opts.metadata,
    };
  }

  private get(input: string): Value {
    const { node, index } = ref(input);
    const v = this.values.get(index === 0 ? node : `${node}:${index}`);
    if (!v) throw new Error(`no value for ${input}`);
    return v;
  }

  private constOf(input: string, what: string): TfConst {
    const v = this.get(input);
    if (v.kind !== 'const') throw new Error(`${what} must be constant (${input})`);
    return v.c;
  }

  private dyn(input: string): { name: string; shape: number[] } {
    const v = this.get(input);
    if (v.kind === 'dyn') return v;
    return { name: this.initializer(v.c, 'float'), shape: v.c.shape };
  }

  /**
   * Emits a constant as an initializer once; `as` picks the ONNX element type. Large
   * float tensors that are exact in float16 (the shards' own storage) are stored as
   * float16 behind a Cast, which halves the file; onnxruntime folds the Cast at load.
   */
  private initializer(c: TfConst, as: 'float' | 'int64', dims = c.shape): string {
    const key = `${as}:${dims}:${Array.from(c.data).join(',')}`;
    const hit = this.emittedConsts.get(key);
    if (hit) return hit;
    const name = `const_${this.counter++}`;
    this.emittedConsts.set(key, name);
    if (as === 'int64') {
      const raw = new Uint8Array(BigInt64Array.from(Array.from(c.data), (x) => BigInt(x)).buffer);
      this.initializers.push({ name, dims, dataType: OnnxDataType.INT64, raw });
      return name;
    }
    const half = c.data.length >= 64 ? toHalfExact(c.data) : undefined;
    if (!half) {
      this.initializers.push({
        name,
        dims,
        dataType: OnnxDataType.FLOAT,
        raw: new Uint8Array(Float32Array.from(c.data).buffer),
      });
      return name;
    }
    this.initializers.push({ name: `${name}_f16`, dims, dataType: OnnxDataType.FLOAT16, raw: half });
    this.emit('Cast', [`${name}_f16`], { to: OnnxDataType.FLOAT }, [name]);
    return name;
  }

  private int64(values: number[]): string {
    return this.initializer(
      { dtype: 'int64', shape: [values.length], data: Int32Array.from(values) },
      'int64',
    );
  }

  private emit(op: string, inputs: string[], attrs?: OnnxNode['attrs'], outputs?: string[]): string {
    const outs = outputs ?? [`${op.toLowerCase()}_${this.counter++}`];
    this.nodes.push({
      op,
      inputs,
      outputs: outs,
      name: `${op}_${this.counter++}`,
      ...(attrs ? { attrs } : {}),
    });
    return outs[0]!;
  }

  private set(name: string, v: Value): void {
    this.values.set(name, v);
  }

  /** NHWC in and out around an NCHW ONNX op. */
  private nchw(x: string, build: (nchwIn: string) => string): string {
    const t = this.emit('Transpose', [x], { perm: [0, 3, 1, 2] });
    return this.emit('Transpose', [build(t)], { perm: [0, 2, 3, 1] });
  }

  private spatialPads(
    n: TfNode,
    inShape: number[],
    kernel: number[],
    strides: number[],
    dil: number[],
  ): number[] {
    const padding = decode(n.attr?.padding?.s);
    if (padding === 'VALID') return [0, 0, 0, 0];
    if (padding === 'EXPLICIT') {
      const e = ints(n.attr?.explicit_paddings);
      return [e[2]!, e[4]!, e[3]!, e[5]!];
    }
    if (padding !== 'SAME') throw new Error(`${n.name}: padding ${padding}`);
    const pads = [0, 1].map((i) => {
      const size = inShape[1 + i]!;
      const out = Math.ceil(size / strides[i]!);
      return Math.max((out - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - size, 0);
    });
    return [
      Math.floor(pads[0]! / 2),
      Math.floor(pads[1]! / 2),
      Math.ceil(pads[0]! / 2),
      Math.ceil(pads[1]! / 2),
    ];
  }

  private relu6(x: string): string {
    const lo = this.initializer({ dtype: 'float32', shape: [], data: Float32Array.of(0) }, 'float', []);
    const hi = this.initializer({ dtype: 'float32', shape: [], data: Float32Array.of(6) }, 'float', []);
    return this.emit('Clip', [x, lo, hi]);
  }

  /** An NHWC convolution (plain, grouped or depthwise), with TF's fused bias and activation. */
  private conv(
    n: TfNode,
    ins: string[],
    a: { name: string; shape: number[] },
    w: { data: Float32Array; kh: number; kw: number; ci: number; co: number; group: number },
    out: (name: string, shape: number[]) => void,
  ): void {
    if (decode(n.attr?.data_format?.s) !== 'NHWC') throw new Error(`${n.name}: only NHWC convolutions`);
    const fused = (n.attr?.fused_ops?.list?.s ?? []).map(decode);
    if (fused.length && fused[0] !== 'BiasAdd') throw new Error(`${n.name}: fused ${fused.join('+')}`);
    if (fused.length > 2 || (fused[1] && fused[1] !== 'Relu' && fused[1] !== 'Relu6'))
      throw new Error(`${n.name}: fused ${fused.join('+')} is not supported`);
    const wName = this.initializer(
      { dtype: 'float32', shape: [w.co, w.ci, w.kh, w.kw], data: w.data },
      'float',
    );
    const inputs = [wName];
    if (fused[0] === 'BiasAdd') inputs.push(this.initializer(this.constOf(ins[2]!, 'bias'), 'float'));
    const strides = ints(n.attr?.strides).slice(1, 3);
    const dilRaw = ints(n.attr?.dilations).slice(1, 3);
    const dil = dilRaw.length ? dilRaw : [1, 1];
    const pads = this.spatialPads(n, a.shape, [w.kh, w.kw], strides, dil);
    let y = this.nchw(a.name, (t) =>
      this.emit('Conv', [t, ...inputs], {
        kernel_shape: [w.kh, w.kw],
        strides,
        dilations: dil,
        pads,
        group: w.group,
      }),
    );
    if (fused[1] === 'Relu') y = this.emit('Relu', [y]);
    if (fused[1] === 'Relu6') y = this.relu6(y);
    const oh = Math.floor((a.shape[1]! + pads[0]! + pads[2]! - ((w.kh - 1) * dil[0]! + 1)) / strides[0]!) + 1;
    const ow = Math.floor((a.shape[2]! + pads[1]! + pads[3]! - ((w.kw - 1) * dil[1]! + 1)) / strides[1]!) + 1;
    out(y, [a.shape[0]!, oh, ow, w.co]);
  }

  private fold(n: TfNode): TfConst | undefined {
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^'));
    if (n.op === 'Const') {
      const c = this.g.consts.get(n.name);
      if (!c) throw new Error(`constant ${n.name} has no weights`);
      return c;
    }
    if (!ins.length || !ins.every((i) => this.get(i).kind === 'const')) return undefined;
    const c = ins.map((i) => this.constOf(i, n.op));
    switch (n.op) {
      case 'Identity':
        return c[0];
      case 'Cast':
        return c[0];
      case 'Add':
      case 'AddV2': {
        const [a, b] = c as [TfConst, TfConst];
        if (size(a.shape) !== size(b.shape) && size(a.shape) !== 1 && size(b.shape) !== 1) return undefined;
        const len = Math.max(a.data.length, b.data.length);
        const data = a.dtype === 'float32' ? new Float32Array(len) : new Int32Array(len);
        for (let i = 0; i < len; i++)
          data[i] = a.data[a.data.length === 1 ? 0 : i]! + b.data[b.data.length === 1 ? 0 : i]!;
        return { dtype: a.dtype, shape: a.data.length >= b.data.length ? a.shape : b.shape, data };
      }
      case 'SparseToDense': {
        const [indices, outShape, values, dflt] = c as [TfConst, TfConst, TfConst, TfConst];
        const shape = Array.from(outShape.data);
        const data = values.dtype === 'float32' ? new Float32Array(size(shape)) : new Int32Array(size(shape));
        data.fill(dflt.data[0]!);
        const rank = shape.length;
        const count = indices.shape[0] ?? indices.data.length;
        for (let k = 0; k < count; k++) {
          let flat = 0;
          for (let d = 0; d < rank; d++) flat = flat * shape[d]! + indices.data[k * rank + d]!;
          data[flat] = values.data[values.data.length === 1 ? 0 : k]!;
        }
        return { dtype: values.dtype, shape, data };
      }
      default:
        return undefined;
    }
  }

  private convertNode(n: TfNode): void {
    const folded = this.fold(n);
    if (folded) {
      this.set(n.name, { kind: 'const', c: folded });
      return;
    }
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const x = () => this.dyn(ins[0]!);
    const out = (name: string, shape: number[]) => this.set(n.name, { kind: 'dyn', name, shape });
    switch (n.op) {
      case 'Placeholder': {
        const i = this.g.inputs.find((p) => p.name === n.name)!;
        out(this.nchwInput ? this.emit('Transpose', [n.name], { perm: [0, 2, 3, 1] }) : n.name, i.shape);
        return;
      }
      case 'Identity': {
        // Graph outputs are Identity nodes: give them their TF names in the ONNX graph.
        const a = x();
        out(
          this.outputNames.includes(n.name) ? this.emit('Identity', [a.name], undefined, [n.name]) : a.name,
          a.shape,
        );
        return;
      }
      case 'Transpose': {
        const a = x();
        const perm = Array.from(this.constOf(ins[1]!, 'perm').data);
        out(
          this.emit('Transpose', [a.name], { perm }),
          perm.map((p) => a.shape[p]!),
        );
        return;
      }
      case 'Pad':
      case 'PadV2': {
        const a = x();
        const p = Array.from(this.constOf(ins[1]!, 'paddings').data);
        const rank = a.shape.length;
        const pads = [
          ...Array.from({ length: rank }, (_, i) => p[2 * i]!),
          ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!),
        ];
        const inputs = [a.name, this.int64(pads)];
        if (n.op === 'PadV2') {
          const cv = this.constOf(ins[2]!, 'constant_values');
          inputs.push(this.initializer(cv, 'float', []));
        }
        out(
          this.emit('Pad', inputs, { mode: 'constant' }),
          a.shape.map((d, i) => d + pads[i]! + pads[i + rank]!),
        );
        return;
      }
      case 'Conv2D':
      case '_FusedConv2D': {
        const w = this.constOf(ins[1]!, 'filter');
        const [kh, kw, ci, co] = w.shape as [number, number, number, number];
        // HWIO -> OIHW
        const data = new Float32Array(w.data.length);
        for (let h = 0; h < kh; h++)
          for (let q = 0; q < kw; q++)
            for (let i = 0; i < ci; i++)
              for (let o = 0; o < co; o++)
                data[((o * ci + i) * kh + h) * kw + q] = w.data[((h * kw + q) * ci + i) * co + o]!;
        const a = x();
        const channels = a.shape[3]!;
        if (channels % ci !== 0) throw new Error(`${n.name}: ${channels} channels for filter depth ${ci}`);
        this.conv(n, ins, a, { data, kh, kw, ci, co, group: channels / ci }, out);
        return;
      }
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const w = this.constOf(ins[1]!, 'filter');
        const [kh, kw, c, mult] = w.shape as [number, number, number, number];
        // [kh, kw, C, M] -> [C·M, 1, kh, kw], one group per input channel
        const data = new Float32Array(w.data.length);
        for (let h = 0; h < kh; h++)
          for (let q = 0; q < kw; q++)
            for (let ch = 0; ch < c; ch++)
              for (let m = 0; m < mult; m++)
                data[((ch * mult + m) * kh + h) * kw + q] = w.data[((h * kw + q) * c + ch) * mult + m]!;
        this.conv(n, ins, x(), { data, kh, kw, ci: 1, co: c * mult, group: c }, out);
        return;
      }
      case 'Relu': {
        const a = x();
        out(this.emit('Relu', [a.name]), a.shape);
        return;
      }
      case 'Relu6': {
        const a = x();
        out(this.relu6(a.name), a.shape);
        return;
      }
      case 'Mul': {
        const a = this.dyn(ins[0]!);
        const b = this.dyn(ins[1]!);
        out(this.emit('Mul', [a.name, b.name]), broadcast(a.shape, b.shape));
        return;
      }
      case 'Mean': {
        const a = x();
        const axes = Array.from(this.constOf(ins[1]!, 'axes').data).map((d) =>
          d < 0 ? d + a.shape.length : d,
        );
        const keep = n.attr?.keep_dims?.b ?? false;
        const shape = keep
          ? a.shape.map((d, i) => (axes.includes(i) ? 1 : d))
          : a.shape.filter((_, i) => !axes.includes(i));
        out(this.emit('ReduceMean', [a.name, this.int64(axes)], { keepdims: keep ? 1 : 0 }), shape);
        return;
      }
      case 'MaxPool': {
        const a = x();
        if (decode(n.attr?.data_format?.s) !== 'NHWC') throw new Error(`${n.name}: only NHWC MaxPool`);
        const k = ints(n.attr?.ksize).slice(1, 3);
        const strides = ints(n.attr?.strides).slice(1, 3);
        const pads = this.spatialPads(n, a.shape, k, strides, [1, 1]);
        const y = this.nchw(a.name, (t) => this.emit('MaxPool', [t], { kernel_shape: k, strides, pads }));
        const oh = Math.floor((a.shape[1]! + pads[0]! + pads[2]! - k[0]!) / strides[0]!) + 1;
        const ow = Math.floor((a.shape[2]! + pads[1]! + pads[3]! - k[1]!) / strides[1]!) + 1;
        out(y, [a.shape[0]!, oh, ow, a.shape[3]!]);
        return;
      }
      case 'ResizeBilinear': {
        const a = x();
        const [h, w] = Array.from(this.constOf(ins[1]!, 'size').data) as [number, number];
        const mode = n.attr?.align_corners?.b
          ? 'align_corners'
          : n.attr?.half_pixel_centers?.b
            ? 'half_pixel'
            : 'asymmetric';
        const y = this.nchw(a.name, (t) =>
          this.emit('Resize', [t, '', '', this.int64([h, w])], {
            mode: 'linear',
            coordinate_transformation_mode: mode,
            axes: [2, 3],
          }),
        );
        out(y, [a.shape[0]!, h, w, a.shape[3]!]);
        return;
      }
      case 'Add':
      case 'AddV2': {
        const a = this.dyn(ins[0]!);
        const b = this.dyn(ins[1]!);
        out(this.emit('Add', [a.name, b.name]), broadcast(a.shape, b.shape));
        return;
      }
      case 'LeakyRelu': {
        const a = x();
        out(this.emit('LeakyRelu', [a.name], { alpha: { float: n.attr?.alpha?.f ?? 0.2 } }), a.shape);
        return;
      }
      case 'Sigmoid': {
        const a = x();
        out(this.emit('Sigmoid', [a.name]), a.shape);
        return;
      }
      case 'ConcatV2': {
        const parts = ins.slice(0, -1).map((i) => this.dyn(i));
        const axisRaw = this.constOf(ins[ins.length - 1]!, 'axis').data[0]!;
        const rank = parts[0]!.shape.length;
        const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
        const shape = [...parts[0]!.shape];
        shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
        out(
          this.emit(
            'Concat',
            parts.map((p) => p.name),
            { axis },
          ),
          shape,
        );
        return;
      }
      case 'SplitV': {
        const a = x();
        const sizes = Array.from(this.constOf(ins[1]!, 'size_splits').data);
        const axisRaw = this.constOf(ins[2]!, 'split_dim').data[0]!;
        const axis = axisRaw < 0 ? axisRaw + a.shape.length : axisRaw;
        const known = sizes.filter((s) => s >= 0).reduce((s, v) => s + v, 0);
        const resolved = sizes.map((s) => (s < 0 ? a.shape[axis]! - known : s));
        const names = resolved.map((_, k) => `${n.name}:${k}`);
        this.emit('Split', [a.name, this.int64(resolved)], { axis }, names);
        resolved.forEach((s, k) => {
          const shape = [...a.shape];
          shape[axis] = s;
          this.set(k === 0 ? n.name : `${n.name}:${k}`, { kind: 'dyn', name: names[k]!, shape });
        });
        return;
      }
      case 'Reshape': {
        const a = x();
        const shape = Array.from(this.constOf(ins[1]!, 'shape').data);
        const known = shape.filter((d) => d >= 0).reduce((p, d) => p * d, 1);
        const resolved = shape.map((d) => (d < 0 ? size(a.shape) / known : d));
        out(this.emit('Reshape', [a.name, this.int64(shape)]), resolved);
        return;
      }
      default:
        throw new Error(`${n.name}: TF op ${n.op} is not supported by this converter`);
    }
  }
}
