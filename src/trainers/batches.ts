/**
 * Examples → plain typed arrays ready to become tensors (the trainer's input stage):
 * clips as float32 [B, S, S, T·C] (frames stacked as channels, normalised), ROI weight
 * matrices for boxes, multi-hot labels with a validity mask, class indices.
 */
import type { Box, ClassificationExample, ClipShape, LocalisationExample } from '../data/datasets.js';
import { roiTaps, type RoiTaps } from './model.js';
import type { Rng } from '../data/rng.js';

/** uint8 → roughly zero-mean, unit-scale input (backgrounds sit around 0.05–0.3). */
const MEAN = 0.2;
const SCALE = 3;

export interface ClipBatch {
  readonly size: number;
  /** [B, H, W, T·C] */
  readonly clips: Float32Array;
}

/** Stacks THWC uint8 clips into [B, H, W, T·C] float32. */
export function clipBatch(clips: readonly Uint8Array[], shape: ClipShape): ClipBatch {
  const { frames: T, height: H, width: W, channels: C } = shape;
  const ch = T * C;
  const out = new Float32Array(clips.length * H * W * ch);
  clips.forEach((clip, b) => {
    const base = b * H * W * ch;
    for (let t = 0; t < T; t++) {
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) {
          out[base + p * ch + t * C + c] = (clip[(t * H * W + p) * C + c]! / 255 - MEAN) * SCALE;
        }
      }
    }
  });
  return { size: clips.length, clips: out };
}

export interface LocalisationBatch extends ClipBatch {
  /** Box slots per clip (max over the batch). */
  readonly maxBoxes: number;
  readonly roi: RoiTaps;
  /** [B·maxBoxes, classes] multi-hot. */
  readonly targets: Float32Array;
  /** [B·maxBoxes] 1 for a real box, 0 for padding. */
  readonly mask: Float32Array;
  readonly validBoxes: number;
}

/**
 * A training batch: each clip's GT person boxes (jittered ±0.5 px) with their labels, plus its
 * distractor boxes as all-negative ROIs. `classIndex` maps label ids to columns.
 */
export function localisationBatch(examples: readonly LocalisationExample[], shape: ClipShape, classIndex: ReadonlyMap<number, number>, rng: Rng): LocalisationBatch {
  const perClip: Box[][] = examples.map((e) => {
    const px = 0.5 / shape.width;
    return [...e.boxes.map((b) => b.map((v) => v + rng.uniform(-px, px)) as unknown as Box), ...e.negatives];
  });
  const maxBoxes = Math.max(1, ...perClip.map((b) => b.length));
  const k = classIndex.size;
  const targets = new Float32Array(examples.length * maxBoxes * k);
  const mask = new Float32Array(examples.length * maxBoxes);
  let valid = 0;
  examples.forEach((e, i) => {
    perClip[i]!.forEach((_, r) => {
      mask[i * maxBoxes + r] = 1;
      valid++;
      for (const l of e.labels[r] ?? []) targets[(i * maxBoxes + r) * k + classIndex.get(l)!] = 1;
    });
  });
  return { ...clipBatch(examples.map((e) => e.clip), shape), maxBoxes, roi: roiTaps(perClip, maxBoxes), targets, mask, validBoxes: valid };
}

export interface ClassificationBatch extends ClipBatch {
  readonly labels: Int32Array;
}

export function classificationBatch(examples: readonly ClassificationExample[], shape: ClipShape): ClassificationBatch {
  return { ...clipBatch(examples.map((e) => e.clip), shape), labels: Int32Array.from(examples, (e) => e.label) };
}
