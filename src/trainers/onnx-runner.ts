/**
 * Runs a model that follows the ONNX I/O contract (onnx-export.ts) with onnxruntime-node:
 * CPU execution provider, `intraOpNumThreads` 1 by default (measured faster than 2 here), the
 * CUDA provider when asked for and installed. A model that breaks the contract fails with an
 * error naming the contract field.
 */
import { existsSync } from 'node:fs';
import type { LocalisationExample, LocalisationDataset } from '../data/datasets.js';
import type { PredictionRow } from '../data/ava-writer.js';
import { InputError } from '../data/input-error.js';
import { CONTRACT } from './onnx-export.js';

type Ort = typeof import('onnxruntime-node');

export interface OnnxRunnerOptions {
  readonly threads?: number;
  readonly device?: 'cpu' | 'cuda';
  readonly batchSize?: number;
}

export class OnnxModel {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly path: string,
    readonly dataset: LocalisationDataset,
    private readonly batchSize: number,
  ) {}

  static async load(path: string, dataset: LocalisationDataset, opts: OnnxRunnerOptions = {}): Promise<OnnxModel> {
    if (!existsSync(path)) throw new InputError(path, null, 'file not found');
    const ort = await import('onnxruntime-node');
    const device = opts.device ?? 'cpu';
    let session;
    try {
      session = await ort.InferenceSession.create(path, { intraOpNumThreads: opts.threads ?? 1, executionProviders: [device] });
    } catch (err) {
      const m = (err as Error).message;
      if (device === 'cuda') throw new InputError(path, null, `the CUDA execution provider is not available (${m.split('\n')[0]}); install onnxruntime-node with its CUDA files (allow its install script), or use --device cpu`);
      throw new InputError(path, null, `not a loadable ONNX model (${m.split('\n')[0]})`);
    }
    const missing = [CONTRACT.inputs.clips, CONTRACT.inputs.boxes].filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0) throw new InputError(path, null, `contract: input '${missing[0]}' missing (the model's inputs: ${session.inputNames.join(', ')}; expected clips [N,T,H,W,C] and boxes [N,R,4])`);
    if (!session.outputNames.includes(CONTRACT.output)) throw new InputError(path, null, `contract: output '${CONTRACT.output}' missing (the model's outputs: ${session.outputNames.join(', ')}; expected scores [N,R,K])`);
    const model = new OnnxModel(ort, session, path, dataset, opts.batchSize ?? 64);
    await model.probe();
    return model;
  }

  /** Runs one clip with two boxes and checks the output's shape against the contract. */
  private async probe(): Promise<void> {
    const e = this.dataset.example('val', 0);
    const out = await this.run([e], [[[0.1, 0.1, 0.4, 0.6], [0.5, 0.3, 0.9, 0.9]]]);
    const k = this.dataset.classes.length;
    if (out.dims.length !== 3 || out.dims[0] !== 1 || out.dims[1] !== 2 || out.dims[2] !== k) {
      throw new InputError(this.path, null, `contract: output 'scores' has shape [${out.dims.join(', ')}] for 1 clip and 2 boxes; expected [1, 2, ${k}] (K = ${this.dataset.name} classes)`);
    }
  }

  /** Scores must be probabilities: a model that outputs logits would be scored silently (and wrongly). */
  private checkScores(data: Float32Array): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!(v >= 0 && v <= 1)) throw new InputError(this.path, null, `contract: output 'scores' must be probabilities in [0, 1]; got ${v} — does the model end in logits? Add a sigmoid before exporting`);
    }
  }

  private async run(examples: readonly LocalisationExample[], boxes: readonly (readonly (readonly number[])[])[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const { frames: T, height: H, width: W, channels: C } = this.dataset.shape;
    const len = T * H * W * C;
    const n = examples.length;
    const r = Math.max(1, ...boxes.map((b) => b.length));
    const clips = new Float32Array(n * len);
    examples.forEach((e, i) => clips.set(e.clip, i * len));
    const bx = new Float32Array(n * r * 4);
    boxes.forEach((list, i) => list.forEach((b, j) => bx.set(b, (i * r + j) * 4)));
    let out;
    try {
      out = await this.session.run({
        [CONTRACT.inputs.clips]: new this.ort.Tensor('float32', clips, [n, T, H, W, C]),
        [CONTRACT.inputs.boxes]: new this.ort.Tensor('float32', bx, [n, r, 4]),
      });
    } catch (err) {
      const m = (err as Error).message.split('\n')[0]!;
      // a PyTorch export with default (static) axes fails here on any other N or R than it was traced with
      const dynamic = ' with N (clips) and R (boxes per clip) dynamic axes (torch.onnx.export(..., dynamic_axes={"clips": {0: "N"}, "boxes": {0: "N", 1: "R"}, "scores": {0: "N", 1: "R"}}))';
      const field = /clips/.test(m) ? `input 'clips' must be float32 [N, ${T}, ${H}, ${W}, ${C}]${dynamic}` : /boxes/.test(m) ? `input 'boxes' must be float32 [N, R, 4]${dynamic}` : `inputs clips [N,T,H,W,C] and boxes [N,R,4]${dynamic}`;
      throw new InputError(this.path, null, `contract: ${field} (onnxruntime: ${m})`);
    }
    const s = out[CONTRACT.output]!;
    if (s.type !== 'float32') throw new InputError(this.path, null, `contract: output 'scores' must be float32 (got ${s.type})`);
    this.checkScores(s.data as Float32Array);
    return { data: s.data as Float32Array, dims: s.dims };
  }

  /** AVA-format rows (detector score × action probability), like Trainer.predict. */
  async predict(examples: readonly LocalisationExample[]): Promise<PredictionRow[]> {
    const rows: PredictionRow[] = [];
    const classes = this.dataset.classes;
    for (let s = 0; s < examples.length; s += this.batchSize) {
      const part = examples.slice(s, s + this.batchSize);
      const boxes = part.map((e) => e.detections.map((d) => d.box));
      const out = await this.run(part, boxes);
      const r = out.dims[1]!;
      part.forEach((e, i) => {
        e.detections.forEach((d, j) => {
          for (let c = 0; c < classes.length; c++) rows.push({ videoId: e.videoId, timestamp: e.timestamp, box: d.box, classId: classes[c]!.id, score: d.score * out.data[(i * r + j) * classes.length + c]! });
        });
      });
    }
    return rows;
  }
}
