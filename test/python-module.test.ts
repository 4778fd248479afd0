/**
 * The contract's Python module (src/trainers/cftbench.py): a plan folder (cft-bench-plan/2) and
 * the JSON plan of the same run give the same steps; ranks' shares of a batch make the batch;
 * the digests follow the ledger's rule; and the "bring your own model" example
 * (examples/trainers/byo_trainer.py, under 60 lines of code) trains and is scored end to end,
 * and its torchrun version (ddp_trainer.py) on 2 ranks passes the ledger check and trains as on 1.
 * Needs a Python with numpy (and torch for the example): .ci/run installs Debian's.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { embeddedDataset } from '../src/data/benchmarks.js';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { writePlanDir } from '../src/protocols/plan-files.js';
import { PROTOCOLS, type ProtocolContext } from '../src/protocols/protocol.js';
import { parseSampler } from '../src/protocols/sampler.js';
import { trainingPlan } from '../src/protocols/training-plan.js';
import { PYTHON_MODULE_DIR, torchPython } from '../src/trainers/torch-trainer.js';

const LAUNCH = new URL('./helpers/launch_ranks.py', import.meta.url).pathname;

let python: string | null = null;
try {
  python = torchPython();
} catch {
  python = null;
}

const CHECK = `
import json, sys, hashlib
import cftbench
dir_header, dir_steps = cftbench.load_plan(sys.argv[1])
json_header, json_steps = cftbench.load_plan(sys.argv[2])
out = {"phases": [], "same": True}
for a, b in zip(dir_steps, json_steps):
    sa, sb = list(a()), list(b())
    out["phases"].append(len(sa))
    out["same"] &= len(sa) == len(sb) and all(x.lr == y.lr and sorted(x.parts) == sorted(y.parts) for x, y in zip(sa, sb))
# ranks' shares of each batch are the batch
step = next(dir_steps[0]())
d, ids = step.parts[0]
shares = [cftbench.rank_share(ids, r, 3) for r in range(3)]
out["shares"] = sorted(sum(shares, [])) == sorted(ids) and all(len(s) > 0 for s in shares)
g = cftbench.Digest(); g.add(ids)
out["digest"] = g.entry()["idsSha256"] == hashlib.sha256("".join(f"{i}," for i in ids).encode()).hexdigest()
# a torch sampler per rank: both ranks' batches hold every planned example of the dataset once
class _Run: _consumed, _losses = {}, {}
phase = cftbench.Phase(_Run(), dir_header["phases"][0], dir_steps[0])
batches = [list(cftbench.PlanBatchSampler(phase, d, rank=r, world=2)) for r in range(2)]
out["sampler"] = sum(len(b) for bs in batches for b in bs) == dir_header["ledger"]["phases"][0]["datasets"][d]["examples"]
print(json.dumps(out))
`;

describe.skipIf(python === null)('the Python module cftbench (skipped only when no Python with numpy and torch is found: .ci/run installs them)', { timeout: 300_000 }, () => {
  it('a plan folder and the JSON plan give the same steps; rank shares make the batch; the digest rule', () => {
    const dir = tempDir();
    const datasets = Object.fromEntries(['synth-ava', 'synth-kinetics', 'synth-ssv2', 'synth-mit'].map((n) => [n, embeddedDataset(n)]));
    const sizes = Object.fromEntries(Object.entries(datasets).map(([n, d]) => [n, d.sizes.train!]));
    const ctx: ProtocolContext = { downstream: 'synth-ava', upstream: ['synth-kinetics', 'synth-ssv2', 'synth-mit'], budget: { downstream: 1600, upstream: 3200 }, batch: 32, lr: 0.003, pretrainLr: 0.003, sampler: parseSampler('mixed-batch') };
    const protocol = PROTOCOLS['multi-cofinetune']!;
    const header = writePlanDir(protocol, ctx, sizes, 1, join(dir, 'plan'));
    writeFileSync(join(dir, 'plan', 'plan.json'), JSON.stringify(header));
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(trainingPlan(protocol, ctx, datasets, 1)));
    writeFileSync(join(dir, 'check.py'), CHECK);
    const r = spawnSync(python!, [join(dir, 'check.py'), join(dir, 'plan'), join(dir, 'plan.json')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: PYTHON_MODULE_DIR } });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ phases: [header.phases[0]!.steps], same: true, shares: true, digest: true, sampler: true });
  });

  it('bring your own model: examples/trainers/byo_trainer.py (under 60 lines of code) trains under the plan, its consumption ledger-checked, scored by cft-bench', async () => {
    const script = new URL('../examples/trainers/byo_trainer.py', import.meta.url).pathname;
    const code = readFileSync(script, 'utf8').split('"""')[2]!.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(code.length).toBeLessThanOrEqual(60);
    const out = join(tempDir(), 'byo');
    const r = await cli(['train', '--protocol', 'linear-probe-finetune', '--upstream', 'synth-kinetics', '--steps', '90', '--trainer', `${python} ${script}`, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ledger checked; synth-ava val frame-mAP 0\.\d+ \(scored by cft-bench\)/);
    const res = readJson(join(out, 'result.json'));
    expect(res.trainer.name).toBe('byo-example');
    expect(Object.keys(res.finalLoss)).toEqual(['pretrain', 'probe', 'finetune']);
    expect(res.scores.val.rows.scored).toBeGreaterThan(0);
    // its upstream predictions, scored by cft-bench: the share of val ids whose predicted class is the label
    const kinetics = createSynthKinetics();
    const rows = readFileSync(join(out, 'trainer', 'out', 'synth-kinetics_val_predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(rows).toHaveLength(kinetics.sizes.val!);
    expect(res.upstreamAccuracy['synth-kinetics']).toBe(rows.filter(([id, label]) => kinetics.label('val', id!) === label).length / rows.length);
  });

  it('under torchrun: examples/trainers/ddp_trainer.py on 2 ranks (each its share of every planned batch) passes the ledger check and trains as on 1 rank', async () => {
    const dir = tempDir();
    const run = async (ranks: number) => {
      // test/helpers/launch_ranks.py sets what torchrun sets (Debian's torchrun fails under Python 3.12)
      const trainer = `{python} ${LAUNCH} ${ranks} {python} ${new URL('../examples/trainers/ddp_trainer.py', import.meta.url).pathname}`;
      const r = await cli(['train', '--protocol', 'linear-probe-finetune', '--upstream', 'synth-kinetics', '--steps', '90', '--trainer', trainer, '--out', join(dir, `r${ranks}`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/ledger checked/);
      return readJson(join(dir, `r${ranks}`, 'result.json'));
    };
    const [one, two] = [await run(1), await run(2)];
    expect(two.backend).toBe('ddp-example 1 on 2 x cpu');
    expect(two.ledger).toEqual(one.ledger);
    // the same gradients, summed over ranks instead of over one batch: equal up to float rounding
    for (const phase of Object.keys(one.finalLoss)) expect(Math.abs(two.finalLoss[phase] - one.finalLoss[phase])).toBeLessThan(1e-5);
    expect(Math.abs(two.scores.val.mAP - one.scores.val.mAP)).toBeLessThan(1e-4);
    expect(two.upstreamAccuracy['synth-kinetics']).toBeGreaterThan(0);
  });
});
