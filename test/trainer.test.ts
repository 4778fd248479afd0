/**
 * The trainer: custom conv gradients equal autodiff (cpu backend); a short co-finetuning run
 * on wasm learns (val mAP well above a no-skill model); same seed → byte-identical weights
 * and predictions; save/load is an exact round trip; optional backends degrade clearly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../src/trainers/backend.js';
import { makeConv2d } from '../src/trainers/conv.js';
import { Trainer } from '../src/trainers/trainer.js';
import { runProtocol } from '../src/protocols/runner.js';
import { PROTOCOLS } from '../src/protocols/protocol.js';
import { parseSampler } from '../src/protocols/sampler.js';
import { createSynthAva } from '../src/data/synth/synth-ava.js';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { evaluatePredictions } from '../src/metrics/evaluate-predictions.js';
import { tempDir } from './helpers/cli.js';

describe('custom conv2d gradients', () => {
  it.each([
    [1, 1, 8, 3],
    [2, 1, 32, 3],
    [2, 1, 15, 3],
    [1, 0, 8, 1],
  ])('stride %i pad %i size %i kernel %i: dX and dW equal tfjs autodiff (cpu)', async (stride, pad, h, k) => {
    await tf.setBackend('cpu');
    const conv = makeConv2d(tf);
    const x = tf.randomNormal([2, h, h, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, 3, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad).square().sum())([x, w]);
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]).square().sum())([x, w]);
    for (let i = 0; i < 2; i++) {
      const err = ours[i]!.sub(ref[i]!).abs().max().dataSync()[0]! / ref[i]!.abs().max().dataSync()[0]!;
      expect(err).toBeLessThan(1e-5);
    }
  });
});

describe('sparse ROI pooling op', () => {
  it('equals the dense matmul formulation, forward and gradient (cpu)', async () => {
    await tf.setBackend('cpu');
    const { makeRoiPool, roiTaps } = await import('../src/trainers/model.js');
    const boxes = [[[0.1, 0.2, 0.4, 0.6], [0.5, 0.5, 0.95, 0.9]], [[0, 0, 1, 1]], []];
    const taps = roiTaps(boxes, 2);
    // dense ROI matrix [B, R·10, 64] from the same taps: 9 sample rows + one uniform row per real box
    const dense = new Float32Array(3 * 2 * 10 * 64);
    for (let i = 0; i < 3; i++) for (let r = 0; r < taps.boxes[i]!; r++) {
      for (let smp = 0; smp < 9; smp++) for (let q = 0; q < 4; q++) {
        const t = ((i * 2 + r) * 9 + smp) * 4 + q;
        dense[((i * 2 + r) * 10 + smp) * 64 + taps.cell[t]!]! += taps.weight[t]!;
      }
      for (let c = 0; c < 64; c++) dense[((i * 2 + r) * 10 + 9) * 64 + c] = 1 / 64;
    }
    const roi = tf.tensor3d(dense, [3, 20, 64]);
    const feats = tf.randomNormal([3, 64, 16], 0, 1, 'float32', 3) as tf.Tensor3D;
    const pool = makeRoiPool(tf);
    const g = tf.randomNormal([6, 160], 0, 1, 'float32', 4);
    const f1 = (f: tf.Tensor) => pool(f as tf.Tensor3D, taps).mul(g).sum();
    const f2 = (f: tf.Tensor) => tf.matMul(roi, f as tf.Tensor3D).reshape([6, 160]).mul(g).sum();
    expect(Math.abs(f1(feats).dataSync()[0]! - f2(feats).dataSync()[0]!)).toBeLessThan(1e-4);
    const d = tf.grad(f1)(feats).sub(tf.grad(f2)(feats)).abs().max().dataSync()[0]!;
    expect(d).toBeLessThan(1e-5);
  });
});

const ava = createSynthAva(0);
const kin = createSynthKinetics(0);

async function shortRun(seed: number, steps = 90) {
  const backend = await loadBackend('wasm');
  const ctx = { downstream: 'synth-ava', upstream: ['synth-kinetics'], budget: { downstream: (steps / 3) * 32, upstream: ((2 * steps) / 3) * 32 }, batch: 32, lr: 3e-3, pretrainLr: 3e-3, sampler: parseSampler('weighted-without-replacement') };
  return runProtocol({ protocol: PROTOCOLS['cofinetune']!, ctx, datasets: { 'synth-ava': ava, 'synth-kinetics': kin }, seed, backend });
}

describe('trainer on wasm', { timeout: 180_000 }, () => {
  const val = Array.from({ length: 200 }, (_, i) => ava.example('val', i));

  it('learns: a short co-finetuning run beats an untrained model on val frame-mAP', async () => {
    const backend = await loadBackend('wasm');
    const untrained = new Trainer(backend, { shape: ava.shape, localisationClasses: ava.classes, upstream: {}, seed: 1 });
    const sub = { ...ava, sizes: { ...ava.sizes, val: 200 } };
    const before = (await evaluatePredictions(sub, 'val', untrained.predict(val), tempDir())).run.summary.mAP;
    const run = await shortRun(1);
    const after = (await evaluatePredictions(sub, 'val', run.trainer.predict(val), tempDir())).run.summary.mAP;
    expect(after).toBeGreaterThan(before + 0.1);
    expect(run.ledger.totals['synth-ava']!.examples).toBe(960);
    expect(run.ledger.totals['synth-kinetics']!.examples).toBe(1920);
  });

  it('same seed → byte-identical weights and predictions; save/load is exact', async () => {
    const a = await shortRun(7, 30);
    const b = await shortRun(7, 30);
    const c = await shortRun(8, 30);
    const dir = tempDir();
    a.trainer.save(join(dir, 'a'));
    b.trainer.save(join(dir, 'b'));
    c.trainer.save(join(dir, 'c'));
    const wa = readFileSync(join(dir, 'a', 'weights.bin'));
    expect(readFileSync(join(dir, 'b', 'weights.bin')).equals(wa)).toBe(true);
    expect(readFileSync(join(dir, 'c', 'weights.bin')).equals(wa)).toBe(false);
    expect(a.ledger).toEqual(b.ledger);
    const loaded = Trainer.load(await loadBackend('wasm'), join(dir, 'a'));
    const few = val.slice(0, 20);
    expect(loaded.predict(few)).toEqual(a.trainer.predict(few));
    expect(b.trainer.predict(few)).toEqual(a.trainer.predict(few));
  });

  it('a mixed batch (two datasets in one step) updates the trunk and both heads, and only those', async () => {
    const backend = await loadBackend('wasm');
    const t = new Trainer(backend, { shape: ava.shape, localisationClasses: ava.classes, upstream: { 'synth-kinetics': kin.classes, 'synth-ssv2': ['a', 'b'] }, seed: 3 });
    const snap = (g: string) => Array.from(t.params[g]!['b']!.dataSync());
    const before = { loc: snap('loc'), kin: snap('up:synth-kinetics'), ssv2: snap('up:synth-ssv2') };
    const loss = t.step([{ dataset: 'loc', examples: val.slice(0, 12) }, { dataset: 'synth-kinetics', examples: Array.from({ length: 20 }, (_, i) => kin.example('train', i)) }], 1e-2);
    expect(Number.isFinite(loss)).toBe(true);
    expect(snap('loc')).not.toEqual(before.loc);
    expect(snap('up:synth-kinetics')).not.toEqual(before.kin);
    expect(snap('up:synth-ssv2')).toEqual(before.ssv2);
  });

  it('an optional backend that is not installed fails with a clear message', async () => {
    await expect(loadBackend('tfjs-node-gpu')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu is not installed/);
  });
});
