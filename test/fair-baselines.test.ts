/**
 * Fair baselines (issue 8): every protocol's new heads start at zero weights, so a pretrained
 * trunk's first finetune loss equals a from-scratch one; LP-FT spends its budget exactly with
 * the same ledger as pretrain-finetune and its probe leaves the trunk alone; the shared
 * pretraining checkpoint gives byte-identical results to an unshared run; the sanity guard fires
 * on a broken plug-in protocol; the LR-grid edge rule fires.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBackend } from '../src/trainers/backend.js';
import { Trainer } from '../src/trainers/trainer.js';
import { ExampleCache, runProtocol, sharedPrefix, type StepInfo } from '../src/protocols/runner.js';
import { LPFT_PROBE_SHARE, PROTOCOLS, type ProtocolContext } from '../src/protocols/protocol.js';
import { parseSampler } from '../src/protocols/sampler.js';
import { loadDatasets, pretrainKey, runJob, type JobSpec } from '../src/protocols/job.js';
import { sanityWarnings, type LeaderboardRow } from '../src/protocols/compare.js';
import type { JobResult } from '../src/protocols/job.js';
import { createSynthAva } from '../src/data/synth/synth-ava.js';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { cli, readJson, tempDir } from './helpers/cli.js';

const ava = createSynthAva(0);
const kin = createSynthKinetics(0);
const datasets = { 'synth-ava': ava, 'synth-kinetics': kin };
const ctx: ProtocolContext = { downstream: 'synth-ava', upstream: ['synth-kinetics'], budget: { downstream: 8 * 32, upstream: 12 * 32 }, batch: 32, lr: 3e-3, pretrainLr: 3e-3, sampler: parseSampler('weighted-without-replacement') };

async function run(protocol: string, seed = 0) {
  const steps: StepInfo[] = [];
  const r = runProtocol({ protocol: PROTOCOLS[protocol]!, ctx, datasets, seed, backend: await loadBackend('wasm'), onStep: (s) => steps.push(s) });
  return { ...r, steps };
}

describe('fair baselines', { timeout: 240_000 }, () => {
  it('every head of a fresh model starts at zero weights (localisation bias -2, upstream bias 0)', async () => {
    const t = new Trainer(await loadBackend('wasm'), { shape: ava.shape, localisationClasses: ava.classes, upstream: { 'synth-kinetics': kin.classes, x: ['a', 'b'] }, seed: 5 });
    for (const g of ['loc', 'up:synth-kinetics', 'up:x']) expect(Array.from(t.params[g]!['w']!.dataSync()).every((v) => v === 0), g).toBe(true);
    expect(new Set(t.params['loc']!['b']!.dataSync())).toEqual(new Set([-2]));
    expect(Array.from(t.params['trunk']!['c1w']!.dataSync()).some((v) => v !== 0)).toBe(true);
    t.dispose();
  });

  it('so every transfer protocol starts its downstream phase at exactly the from-scratch loss', async () => {
    const scratch = await run('downstream-only');
    const start = scratch.steps[0]!.loss;
    for (const p of ['pretrain-finetune', 'linear-probe-finetune']) {
      const r = await run(p);
      const firstDown = r.steps.find((s) => s.phase !== 'pretrain')!;
      expect(firstDown.loss, p).toBeCloseTo(start, 5);
      expect(r.firstLoss[firstDown.phase]!['synth-ava']!, p).toBeLessThan(2 * scratch.firstLoss['train']!['synth-ava']!);
    }
  });

  it('LP-FT consumes its budget exactly, with the same ledger totals as pretrain-finetune; its probe leaves the trunk as pretrained', async () => {
    const ptft = await run('pretrain-finetune');
    const lpft = await run('linear-probe-finetune');
    expect(lpft.ledger.totals).toEqual(ptft.ledger.totals);
    const phases = Object.fromEntries(lpft.ledger.phases.map((p) => [p.name, p]));
    expect(Object.keys(phases)).toEqual(['pretrain', 'probe', 'finetune']);
    expect(phases['probe']!.datasets['synth-ava']!.examples).toBe(Math.round((LPFT_PROBE_SHARE * ctx.budget.downstream) / 32) * 32);
    expect(phases['probe']!.datasets['synth-ava']!.examples + phases['finetune']!.datasets['synth-ava']!.examples).toBe(ctx.budget.downstream);
    expect(phases['pretrain']!.datasets['synth-kinetics']).toEqual(ptft.ledger.phases[0]!.datasets['synth-kinetics']);

    const t = new Trainer(await loadBackend('wasm'), { shape: ava.shape, localisationClasses: ava.classes, upstream: {}, seed: 2 });
    const trunk = () => Array.from(t.params['trunk']!['c2w']!.dataSync());
    const head = () => Array.from(t.params['loc']!['w']!.dataSync());
    const [t0, h0] = [trunk(), head()];
    const batch = [{ dataset: 'loc', examples: Array.from({ length: 8 }, (_, i) => ava.example('train', i)) }];
    t.step(batch, 1e-2, true);
    expect(trunk()).toEqual(t0);
    expect(head()).not.toEqual(h0);
    t.step(batch, 1e-2);
    expect(trunk()).not.toEqual(t0);
    t.dispose();
  });

  it('pretraining is shareable across the LR grid and between pretrain-finetune and LP-FT; downstream-only and cofinetune have none', async () => {
    const spec = (protocol: string, lr: number): JobSpec => ({
      protocol, protocolSource: null, seed: 0, lr, pretrainLr: 3e-3, budget: ctx.budget, batch: 32, sampler: 'weighted-without-replacement',
      downstream: 'synth-ava', upstream: ['synth-kinetics'], benchmarkSeed: 0, backend: 'wasm', evalSplits: [], codeVersion: 'test',
    });
    const k = await pretrainKey(spec('pretrain-finetune', 3e-3));
    expect(k).not.toBeNull();
    expect(await pretrainKey(spec('pretrain-finetune', 6e-3))).toBe(k);
    expect(await pretrainKey(spec('linear-probe-finetune', 1e-3))).toBe(k);
    expect(await pretrainKey({ ...spec('pretrain-finetune', 3e-3), seed: 1 })).not.toBe(k);
    expect(await pretrainKey({ ...spec('pretrain-finetune', 3e-3), pretrainLr: 1e-3 })).not.toBe(k);
    expect(await pretrainKey(spec('downstream-only', 3e-3))).toBeNull();
    expect(await pretrainKey(spec('cofinetune', 3e-3))).toBeNull();
    expect(sharedPrefix(PROTOCOLS['linear-probe-finetune']!, ctx, 0)!.phases.map((p) => p.name)).toEqual(['pretrain']);
  });

  it('a run from the shared pretraining checkpoint is byte-identical to an unshared run', async () => {
    const spec: JobSpec = {
      protocol: 'pretrain-finetune', protocolSource: null, seed: 3, lr: 6e-3, pretrainLr: 3e-3, budget: ctx.budget, batch: 32, sampler: 'weighted-without-replacement',
      downstream: 'synth-ava', upstream: ['synth-kinetics'], benchmarkSeed: 0, backend: 'wasm', evalSplits: ['val'], codeVersion: 'test',
    };
    const ds = loadDatasets(spec);
    const root = tempDir();
    const ckpt = join(root, 'pretrain');
    const plain = await runJob(spec, join(root, 'plain'), ds, new ExampleCache(ds));
    const saving = await runJob(spec, join(root, 'saving'), ds, new ExampleCache(ds), undefined, ckpt);
    const steps: StepInfo[] = [];
    const loading = await runJob(spec, join(root, 'loading'), ds, new ExampleCache(ds), (s) => steps.push(s), ckpt);
    expect(existsSync(join(ckpt, saving.pretrainCheckpoint!, 'state.json'))).toBe(true);
    expect(steps.filter((s) => s.phase === 'pretrain')).toHaveLength(1); // loaded, not trained: one progress report for the phase
    const bytes = (r: JobResult, f: string) => readFileSync(join(r.dir, f));
    for (const r of [saving, loading]) {
      expect(bytes(r, 'model/weights.bin').equals(bytes(plain, 'model/weights.bin'))).toBe(true);
      expect(bytes(r, 'val/val_predictions.csv').equals(bytes(plain, 'val/val_predictions.csv'))).toBe(true);
      expect(r.ledger).toEqual(plain.ledger);
      expect(r.scores).toEqual({ val: { ...plain.scores.val!, files: r.scores.val!.files } });
      expect(r.finalLoss).toEqual(plain.finalLoss);
      expect(r.firstLoss).toEqual(plain.firstLoss);
    }
  });

  it('the guard says "baseline may be broken" when later phases start far above a from-scratch loss', () => {
    const result = (seed: number, phases: string[], firstLoss: Record<string, Record<string, number>>) =>
      ({ spec: { seed }, ledger: { phases: phases.map((name) => ({ name })), totals: {} }, firstLoss }) as unknown as JobResult;
    const cell = (mean: number) => ({ mean, std: null, ci: null });
    const row = (protocol: string, m: number) => ({ protocol, mAP: cell(m) }) as unknown as LeaderboardRow;
    const protocols = [PROTOCOLS['downstream-only']!, PROTOCOLS['pretrain-finetune']!];
    const selected = new Map([
      ['downstream-only', [result(0, ['train'], { train: { 'synth-ava': 4.1 } })]],
      ['pretrain-finetune', [result(0, ['pretrain', 'finetune'], { pretrain: { 'synth-kinetics': 2.5 }, finetune: { 'synth-ava': 63 } })]],
    ]);
    const w = sanityWarnings(protocols, [row('downstream-only', 0.7), row('pretrain-finetune', 0.69)], selected);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/pretrain-finetune scores below downstream-only .*baseline may be broken/);
    expect(w[1]).toMatch(/pretrain-finetune: phase 'finetune' starts at loss 63\.00 on synth-ava .*4\.10.*baseline may be broken/);
    selected.set('pretrain-finetune', [result(0, ['pretrain', 'finetune'], { pretrain: { 'synth-kinetics': 2.5 }, finetune: { 'synth-ava': 4.1 } })]);
    expect(sanityWarnings(protocols, [row('downstream-only', 0.7), row('pretrain-finetune', 0.71)], selected)).toEqual([]);
  });

  const tiny = ['--budget-scale', '0.02', '--resamples', '20', '--workers', '2'];

  it('compare: the guard fires on a deliberately broken plug-in protocol (its finetune barely moves)', async () => {
    const dir = tempDir();
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, `export default { name: 'broken-finetune', description: 'pretrains, then finetunes at a millionth of the LR', upstream: 'one',
      phases: (c) => [
        { name: 'pretrain', examples: { [c.upstream[0]]: c.budget.upstream }, sampler: c.sampler, lr: c.pretrainLr, freshOptimizers: true },
        { name: 'finetune', examples: { [c.downstream]: c.budget.downstream }, sampler: c.sampler, lr: c.lr * 1e-6, freshOptimizers: true },
      ] };\n`);
    const out = join(dir, 'cmp');
    const r = await cli(['compare', ...tiny, '--lr-grid', '0.006', '--protocols', 'downstream-only', '--protocol', broken, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(out, 'result.json'));
    expect(doc.sanity.join('\n')).toMatch(/broken-finetune scores below downstream-only .*baseline may be broken/);
    expect(r.stdout).toMatch(/WARNING: broken-finetune scores below downstream-only/);
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toContain('## Sanity checks: baseline may be broken');
    expect(doc.practice.headInit).toMatch(/zero weights/);
  });

  it('compare: a protocol choosing an edge of the LR grid extends it for all, or reports with the edge flagged and exits 1', async () => {
    const dir = tempDir();
    const r = await cli(['compare', ...tiny, '--lr-grid', '0.003,0.006', '--lr-extend', '0', '--protocols', 'downstream-only', '--out', join(dir, 'edge')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LR grid too narrow \(0\.003, 0\.006, after 0 extension\(s\)\): downstream-only chose 0\.00[36], the grid's (lower|upper) edge/);
    const edge = readJson(join(dir, 'edge', 'result.json'));
    expect(edge.lrEdge[0]).toMatch(/^downstream-only chose 0\.00[36]/);
    expect(edge.tuning).toBeNull(); // an edge choice is no tuned LR to reuse
    expect(readFileSync(join(dir, 'edge', 'leaderboard.md'), 'utf8')).toMatch(/LR grid too narrow/);
    const ok = await cli(['compare', ...tiny, '--lr-grid', '0.003,0.006', '--lr-extend', '3', '--protocols', 'downstream-only', '--out', join(dir, 'wide')]);
    if (ok.code === 0) {
      const doc = readJson(join(dir, 'wide', 'result.json'));
      expect(doc.lrGrid.length).toBeGreaterThan(2);
      const chosen = doc.leaderboard[0].chosenLr[0];
      expect(chosen).toBeGreaterThan(Math.min(...doc.lrGrid));
      expect(chosen).toBeLessThan(Math.max(...doc.lrGrid));
    } else expect(ok.stderr).toMatch(/after 3 extension\(s\)/);
    expect(ok.stderr).toMatch(/chose an edge of the LR grid; extending it for every protocol/);
  });
});
