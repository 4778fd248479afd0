/**
 * The co-finetuning model: one shared video encoder, one localisation head, one
 * classification head per upstream dataset. Plain tfjs variables (not tf.layers), so that each
 * parameter group has its own optimizer and a head is only touched by its own dataset.
 *
 *   clip  [B, 32, 32, T]  (early fusion: the T frames are the input channels)
 *   trunk conv3×3/2 (T→16) → conv3×3/2 (16→32) → conv3×3/1 (32→32) → conv1×1 neck (32→64), ReLU
 *         → per-cell LayerNorm over the 64 channels (no affine) → feature map F [B, 8·8, 64]
 *   localisation head: per box, 3×3 bilinear samples of F (box enlarged ×1.5 for context)
 *         and the clip's mean feature (global context, so interactions with a partner outside
 *         the box are learnable) → [boxes, 10·64] → linear → per-class sigmoid
 *   classification heads: mean-pooled F [B, 64] → linear → softmax
 *
 * Linear heads on purpose: with an MLP head the prototype's protocol ranking flipped
 * (../shared/docs/synth-benchmark-prototype.md §5). ROI pooling is its own op (makeRoiPool)
 * because cropAndResize/gather have no usable gradient on wasm.
 */
import type * as tfType from '@tensorflow/tfjs';
import { Rng } from '../data/rng.js';
import { makeConv2d, type Tf } from './conv.js';

export const FEATURE_SIZE = 8;
export const NECK = 64;
export const ROI_ROWS = 10; // 3×3 samples + 1 global row
export const ROI_FEATURES = ROI_ROWS * NECK;
export const CONTEXT_SCALE = 1.5;
export const LOC_BIAS_INIT = -2;
export const FEATURE_NORM_EPS = 1e-5;
/** What the heads see, for every protocol alike (recorded in reports). */
export const FEATURE_NORM = 'per-cell LayerNorm over the 64 trunk channels, no affine, before every head';
/** How every head starts, for every protocol alike (recorded in reports). */
export const HEAD_INIT = `zero weights; bias ${LOC_BIAS_INIT} (localisation), 0 (upstream)`;

export interface ModelSpec {
  /** Frames per clip (input channels). */
  readonly frames: number;
  /** Input height = width. */
  readonly size: number;
  readonly localisationClasses: number;
  /** Upstream dataset name → number of classes. */
  readonly upstream: Readonly<Record<string, number>>;
}

/** Parameter groups, each with its own optimizer: 'trunk', 'loc', and one per upstream set. */
export type ParamGroups = Record<string, Record<string, tfType.Variable>>;

function heInit(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const std = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => rng.normal(0, std));
}

let modelCounter = 0;

/**
 * Fresh parameters (He init from `seed`), or `weights` (group/name → values) from a saved model.
 * Variable names get a per-model prefix: tfjs requires names unique per process.
 */
export function createParams(tf: Tf, spec: ModelSpec, seed: number, weights?: ReadonlyMap<string, Float32Array>): ParamGroups {
  const rng = new Rng(seed);
  const prefix = `m${modelCounter++}`;
  const groups: ParamGroups = {};
  const v = (group: string, name: string, shape: number[], init: () => Float32Array) => {
    const saved = weights?.get(`${group}/${name}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (weights !== undefined && (saved === undefined || saved.length !== n)) throw new Error(`saved weights: ${group}/${name} missing or of the wrong size (want ${n})`);
    const values = saved ?? init(); // (init is still drawn for saved weights: keeps the rng stream identical)
    if (saved !== undefined) init();
    (groups[group] ??= {})[name] = tf.variable(tf.tensor(values, shape), true, `${prefix}/${group}/${name}`);
  };
  const he = (shape: number[], fanIn: number, gain = 1) => () => heInit(rng, shape, fanIn).map((x) => x * gain);
  const fill = (shape: number[], value: number) => () => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
  v('trunk', 'c1w', [3, 3, spec.frames, 16], he([3, 3, spec.frames, 16], 9 * spec.frames));
  v('trunk', 'c1b', [16], fill([16], 0));
  v('trunk', 'c2w', [3, 3, 16, 32], he([3, 3, 16, 32], 9 * 16));
  v('trunk', 'c2b', [32], fill([32], 0));
  v('trunk', 'c3w', [3, 3, 32, 32], he([3, 3, 32, 32], 9 * 32));
  v('trunk', 'c3b', [32], fill([32], 0));
  v('trunk', 'nw', [1, 1, 32, NECK], he([1, 1, 32, NECK], 32));
  v('trunk', 'nb', [NECK], fill([NECK], 0));
  // Heads start with zero weights (HEAD_INIT): a new head then outputs its bias whatever the
  // trunk's feature scale, so a pretrained trunk's first finetune losses equal a fresh one's.
  // A random head on pretrained features started pretrain-finetune at losses of 63-125 (vs ~4)
  // and left it below training from scratch (issue 8).
  v('loc', 'w', [ROI_FEATURES, spec.localisationClasses], fill([ROI_FEATURES, spec.localisationClasses], 0));
  v('loc', 'b', [spec.localisationClasses], fill([spec.localisationClasses], LOC_BIAS_INIT)); // start near the base rate
  for (const [name, k] of Object.entries(spec.upstream)) {
    v(`up:${name}`, 'w', [NECK, k], fill([NECK, k], 0));
    v(`up:${name}`, 'b', [k], fill([k], 0));
  }
  return groups;
}

export function makeForward(tf: Tf) {
  const conv2d = makeConv2d(tf);
  /** Trunk: clips [B, S, S, T] → features [B, 64 cells, 64]. */
  function trunk(p: ParamGroups['trunk'], x: tfType.Tensor4D): tfType.Tensor3D {
    const t = p as Record<string, tfType.Variable>;
    let h = tf.relu(conv2d(x, t['c1w'] as tfType.Tensor4D, 2, 1, false).add(t['c1b']!)) as tfType.Tensor4D;
    h = tf.relu(conv2d(h, t['c2w'] as tfType.Tensor4D, 2, 1).add(t['c2b']!)) as tfType.Tensor4D;
    h = tf.relu(conv2d(h, t['c3w'] as tfType.Tensor4D, 1, 1).add(t['c3b']!)) as tfType.Tensor4D;
    // the 1×1 neck as a convolution: XNNPACK convs run ~10× faster than wasm matmuls here
    const neck = tf.relu(conv2d(h, t['nw'] as tfType.Tensor4D, 1, 0).add(t['nb']!));
    const [b, hh, ww] = neck.shape;
    // LayerNorm before the heads (as ViT/ViViT end their encoders): without it, 2000 upstream
    // steps grew the ROI features ~90× (mean |f| 0.17 → 14.3) and a new head's Adam steps on
    // them overshot — LP-FT's probe rose from loss 1.3 to 4.5 even at LR 0.0015 (issue 8).
    // No affine: the feature scale is the same for a fresh and a pretrained trunk.
    const cells = neck.reshape([b, hh * ww, NECK]) as tfType.Tensor3D;
    const { mean, variance } = tf.moments(cells, -1, true);
    return cells.sub(mean).div(variance.add(FEATURE_NORM_EPS).sqrt()) as tfType.Tensor3D;
  }
  const roiPool = makeRoiPool(tf);
  /** Localisation logits for boxes (taps from roiTaps) → [B·R, classes]. */
  function localise(p: ParamGroups['loc'], feats: tfType.Tensor3D, taps: RoiTaps): tfType.Tensor2D {
    return tf.matMul(roiPool(feats, taps), p['w'] as tfType.Tensor2D).add(p['b']!) as tfType.Tensor2D;
  }
  /** Classification logits: mean-pooled features → [B, classes]. */
  function classify(p: Record<string, tfType.Variable>, feats: tfType.Tensor3D): tfType.Tensor2D {
    return tf.matMul(feats.mean(1) as tfType.Tensor2D, p['w'] as tfType.Tensor2D).add(p['b']!) as tfType.Tensor2D;
  }
  return { trunk, localise, classify };
}

/**
 * ROI sample taps for a batch: for clip b, box slot r and sample s (3×3 bin centres of the
 * box enlarged ×CONTEXT_SCALE, clamped to the map), the 4 bilinear (cell, weight) pairs over
 * the 8×8 feature cells. Slots beyond a clip's boxes stay empty (weight 0; masked in the loss).
 * `boxes[b]` are normalised [x1, y1, x2, y2].
 */
export interface RoiTaps {
  readonly clips: number;
  readonly maxBoxes: number;
  /** Boxes present per clip. */
  readonly boxes: Int32Array;
  /** [clips · maxBoxes · 9 · 4] cell indices and weights. */
  readonly cell: Int32Array;
  readonly weight: Float32Array;
}

export function roiTaps(boxes: readonly (readonly number[])[][], maxBoxes: number): RoiTaps {
  const n = boxes.length;
  const cell = new Int32Array(n * maxBoxes * 36);
  const weight = new Float32Array(n * maxBoxes * 36);
  const s = FEATURE_SIZE;
  const clamp = (v: number) => Math.min(s - 1, Math.max(0, v));
  boxes.forEach((list, i) => {
    list.forEach((box, r) => {
      const [x1, y1, x2, y2] = box as [number, number, number, number];
      const cx = (x1 + x2) / 2;
      const cy = (y1 + y2) / 2;
      const w = (x2 - x1) * CONTEXT_SCALE;
      const h = (y2 - y1) * CONTEXT_SCALE;
      for (let gy = 0; gy < 3; gy++) {
        for (let gx = 0; gx < 3; gx++) {
          // sample point in feature-cell coordinates (cell centres at integer + 0.5)
          const fx = clamp((cx + ((gx - 1) * w) / 3) * s - 0.5);
          const fy = clamp((cy + ((gy - 1) * h) / 3) * s - 0.5);
          const x0 = Math.floor(fx);
          const y0 = Math.floor(fy);
          const x1c = Math.min(s - 1, x0 + 1);
          const y1c = Math.min(s - 1, y0 + 1);
          const ax = fx - x0;
          const ay = fy - y0;
          const t = ((i * maxBoxes + r) * 9 + gy * 3 + gx) * 4;
          cell[t] = y0 * s + x0;
          weight[t] = (1 - ax) * (1 - ay);
          cell[t + 1] = y0 * s + x1c;
          weight[t + 1] = ax * (1 - ay);
          cell[t + 2] = y1c * s + x0;
          weight[t + 2] = (1 - ax) * ay;
          cell[t + 3] = y1c * s + x1c;
          weight[t + 3] = ax * ay;
        }
      }
    });
  });
  return { clips: n, maxBoxes, boxes: Int32Array.from(boxes, (b) => b.length), cell, weight };
}

/**
 * ROI pooling as an op with its own gradient: features [B, 64 cells, C] → [B·R, 10·C] (9
 * bilinear samples + the clip's mean feature per box). The taps are sparse (4 per sample), so
 * plain loops beat a dense batched matmul (the wasm BatchMatMul of the dense form cost ~20 ms
 * per step here). Forward and backward sum in a fixed order: deterministic.
 */
export function makeRoiPool(tf: Tf) {
  return function roiPool(feats: tfType.Tensor3D, taps: RoiTaps): tfType.Tensor2D {
    const [b, cells, c] = feats.shape;
    const rows = b * taps.maxBoxes;
    const op = tf.customGrad(((fIn: tfType.Tensor) => {
      const f = fIn.dataSync() as Float32Array;
      const out = new Float32Array(rows * ROI_ROWS * c);
      const mean = new Float32Array(c);
      for (let i = 0; i < b; i++) {
        mean.fill(0);
        for (let k = 0; k < cells; k++) for (let ch = 0; ch < c; ch++) mean[ch]! += f[(i * cells + k) * c + ch]!;
        for (let r = 0; r < taps.boxes[i]!; r++) {
          const row = (i * taps.maxBoxes + r) * ROI_ROWS * c;
          for (let smp = 0; smp < 9; smp++) {
            const t = ((i * taps.maxBoxes + r) * 9 + smp) * 4;
            const o = row + smp * c;
            for (let q = 0; q < 4; q++) {
              const w = taps.weight[t + q]!;
              if (w === 0) continue;
              const src = (i * cells + taps.cell[t + q]!) * c;
              for (let ch = 0; ch < c; ch++) out[o + ch]! += w * f[src + ch]!;
            }
          }
          const g = row + 9 * c;
          for (let ch = 0; ch < c; ch++) out[g + ch] = mean[ch]! / cells;
        }
      }
      return {
        value: tf.tensor2d(out, [rows, ROI_ROWS * c]),
        gradFunc: (dy: tfType.Tensor) => {
          const d = dy.dataSync() as Float32Array;
          const df = new Float32Array(b * cells * c);
          const dmean = new Float32Array(c);
          for (let i = 0; i < b; i++) {
            dmean.fill(0);
            for (let r = 0; r < taps.boxes[i]!; r++) {
              const row = (i * taps.maxBoxes + r) * ROI_ROWS * c;
              for (let smp = 0; smp < 9; smp++) {
                const t = ((i * taps.maxBoxes + r) * 9 + smp) * 4;
                const o = row + smp * c;
                for (let q = 0; q < 4; q++) {
                  const w = taps.weight[t + q]!;
                  if (w === 0) continue;
                  const dst = (i * cells + taps.cell[t + q]!) * c;
                  for (let ch = 0; ch < c; ch++) df[dst + ch]! += w * d[o + ch]!;
                }
              }
              const g = row + 9 * c;
              for (let ch = 0; ch < c; ch++) dmean[ch]! += d[g + ch]! / cells;
            }
            for (let k = 0; k < cells; k++) for (let ch = 0; ch < c; ch++) df[(i * cells + k) * c + ch]! += dmean[ch]!;
          }
          return [tf.tensor3d(df, [b, cells, c])];
        },
      };
    }) as unknown as Parameters<Tf['customGrad']>[0]);
    return op(feats) as tfType.Tensor2D;
  };
}
