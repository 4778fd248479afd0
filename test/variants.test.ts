/**
 * Model variants: ONNX export parity with tfjs (≤ 1e-5, same mAP), contract errors naming the
 * field (fixtures built here in TypeScript), and the regression gate: the unchanged baseline
 * passes, a model with its tail classes switched off fails, tolerances are honoured.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { loadBackend } from '../src/trainers/backend.js';
import { exportOnnx } from '../src/trainers/onnx-export.js';
import { OnnxModel } from '../src/trainers/onnx-runner.js';
import { Trainer } from '../src/trainers/trainer.js';
import { runProtocol } from '../src/protocols/runner.js';
import { PROTOCOLS } from '../src/protocols/protocol.js';
import { parseSampler } from '../src/protocols/sampler.js';
import { createSynthAva } from '../src/data/synth/synth-ava.js';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { node, modelProto, tensor, valueInfo, DT } from '../src/trainers/onnx-proto.js';
import { InputError } from '../src/data/input-error.js';
import { torchPython } from '../src/trainers/torch-trainer.js';
import { spawnSync } from 'node:child_process';

const ava = createSynthAva(0);
const BASELINE = new URL('../baselines/default', import.meta.url).pathname;

describe('ONNX export', () => {
  it('gives the same detections as the tfjs model (within 1e-5) and the same mAP', async () => {
    const backend = await loadBackend('wasm');
    const run = runProtocol({
      protocol: PROTOCOLS['cofinetune']!,
      ctx: { downstream: 'synth-ava', upstream: ['synth-kinetics'], budget: { downstream: 320, upstream: 640 }, batch: 32, lr: 3e-3, pretrainLr: 3e-3, sampler: parseSampler('weighted-without-replacement') },
      datasets: { 'synth-ava': ava, 'synth-kinetics': createSynthKinetics(0) },
      seed: 0,
      backend,
    });
    const dir = tempDir();
    writeFileSync(join(dir, 'm.onnx'), exportOnnx(run.trainer, 'test'));
    const onnx = await OnnxModel.load(join(dir, 'm.onnx'), ava);
    const ex = Array.from({ length: 40 }, (_, i) => ava.example('val', i));
    const a = run.trainer.predict(ex);
    const b = await onnx.predict(ex);
    expect(b).toHaveLength(a.length);
    let maxd = 0;
    a.forEach((r, i) => {
      expect([b[i]!.videoId, b[i]!.timestamp, b[i]!.classId]).toEqual([r.videoId, r.timestamp, r.classId]);
      maxd = Math.max(maxd, Math.abs(b[i]!.score - r.score));
    });
    expect(maxd).toBeLessThan(1e-5);
    const { evaluatePredictions } = await import('../src/metrics/evaluate-predictions.js');
    const sub = { ...ava, sizes: { ...ava.sizes, val: 40 } };
    const m1 = (await evaluatePredictions(sub, 'val', a, tempDir())).run.summary.mAP;
    const m2 = (await evaluatePredictions(sub, 'val', b, tempDir())).run.summary.mAP;
    expect(Math.abs(m1 - m2)).toBeLessThan(1e-4);
  });
});

/** A stand-in model: scores = sum(boxes) tiled to K classes; names and shapes configurable. */
function fixture(opts: { clips?: string; size?: number; k?: number; output?: string; logits?: boolean; staticAxes?: boolean }): string {
  const k = opts.k ?? 17;
  const bytes = modelProto({
    nodes: [node('ReduceSum', ['boxes', 'axes'], ['s'], 'sum', [{ name: 'keepdims', i: 1 }]), ...(opts.logits ? [node('Neg', ['s'], ['p'], 'neg')] : [node('Sigmoid', ['s'], ['p'], 'sig')]), node('Tile', ['p', 'reps'], [opts.output ?? 'scores'], 'tile')],
    initializers: [tensor('axes', [1], BigInt64Array.from([2n])), tensor('reps', [3], BigInt64Array.from([1n, 1n, BigInt(k)]))],
    inputs: [valueInfo(11, opts.clips ?? 'clips', DT.FLOAT, [opts.staticAxes ? 1 : 'N', 8, opts.size ?? 32, opts.size ?? 32, 1]), valueInfo(11, 'boxes', DT.FLOAT, [opts.staticAxes ? 1 : 'N', opts.staticAxes ? 3 : 'R', 4])],
    outputs: [valueInfo(12, opts.output ?? 'scores', DT.FLOAT, ['N', 'R', k])],
    graphName: 'fixture',
    docString: '',
    opset: 17,
    producerVersion: 'test',
  });
  const p = join(tempDir(), 'fixture.onnx');
  writeFileSync(p, bytes);
  return p;
}

describe('ONNX I/O contract', () => {
  it('a conforming model runs', async () => {
    const m = await OnnxModel.load(fixture({}), ava);
    expect((await m.predict([ava.example('val', 0)])).length).toBe(ava.example('val', 0).detections.length * 17);
  });
  it.each([
    ['a wrong input name', { clips: 'video' }, /contract: input 'clips' missing \(the model's inputs: video, boxes/],
    ['a wrong output name', { output: 'logits' }, /contract: output 'scores' missing/],
    ['a wrong output size', { k: 5 }, /contract: output 'scores' has shape \[1, 2, 5\].*expected \[1, 2, 17\]/],
    ['a wrong input shape', { size: 16 }, /contract: input 'clips' must be float32 \[N, 8, 32, 32, 1\]/],
    ['static N and R (torch.onnx.export without dynamic_axes)', { staticAxes: true }, /must be float32 \[N, R, 4\] with N \(clips\) and R \(boxes per clip\) dynamic axes \(torch\.onnx\.export\(\.\.\., dynamic_axes=/],
    ['logits instead of probabilities', { logits: true }, /contract: output 'scores' must be probabilities in \[0, 1\]; got -?[\d.]+ — does the model end in logits\?/],
  ])('%s is rejected naming the contract field', async (_n, opts, message) => {
    const err = await OnnxModel.load(fixture(opts as never), ava).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
  });
  it('a file that is not ONNX is rejected clearly (exit 2 from the CLI)', async () => {
    const p = join(tempDir(), 'x.onnx');
    writeFileSync(p, 'not a model');
    const r = await cli(['infer', '--model', p, '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a loadable ONNX model/);
  });
});

describe.skipIf(!existsSync(join(BASELINE, 'result.json')))('regression gate against baselines/default', () => {
  it('the unchanged baseline model passes (exit 0)', async () => {
    const md = join(tempDir(), 'summary.md');
    const r = await cli(['check', '--baseline', BASELINE, '--candidate', join(BASELINE, 'model.onnx'), '--resamples', '200', '--markdown', md, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.pass).toBe(true);
    for (const m of v.metrics) expect(m.delta.estimate).toBe(0);
    expect(existsSync(md)).toBe(true);
  });

  it('a model that switches its tail classes off fails on tail (exit 1), and annotates for GitHub', async () => {
    const backend = await loadBackend('wasm');
    const t = Trainer.load(backend, join(BASELINE, 'model'));
    const doc = readJson(join(BASELINE, 'result.json'));
    const tail: number[] = doc.groups.tail.classes;
    const b = t.params['loc']!['b']!;
    const bias = Float32Array.from(b.dataSync());
    t.config.localisationClasses.forEach((c, i) => {
      if (tail.includes(c.id)) bias[i] = -30;
    });
    b.assign(backend.tf.tensor(bias));
    const p = join(tempDir(), 'no-tail.onnx');
    writeFileSync(p, exportOnnx(t, 'test'));
    const r = await cli(['check', '--baseline', BASELINE, '--candidate', p, '--resamples', '200', '--github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error title=cft-bench regression \(tail\)::/);
    const tolerant = await cli(['check', '--baseline', BASELINE, '--candidate', p, '--resamples', '200', '--max-drop', '100']);
    expect(tolerant.code).toBe(0);
    const bad = await cli(['check', '--baseline', BASELINE, '--candidate', p, '--max-drop', 'tails=1']);
    expect(bad.code).toBe(2);
  });

  it('check --json speaks one unit (mAP points, as --max-drop); a model given as the baseline is told what a baseline is', async () => {
    const r = await cli(['check', '--baseline', BASELINE, '--candidate', BASELINE, '--resamples', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.unit).toBe('mAP points (0-100)');
    const overall = v.metrics.find((m: { metric: string }) => m.metric === 'overall');
    expect(overall.baseline).toBeCloseTo(readJson(join(BASELINE, 'result.json')).mAP * 100, 10);
    expect(overall.maxDrop).toBe(0.5);
    const onnx = await cli(['check', '--baseline', join(BASELINE, 'model.onnx'), '--candidate', BASELINE]);
    expect(onnx.code).toBe(2);
    expect(onnx.stderr).toMatch(/model\.onnx: an ONNX model can only be the candidate; a baseline is the result of `cft-bench infer` or `eval`/);
  });
});

describe.skipIf(!existsSync(join(BASELINE, 'result.json')))('a model on a dataset directory (the user\'s data, `data export` layout)', { timeout: 240_000 }, () => {
  it('infer --split val needs only the val clips; check --candidate x.onnx runs on the directory the baseline ran on; an eval of the same predictions on the user\'s own GT and label map files (written differently) is the same evaluation', async () => {
    const dir = tempDir();
    const exported = await cli(['data', 'export', '--benchmark', 'synth-ava', '--out', dir]);
    expect(exported.code, exported.stderr).toBe(0);
    const data = join(dir, 'synth-ava');
    rmSync(join(data, 'train_clips.npy')); // infer on val must not need it
    // the user's own files: the same GT rows with other number spellings, a label map with comments and spacing
    const gtRows = readFileSync(join(data, 'val_gt.csv'), 'utf8').trimEnd().split('\n');
    const userGt = join(dir, 'my_val_gt.csv');
    writeFileSync(userGt, gtRows.map((l) => l.split(',').map((v, i) => (i >= 2 && i <= 5 && v.includes(".") ? `${v}0` : v)).join(',')).join('\n') + '\n');
    const userLabelMap = join(dir, 'my_labelmap.pbtxt');
    writeFileSync(userLabelMap, '# my classes\n\n' + readFileSync(join(data, 'labelmap.pbtxt'), 'utf8').replace(/\n/g, '\n\n'));

    const base = join(dir, 'baseline');
    const inf = await cli(['infer', '--model', join(BASELINE, 'model.onnx'), '--benchmark', data, '--split', 'val', '--out', base]);
    expect(inf.code, inf.stderr).toBe(0);
    expect(readJson(join(base, 'result.json')).variant.datasetDir).toBe('../synth-ava');
    const check = await cli(['check', '--baseline', base, '--candidate', join(BASELINE, 'model.onnx'), '--resamples', '50', '--json']);
    expect(check.code, check.stderr).toBe(0);
    for (const m of JSON.parse(check.stdout).metrics) expect(m.delta.estimate).toBe(0);

    const ev = join(dir, 'eval');
    const e = await cli(['eval', '--gt', userGt, '--labelmap', userLabelMap, '--pred', join(base, 'val_predictions.csv'), '--class-counts', join(data, 'train_counts.csv'), '--out', ev, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(readJson(join(ev, 'result.json')).mAP).toBe(readJson(join(base, 'result.json')).mAP);
    const d = await cli(['diff', base, ev, '--resamples', '50', '--json']);
    expect(d.code, d.stderr).toBe(0);
    for (const g of JSON.parse(d.stdout).groups) expect(g.delta.estimate).toBe(0);

    // the directory gone: said plainly
    rmSync(data, { recursive: true });
    const gone = await cli(['check', '--baseline', base, '--candidate', join(BASELINE, 'model.onnx')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('the dataset directory');
  });
});

let torchPy: string | null = null;
try {
  torchPy = torchPython();
} catch {
  torchPy = null;
}

describe.skipIf(torchPy === null)('the README\'s PyTorch export snippet (skipped only when no Python can import torch)', { timeout: 240_000 }, () => {
  it('examples/torch-onnx-export.py writes a model that `cft-bench infer` runs under the contract; the README shows the same export call', async () => {
    const script = new URL('../examples/torch-onnx-export.py', import.meta.url).pathname;
    const dir = tempDir();
    const model = join(dir, 'variant.onnx');
    const r = spawnSync(torchPy!, [script, model], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const inf = await cli(['infer', '--model', model, '--benchmark', 'synth-ava', '--split', 'val', '--out', join(dir, 'infer'), '--json']);
    expect(inf.code, inf.stderr).toBe(0);
    const doc = JSON.parse(inf.stdout);
    expect(doc.counts.predictions.scored).toBeGreaterThan(0);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const call = readFileSync(script, 'utf8').slice(readFileSync(script, 'utf8').indexOf('torch.onnx.export('));
    expect(readme).toContain(call.slice(0, call.indexOf('\n)\n') + 2));
  });
});
