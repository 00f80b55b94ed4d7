import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { centernetHeads, decodeCenterNet } from './centernet.js';
import { type Frame, letterbox } from './letterbox.js';
import { type ModelManifest, ModelRejectedError, readModel } from './manifest.js';
import { decodeNanoDet, type HeadOutput, nanodetLevels } from './nanodet.js';
import { type Detection, nms } from './nms.js';

export interface DetectorOptions {
  /** onnxruntime intra-op threads for this session. */
  threads: number;
  scoreThreshold: number;
  iouThreshold: number;
}

/** A person detector: one onnxruntime session over a verified model file. */
export class PersonDetector {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
    private readonly opts: DetectorOptions,
  ) {
    this.lanes = Math.max(1, Math.floor(availableParallelism() / opts.threads));
  }

  static async load(manifestPath: string, opts: DetectorOptions): Promise<PersonDetector> {
    const { manifest, bytes } = await readModel(manifestPath);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // onnxruntime's pool threads spin for work after each run by default: on a store's
        // two cores that spinning takes the core from the next frame's decode, the HTTP
        // API and the other cameras (the 2-thread pipeline cost 1.29× raw with it, 1.06× without)
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (err) {
      throw new ModelRejectedError(manifest.id, `onnxruntime cannot load it: ${(err as Error).message}`);
    }
    const detector = new PersonDetector(manifest, session, opts);
    try {
      // A model that loads but does not speak the declared contract is refused here,
      // not on the first camera frame.
      if (!session.inputNames.includes(manifest.input.name))
        throw new Error(`no input named ${manifest.input.name} (has ${session.inputNames.join(', ')})`);
      const size = manifest.input.size;
      detector.decode(await detector.runRaw(new Float32Array(3 * size * size)));
    } catch (err) {
      await session.release();
      throw new ModelRejectedError(manifest.id, (err as Error).message);
    }
    return detector;
  }

  /** One inference on a prepared NCHW tensor: what the benchmark calls raw `session.run`.
   * As many at once as the cores hold runs of `threads` threads; the other cameras wait
   * their turn. More side by side would only fight over the same cores. */
  async runRaw(tensor: Float32Array): Promise<Record<string, HeadOutput>> {
    // a run that ends hands its lane straight to the next waiting one
    if (this.running < this.lanes) this.running++;
    else await new Promise<void>((go) => this.waiting.push(go));
    try {
      return await this.runNow(tensor);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** runs at once: as many as the cores hold runs of `threads` threads */
  private readonly lanes: number;
  private readonly spare: Float32Array[] = [];

  private async runNow(tensor: Float32Array): Promise<Record<string, HeadOutput>> {
    const size = this.manifest.input.size;
    const out = await this.session.run({
      [this.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 3, size, size]),
    });
    const heads: Record<string, HeadOutput> = {};
    for (const [k, v] of Object.entries(out)) heads[k] = { dims: v.dims, data: v.data as Float32Array };
    return heads;
  }

  /** The manifest's decoder on one inference's outputs; throws when they are not its shape. */
  private decode(heads: Record<string, HeadOutput>): Detection[] {
    const m = this.manifest;
    const opts = {
      inputSize: m.input.size,
      scoreThreshold: this.opts.scoreThreshold,
      classes: [m.personClass],
    };
    return m.decoder === 'centernet-ltrb'
      ? decodeCenterNet(centernetHeads(heads, m.input.size, m.classes.length), opts)
      : decodeNanoDet(nanodetLevels(heads, m.input.size, m.classes.length), opts);
  }

  /** People in the frame, boxes in the frame's own pixels. */
  async detect(frame: Frame): Promise<Detection[]> {
    const m = this.manifest;
    // input tensors are reused (2 MB each at 416): one per camera waiting its turn at most
    const spare = this.spare.pop();
    const lb = await letterbox(
      frame,
      m.input.size,
      { mean: m.input.mean, std: m.input.std, bgr: m.input.channels === 'BGR' },
      spare,
    );
    let heads: Record<string, HeadOutput>;
    try {
      heads = await this.runRaw(lb.tensor);
    } finally {
      if (this.spare.length < 16) this.spare.push(lb.tensor);
    }
    return nms(this.decode(heads), this.opts.iouThreshold).map((d) => ({
      ...d,
      x1: clamp((d.x1 - lb.padX) / lb.scale, frame.width),
      y1: clamp((d.y1 - lb.padY) / lb.scale, frame.height),
      x2: clamp((d.x2 - lb.padX) / lb.scale, frame.width),
      y2: clamp((d.y2 - lb.padY) / lb.scale, frame.height),
    }));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
