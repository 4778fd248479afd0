/**
 * The Trainer protocols drive step by step:
 *
 *   step(batch, dataset, lr) — one optimizer step on the shared encoder and that dataset's head
 *                              (the localisation head for the downstream set); returns the loss
 *   predict(examples)        — AVA-format detection rows (one per detected box × class)
 *   save(dir) / Trainer.load — model.json + weights.bin, an exact round trip
 *
 * One Adam optimizer per parameter group (trunk, localisation head, each upstream head): tfjs
 * Adam keys its moments by variable position, so sharing one across groups mixes moments, and a
 * head is stepped only on its own dataset's batches (../shared/docs/synth-benchmark-prototype.md §5).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { ClassificationExample, ClipShape, LocalisationClass, LocalisationExample } from '../data/datasets.js';
import { classificationBatch, clipBatch, localisationBatch } from './batches.js';
import { createParams, makeForward, roiTaps, type ModelSpec, type ParamGroups } from './model.js';
import type { LoadedBackend } from './backend.js';
import { Rng } from '../data/rng.js';

export const MODEL_FORMAT = 'cft-bench-model/1';

export interface TrainerConfig {
  readonly shape: ClipShape;
  readonly localisationClasses: readonly LocalisationClass[];
  /** Upstream dataset name → its class names. */
  readonly upstream: Readonly<Record<string, readonly string[]>>;
  readonly seed: number;
}

/** One AVA-format prediction row. */
export interface DetectionRow {
  readonly videoId: string;
  readonly timestamp: number;
  readonly box: readonly [number, number, number, number];
  readonly classId: number;
  readonly score: number;
}

export class Trainer {
  readonly params: ParamGroups;
  private readonly optimizers = new Map<string, tfType.AdamOptimizer>();
  private readonly forward;
  private readonly classIndex: Map<number, number>;
  private readonly jitter: Rng;

  /** A fresh model (seeded init), or one with saved `weights` (group/name → values). */
  constructor(
    readonly backend: LoadedBackend,
    readonly config: TrainerConfig,
    weights?: ReadonlyMap<string, Float32Array>,
  ) {
    const tf = backend.tf;
    this.params = createParams(tf, this.spec(), config.seed, weights);
    this.forward = makeForward(tf);
    this.classIndex = new Map(config.localisationClasses.map((c, i) => [c.id, i]));
    this.jitter = new Rng(config.seed ^ 0x5bd1e995);
  }

  spec(): ModelSpec {
    return {
      frames: this.config.shape.frames * this.config.shape.channels,
      size: this.config.shape.height,
      localisationClasses: this.config.localisationClasses.length,
      upstream: Object.fromEntries(Object.entries(this.config.upstream).map(([k, v]) => [k, v.length])),
    };
  }

  private optimizer(group: string): tfType.AdamOptimizer {
    let opt = this.optimizers.get(group);
    if (opt === undefined) {
      opt = this.backend.tf.train.adam(1e-3);
      this.optimizers.set(group, opt);
    }
    return opt;
  }

  /** Resets a group's optimizer state (e.g. a fresh optimizer for a finetuning phase). */
  resetOptimizer(group: string): void {
    this.optimizers.get(group)?.dispose();
    this.optimizers.delete(group);
  }

  /**
   * One optimizer step. `parts`: examples per dataset — one part normally, several for a
   * mixed batch (losses weighted by each part's share of the batch). Dataset 'loc' is the
   * downstream set; others are upstream heads. Updates the trunk (unless `headsOnly`: a linear
   * probe) and the heads involved only. Returns the loss.
   */
  step(parts: readonly { dataset: string; examples: readonly (LocalisationExample | ClassificationExample)[] }[], lr: number, headsOnly = false): number {
    const tf = this.backend.tf;
    const shape = this.config.shape;
    const total = parts.reduce((s, p) => s + p.examples.length, 0);
    return tf.tidy(() => {
      const terms: (() => tfType.Scalar)[] = [];
      const heads: string[] = [];
      for (const part of parts) {
        const head = part.dataset === 'loc' ? 'loc' : `up:${part.dataset}`;
        const headParams = this.params[head];
        if (headParams === undefined) throw new Error(`no head for dataset '${part.dataset}' (heads: ${Object.keys(this.params).join(', ')})`);
        heads.push(head);
        const weight = part.examples.length / total;
        if (head === 'loc') {
          const b = localisationBatch(part.examples as LocalisationExample[], shape, this.classIndex, this.jitter);
          const x = tf.tensor4d(b.clips, [b.size, shape.height, shape.width, shape.frames * shape.channels]);
          const roi = b.roi;
          const targets = tf.tensor2d(b.targets, [b.size * b.maxBoxes, this.classIndex.size]);
          const mask = tf.tensor2d(b.mask, [b.size * b.maxBoxes, 1]);
          terms.push(() => {
            const logits = this.forward.localise(headParams, this.forward.trunk(this.params['trunk']!, x), roi);
            // BCE summed over classes, averaged over real boxes (padding rows masked out)
            const bce = tf.relu(logits).sub(logits.mul(targets)).add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
            return bce.mul(mask).sum().div(Math.max(1, b.validBoxes)).mul(weight) as tfType.Scalar;
          });
        } else {
          const b = classificationBatch(part.examples as ClassificationExample[], shape);
          const x = tf.tensor4d(b.clips, [b.size, shape.height, shape.width, shape.frames * shape.channels]);
          const y = tf.oneHot(tf.tensor1d(b.labels, 'int32'), this.config.upstream[part.dataset]!.length);
          terms.push(() => (tf.losses.softmaxCrossEntropy(y, this.forward.classify(headParams, this.forward.trunk(this.params['trunk']!, x))) as tfType.Scalar).mul(weight) as tfType.Scalar);
        }
      }
      const groups = [...(headsOnly ? [] : ['trunk']), ...new Set(heads)];
      const vars = groups.flatMap((g) => Object.values(this.params[g]!));
      const { value, grads } = tf.variableGrads(() => terms.map((t) => t()).reduce((a, b) => a.add(b)) as tfType.Scalar, vars);
      for (const group of groups) {
        const opt = this.optimizer(group);
        (opt as unknown as { learningRate: number }).learningRate = lr;
        opt.applyGradients(Object.values(this.params[group]!).map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      }
      return value.dataSync()[0]!;
    });
  }

  /** Class probabilities for each detected box: rows in example order, detection order. */
  predict(examples: readonly LocalisationExample[], batchSize = 64): DetectionRow[] {
    const tf = this.backend.tf;
    const rows: DetectionRow[] = [];
    const shape = this.config.shape;
    const classes = this.config.localisationClasses;
    for (let s = 0; s < examples.length; s += batchSize) {
      const part = examples.slice(s, s + batchSize);
      const maxBoxes = Math.max(1, ...part.map((e) => e.detections.length));
      const probs = tf.tidy(() => {
        const b = clipBatch(part.map((e) => e.clip), shape);
        const x = tf.tensor4d(b.clips, [b.size, shape.height, shape.width, shape.frames * shape.channels]);
        const roi = roiTaps(part.map((e) => e.detections.map((d) => d.box)), maxBoxes);
        return tf.sigmoid(this.forward.localise(this.params['loc']!, this.forward.trunk(this.params['trunk']!, x), roi)).dataSync() as Float32Array;
      });
      part.forEach((e, i) => {
        e.detections.forEach((d, r) => {
          for (let c = 0; c < classes.length; c++) {
            // detection score = person-detector confidence × action probability
            rows.push({ videoId: e.videoId, timestamp: e.timestamp, box: d.box, classId: classes[c]!.id, score: d.score * probs[(i * maxBoxes + r) * classes.length + c]! });
          }
        });
      });
    }
    return rows;
  }

  /** The predicted class (top-1) of each classification example, by `dataset`'s head. */
  classify(examples: readonly ClassificationExample[], dataset: string, batchSize = 128): Int32Array {
    const tf = this.backend.tf;
    const shape = this.config.shape;
    const out = new Int32Array(examples.length);
    for (let s = 0; s < examples.length; s += batchSize) {
      const part = examples.slice(s, s + batchSize);
      const pred = tf.tidy(() => {
        const b = classificationBatch(part, shape);
        const x = tf.tensor4d(b.clips, [b.size, shape.height, shape.width, shape.frames * shape.channels]);
        return this.forward.classify(this.params[`up:${dataset}`]!, this.forward.trunk(this.params['trunk']!, x)).argMax(1).dataSync();
      });
      out.set(pred, s);
    }
    return out;
  }

  /** Writes model.json + weights.bin into `dir` (atomically: temp names, then rename). */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const entries: { group: string; name: string; shape: number[]; offset: number }[] = [];
    const chunks: Float32Array[] = [];
    let offset = 0;
    for (const [group, vars] of Object.entries(this.params)) {
      for (const [name, v] of Object.entries(vars)) {
        const data = v.dataSync() as Float32Array;
        entries.push({ group, name, shape: v.shape, offset });
        chunks.push(data);
        offset += data.length;
      }
    }
    const weights = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      weights.set(c, at);
      at += c.length;
    }
    const manifest = { format: MODEL_FORMAT, config: this.config, weights: { file: 'weights.bin', dtype: 'float32', littleEndian: true, entries } };
    const tmpW = join(dir, '.weights.bin.tmp');
    const tmpM = join(dir, '.model.json.tmp');
    writeFileSync(tmpW, new Uint8Array(weights.buffer));
    writeFileSync(tmpM, JSON.stringify(manifest, null, 2) + '\n');
    renameSync(tmpW, join(dir, 'weights.bin'));
    renameSync(tmpM, join(dir, 'model.json'));
  }

  /** A saved model's config and weights (group/name → values). */
  static readWeights(dir: string): { config: TrainerConfig; values: Map<string, Float32Array> } {
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      format: string;
      config: TrainerConfig;
      weights: { file: string; entries: { group: string; name: string; shape: number[]; offset: number }[] };
    };
    if (manifest.format !== MODEL_FORMAT) throw new Error(`${join(dir, 'model.json')}: not a ${MODEL_FORMAT} model (format ${JSON.stringify(manifest.format)})`);
    const bytes = readFileSync(join(dir, manifest.weights.file));
    const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const values = new Map<string, Float32Array>();
    for (const e of manifest.weights.entries) {
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (e.offset + n > weights.length) throw new Error(`${join(dir, manifest.weights.file)}: too short for ${e.group}/${e.name}`);
      values.set(`${e.group}/${e.name}`, weights.slice(e.offset, e.offset + n));
    }
    return { config: manifest.config, values };
  }

  static load(backend: LoadedBackend, dir: string): Trainer {
    const { config, values } = Trainer.readWeights(dir);
    return new Trainer(backend, config, values);
  }

  /** Overwrites every parameter with saved values (group/name → values; all must be present). */
  assignWeights(values: ReadonlyMap<string, Float32Array>): void {
    const tf = this.backend.tf;
    for (const [group, vars] of Object.entries(this.params)) {
      for (const [name, v] of Object.entries(vars)) {
        const saved = values.get(`${group}/${name}`);
        if (saved === undefined || saved.length !== v.size) throw new Error(`saved weights: ${group}/${name} missing or of the wrong size (want ${v.size})`);
        tf.tidy(() => v.assign(tf.tensor(saved, v.shape)));
      }
    }
  }

  dispose(): void {
    for (const vars of Object.values(this.params)) for (const v of Object.values(vars)) v.dispose();
    for (const o of this.optimizers.values()) o.dispose();
  }
}
