/**
 * The reference PyTorch trainer (`--trainer torch`, src/trainers/torch_trainer.py):
 *  - it mirrors the built-in model number by number: from the same weights, the same upstream
 *    Adam steps give the same losses and weights, and the localisation head (ROI pooling,
 *    per-cell LayerNorm, context row) the same probabilities, as tfjs-wasm;
 *  - `compare --quick --trainer torch` runs end to end, every run's ledger checked and its
 *    predictions scored by cft-bench;
 *  - the same seed gives byte-identical predictions; `--device cuda` without CUDA says so and
 *    runs on the CPU.
 * Needs a Python with PyTorch (.ci/run installs Debian's python3-torch).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSynthAva } from '../src/data/synth/synth-ava.js';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { npyBytes } from '../src/data/npy.js';
import { Rng } from '../src/data/rng.js';
import { loadBackend } from '../src/trainers/backend.js';
import { Trainer } from '../src/trainers/trainer.js';
import { TORCH_TRAINER_SCRIPT, torchPython } from '../src/trainers/torch-trainer.js';
import { cli, readJson, tempDir } from './helpers/cli.js';

let python: string | null = null;
try {
  python = torchPython();
} catch {
  python = null;
}
const MIRROR = new URL('./helpers/torch_mirror.py', import.meta.url).pathname;
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

describe.skipIf(python === null)('torch trainer (skipped only when no Python can import torch: .ci/run installs python3-torch)', { timeout: 300_000 }, () => {
  const dir = tempDir();

  it('mirrors the built-in model: same weights + same upstream Adam steps → same losses, weights and localisation probabilities as tfjs', async () => {
    const ava = createSynthAva(0);
    const kin = createSynthKinetics(0);
    const t = new Trainer(await loadBackend('wasm'), { shape: ava.shape, localisationClasses: ava.classes, upstream: { 'synth-kinetics': kin.classes }, seed: 5 });
    // non-zero heads, so the localisation forward pass is compared on something that is not a constant
    const rng = new Rng(11);
    const values = new Map<string, Float32Array>();
    for (const [group, vars] of Object.entries(t.params)) {
      for (const [name, v] of Object.entries(vars)) {
        const data = Float32Array.from(v.dataSync());
        values.set(`${group}/${name}`, group === 'trunk' ? data : data.map(() => rng.normal(0, 0.05)));
      }
    }
    t.assignWeights(values);
    const src = join(dir, 'mirror');
    t.save(join(src, 'model'));
    const lrs = [0.003, 0.006, 0.002, 0.004];
    const stepExamples = lrs.map((_, s) => Array.from({ length: 32 }, (_, i) => kin.example('train', s * 32 + i)));
    const len = ava.shape.frames * ava.shape.height * ava.shape.width * ava.shape.channels;
    const stack = (clips: Uint8Array[]) => {
      const out = new Uint8Array(clips.length * len);
      clips.forEach((c, i) => out.set(c, i * len));
      return npyBytes(out, [clips.length, ava.shape.frames, ava.shape.height, ava.shape.width, ava.shape.channels]);
    };
    writeFileSync(join(src, 'up_clips.npy'), stack(stepExamples.flat().map((e) => e.clip)));
    const val = Array.from({ length: 16 }, (_, i) => ava.example('val', i));
    writeFileSync(join(src, 'pred_clips.npy'), stack(val.map((e) => e.clip)));
    writeFileSync(join(src, 'input.json'), JSON.stringify({
      upstream: 'synth-kinetics', classes: kin.classes.length, frames: ava.shape.frames * ava.shape.channels, locClasses: ava.classes.length,
      steps: stepExamples.map((ex, s) => ({ lr: lrs[s], labels: ex.map((e) => e.label) })),
      boxes: val.map((e) => e.detections.map((d) => d.box)),
    }));
    const detScores = val.flatMap((e) => e.detections.flatMap((d) => ava.classes.map(() => d.score)));
    const probs = () => t.predict(val).map((r, i) => r.score / detScores[i]!);
    const before = probs();
    const losses = stepExamples.map((ex, s) => t.step([{ dataset: 'synth-kinetics', examples: ex }], lrs[s]!));
    const after = probs();
    const out = join(dir, 'mirror.json');
    const py = spawnSync(python!, [MIRROR, TORCH_TRAINER_SCRIPT, src, out], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const torch = readJson(out) as { losses: number[]; weights: Record<string, number[]>; probsBefore: number[][]; probsAfter: number[][] };
    const maxDiff = (a: number[], b: number[]) => (expect(a.length).toBe(b.length), Math.max(...a.map((x, i) => Math.abs(x - b[i]!))));
    // the forward pass (trunk, LayerNorm, ROI pooling with context, head): float32 kernels differ (XNNPACK vs MKL-DNN), nothing else
    expect(maxDiff(torch.probsBefore.flat(), before)).toBeLessThan(1e-5);
    expect(Math.max(...before) - Math.min(...before)).toBeGreaterThan(0.05); // not a constant
    torch.losses.forEach((l, i) => expect(Math.abs(l - losses[i]!) / losses[i]!).toBeLessThan(1e-4));
    // Adam divides by sqrt(v): where a gradient is ~0 (|g| near eps), float32 noise of ~1e-8 moves an element by a
    // fraction of a step, so the updates are compared as a whole: they agree to ~1% (L2); a real difference
    // (no bias correction, a shared optimizer, a head stepped on another set's batch) differs by O(1)
    for (const [group, vars] of Object.entries(t.params)) {
      for (const [name, v] of Object.entries(vars)) {
        const w0 = values.get(`${group}/${name}`)!;
        const ours = Array.from(v.dataSync(), (x, i) => x - w0[i]!);
        const theirs = torch.weights[`${group}/${name}`]!.map((x, i) => x - w0[i]!);
        const norm = Math.hypot(...ours);
        if (group === 'loc') expect(Math.hypot(...theirs), `${group}/${name} moved on upstream batches`).toBe(0);
        else expect(Math.hypot(...theirs.map((x, i) => x - ours[i]!)) / norm, `${group}/${name}`).toBeLessThan(0.05);
      }
    }
    expect(maxDiff(torch.probsAfter.flat(), after)).toBeLessThan(1e-2);
    t.dispose();
  });

  it('compare --quick --trainer torch: every run trained by PyTorch under the plan, scored by cft-bench', async () => {
    const out = join(dir, 'cmp');
    const r = await cli(['compare', '--quick', '--trainer', 'torch', '--resamples', '50', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(out, 'result.json'));
    const runs = doc.runs as { protocol: string; valMAP: number; dir: string }[];
    expect(runs.map((r) => r.protocol).sort()).toEqual(['cofinetune', 'downstream-only', 'linear-probe-finetune', 'multi-cofinetune', 'pretrain-finetune']);
    for (const run of runs) {
      expect(readJson(join(run.dir, 'result.json')).backend).toMatch(/^torch \S+ on cpu \(\d+ threads?\)$/);
      expect(run.valMAP).toBeGreaterThan(0.3); // the class-prior trainer scores 0.11
    }
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toMatch(/torch .* on cpu/);
  });

  it('same seed → byte-identical predictions; --device cuda without CUDA says so and runs on the CPU', async () => {
    const run = (name: string, trainer: string) => cli(['train', '--protocol', 'pretrain-finetune', '--steps', '60', '--trainer', trainer, '--out', join(dir, name)]);
    expect((await run('a', 'torch')).code).toBe(0);
    expect((await run('b', 'torch --device cpu')).code).toBe(0);
    const preds = (name: string) => readFileSync(join(dir, name, 'trainer', 'out', 'val_predictions.csv'));
    expect(preds('a').equals(preds('b'))).toBe(true);
    const request = join(dir, 'a', 'trainer', 'request.json');
    const again = join(dir, 'again');
    mkdirSync(again);
    writeFileSync(join(dir, 'req.json'), JSON.stringify({ ...readJson(request), out: again }));
    const py = spawnSync(python!, [TORCH_TRAINER_SCRIPT, join(dir, 'req.json'), '--device', 'cuda'], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    if (!py.stderr.includes('device cuda')) {
      expect(py.stderr).toMatch(/--device cuda asked but CUDA is not available .* running on cpu/);
      expect(readFileSync(join(again, 'val_predictions.csv')).equals(preds('a'))).toBe(true);
    }
    expect(existsSync(join(again, 'report.json'))).toBe(true);
  });
});

describe('torch trainer without PyTorch', () => {
  it('a run killed mid-training resumes from its checkpoint directory on the next run: the same predictions as an uninterrupted run', async () => {
    const dir = tempDir();
    const args = (out: string) => ['train', '--protocol', 'pretrain-finetune', '--steps', '300', '--trainer', 'torch --checkpoint-seconds 0', '--out', out];
    const whole = await cli(args(join(dir, 'whole')));
    expect(whole.code, whole.stderr).toBe(0);
    const cut = join(dir, 'cut');
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args(cut)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += String(d)));
    const deadline = Date.now() + 120_000;
    // in the pretraining, with a checkpoint on disk (progress comes about once a second: stop at the first sign, not at a step count)
    while (!(/pretrain \d+\/200/.test(log) && existsSync(join(`${cut}.checkpoint`, 'torch_trainer.pt'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    expect(existsSync(join(`${cut}.checkpoint`, 'torch_trainer.pt'))).toBe(true);
    expect(existsSync(join(cut, 'result.json'))).toBe(false);
    const resumed = await cli(args(cut));
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = spawnSync('cat', [join(cut, 'trainer', 'log.txt')], { encoding: 'utf8' }).stdout;
    // where it stopped depends on the machine's speed; that it went on from there, not from the start, does not
    expect(again).toMatch(/torch trainer: resumed from .*cut\.checkpoint\/torch_trainer\.pt at phase (?:pretrain|finetune) step [1-9]\d*/);
    const preds = (d: string) => readFileSync(join(d, 'trainer', 'out', 'val_predictions.csv'));
    expect(preds(cut).equals(preds(join(dir, 'whole')))).toBe(true);
    expect(readJson(join(cut, 'result.json')).scores.val.mAP).toBe(readJson(join(dir, 'whole', 'result.json')).scores.val.mAP);
    expect(existsSync(`${cut}.checkpoint`)).toBe(false); // removed once the run is published
  }, 300_000);

  it('a run killed after its shared pretraining and resumed still hands over that pretraining, not its state mid-finetune', async () => {
    const dir = tempDir();
    const base = join(dir, 'base');
    const made = await cli(['train', '--protocol', 'pretrain-finetune', '--steps', '300', '--trainer', 'torch', '--out', base]);
    expect(made.code, made.stderr).toBe(0);
    // the request of a run that saves its pretraining (phase 1 of 2) for others, with a checkpoint every step
    const request = (name: string, shared: string) => {
      mkdirSync(join(dir, name, 'out'), { recursive: true });
      const path = join(dir, name, `${shared}.json`);
      writeFileSync(path, JSON.stringify({ ...readJson(join(base, 'trainer', 'request.json')), out: join(dir, name, 'out'), checkpoint: join(dir, name, 'ckpt'), saveModel: join(dir, name, shared), saveModelAfterPhases: 1 }));
      return [TORCH_TRAINER_SCRIPT, path, '--checkpoint-seconds', '0'];
    };
    const whole = spawnSync(python!, request('whole', 'shared'), { encoding: 'utf8' });
    expect(whole.status, whole.stderr).toBe(0);
    const child = spawn(python!, request('cut', 'shared'), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const deadline = Date.now() + 120_000;
    while (!/cft-bench-progress \{"phase": "finetune", "step": (?:[2-9]|[1-9]\d),/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(existsSync(join(dir, 'cut', 'out', 'report.json'))).toBe(false);
    // the retry: a new place to save the pretraining (cft-bench stages one per attempt)
    const resumed = spawnSync(python!, request('cut', 'shared-again'), { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .* at phase finetune step [1-9]/);
    const same = spawnSync(python!, ['-c', `import sys, torch
a, b = (torch.load(p, weights_only=False) for p in sys.argv[1:])
ta, tb = a["trainer"]["model"], b["trainer"]["model"]
print(a["phase"] == b["phase"] == 1 and a["losses"] == b["losses"] and ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta))`, join(dir, 'whole', 'shared', 'torch_trainer.pt'), join(dir, 'cut', 'shared-again', 'torch_trainer.pt')], { encoding: 'utf8' });
    expect(same.stdout.trim(), same.stderr).toBe('True');
    expect(readFileSync(join(dir, 'cut', 'out', 'val_predictions.csv')).equals(readFileSync(join(dir, 'whole', 'out', 'val_predictions.csv')))).toBe(true);
  }, 300_000);

  it('compare --trainer torch: pretraining is trained once per seed and handed to every transfer run; the same predictions as an unshared run', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const r = await cli(['compare', '--quick', '--budget-scale', '0.3', '--protocols', 'pretrain-finetune,linear-probe-finetune', '--lr-grid', '0.003,0.006', '--lr-extend', '0', '--resamples', '20', '--trainer', 'torch', '--out', join(dir, 'out'), '--cache', cache]);
    expect([0, 1]).toContain(r.code); // 1 only if a protocol chose a grid edge (the report is written either way)
    const runs = readdirSync(join(cache, 'runs')).filter((n) => /^[0-9a-f]{20}$/.test(n)).map((h) => join(cache, 'runs', h));
    const logs = runs.map((d) => readFileSync(join(d, 'trainer', 'log.txt'), 'utf8'));
    expect(logs.filter((l) => l.includes('started from the shared pretraining')).length).toBe(3); // 4 runs, 1 pretraining
    expect(readdirSync(join(cache, 'pretrain')).filter((n) => /^[0-9a-f]{20}$/.test(n))).toHaveLength(1);
    const shared = runs.find((d) => { const x = readJson(join(d, 'result.json')); return x.spec.protocol === 'linear-probe-finetune' && x.spec.lr === 0.006; })!;
    const plain = await cli(['train', '--protocol', 'linear-probe-finetune', '--steps', '90', '--lr', '0.006', '--trainer', 'torch', '--out', join(dir, 'plain')]);
    expect(plain.code, plain.stderr).toBe(0);
    const preds = (d: string) => readFileSync(join(d, 'trainer', 'out', 'val_predictions.csv'));
    expect(preds(shared).equals(preds(join(dir, 'plain')))).toBe(true);
  }, 300_000);

  it('a custom trainer command with {python} runs under the Python that imports PyTorch (not whatever python3 is first on PATH)', async () => {
    const dir = tempDir();
    const script = join(dir, 'needs_torch.py');
    const prior = new URL('../examples/trainers/prior_trainer.py', import.meta.url).pathname;
    writeFileSync(script, `import runpy, sys, torch\nsys.argv = [${JSON.stringify(prior)}] + sys.argv[1:]\nrunpy.run_path(${JSON.stringify(prior)}, run_name='__main__')\n`);
    const r = await cli(['train', '--protocol', 'downstream-only', '--steps', '30', '--trainer', `{python} ${script}`, '--out', join(dir, 'run')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(dir, 'run', 'result.json')).trainer.name).toBe('prior-trainer');
  });

  it('train --trainer torch with no usable Python: exit 1 and a message saying how to install PyTorch', async () => {
    const before = process.env['CFT_BENCH_PYTHON'];
    process.env['CFT_BENCH_PYTHON'] = '/nonexistent/python3';
    try {
      const out = join(tempDir(), 'run');
      const r = await cli(['train', '--protocol', 'downstream-only', '--steps', '30', '--trainer', 'torch', '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--trainer torch needs Python 3 with PyTorch and NumPy; CFT_BENCH_PYTHON=\/nonexistent\/python3 cannot import them\. Install them \(pip install torch numpy/);
      expect(existsSync(join(out, 'result.json'))).toBe(false);
    } finally {
      if (before === undefined) delete process.env['CFT_BENCH_PYTHON'];
      else process.env['CFT_BENCH_PYTHON'] = before;
    }
  });
});
