/**
 * Benchmark manifests (src/data/manifest.ts, `compare --manifest`): the user's datasets
 * declared by name with their budgets. Bad input is exit 2 naming the file and the field, with
 * nothing written; a paper-scale manifest of sizes alone plans; `data export` folders declared
 * under the user's own names run a comparison end to end, each dataset its own budget, checked
 * by the ledger.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir, LABEL_MAP } from './helpers/cli.js';
import { GT } from './helpers/ava-slice.js';
import { torchPython } from '../src/trainers/torch-trainer.js';

let python: string | null = null;
try {
  python = torchPython();
} catch {
  python = null;
}

describe('benchmark manifests', { timeout: 600_000 }, () => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const list = write('kin-train.csv', 'id,label\n' + Array.from({ length: 50 }, (_, i) => `clip${i},${i % 5}`).join('\n') + '\n');
  const base = (extra = '', budgets = '  ava: { epochs: 2 }\n  kin: { examples: 6400 }\n') =>
    `datasets:\n  ava:\n    kind: localisation\n    labelmap: ${LABEL_MAP}\n    train: { gt: ${GT} }\n${extra}  kin:\n    kind: classification\n    classes: 5\n    train: { list: ${list} }\nbudgets:\n${budgets}`;

  it('plans from files and sizes: every protocol\'s phases with each dataset\'s examples, steps and epochs', async () => {
    const m = write('ok.yaml', base());
    const r = await cli(['compare', '--manifest', m, '--plan']);
    expect(r.code, r.stderr).toBe(0);
    // 900 keyframes in the slice: 2 epochs = 1,800 examples → 1,792 (56 whole batches of 32)
    expect(r.stdout).toContain('datasets (train examples): ava 900, kin 50');
    expect(r.stdout).toMatch(/pretrain: kin 6,400 examples \(200 steps, 128\.00 epochs\)/);
    expect(r.stdout).toMatch(/finetune: ava 1,792 examples \(56 steps, 1\.99 epochs\)/);
    expect(r.stdout).not.toContain('multi-cofinetune'); // one upstream set: left out, and said so
    expect(r.stderr).toContain('multi-cofinetune is left out');
  });

  it('the embedded benchmark is a manifest like any other: --manifest src/data/embedded.yaml plans what compare plans by default; one upstream total or per-set budgets, not both', async () => {
    const embedded = new URL('../src/data/embedded.yaml', import.meta.url).pathname;
    for (const extra of [[], ['--quick'], ['--budget', 'equal-total']]) {
      const byDefault = await cli(['compare', '--plan', ...extra]);
      const declared = await cli(['compare', '--plan', '--manifest', embedded, ...extra]);
      expect(declared.code, declared.stderr).toBe(0);
      expect(declared.stdout.replace(`; declared in ${embedded}`, '')).toBe(byDefault.stdout);
    }
    expect((await cli(['compare', '--plan'])).stdout).toMatch(/multi-cofinetune .*\n\s+cofinetune: synth-ava 32,000 examples .* \+ synth-kinetics 21,344 examples .* \+ synth-ssv2 21,344 examples .* \+ synth-mit 21,312 examples/);
    // per-set upstream budgets are another setting than the one the LRs were tuned in, even at the same counts
    const perSet = write('per-set.json', '{"synth-kinetics": 64000, "synth-ssv2": 64000, "synth-mit": 64000}');
    expect((await cli(['compare', '--plan', '--budget-file', perSet])).stderr).toMatch(/not using the tuned LRs .*: each upstream set has its own budget/);
    const both = write('both.yaml', base('', '  ava: { epochs: 2 }\n  kin: { examples: 6400 }\nupstreamTotal: 6400\n'));
    const r = await cli(['compare', '--plan', '--manifest', both]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${both}: upstreamTotal: and budgets.kin: give each upstream set its own budget, or one upstream total, not both`);
    const total = write('total.yaml', base('', '  ava: { epochs: 2 }\nupstreamTotal: 6400\n'));
    const t = await cli(['compare', '--plan', '--manifest', total]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/cofinetune: ava \d[\d,]* examples .* \+ kin 6,400 examples/);
  });

  it('a paper-scale manifest of sizes alone plans in about a second', async () => {
    const r = await cli(['compare', '--manifest', new URL('../examples/manifests/paper-scale.yaml', import.meta.url).pathname, '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cofinetune: ava 4,212,672 examples \(65,823 steps, 20\.00 epochs\) \+ kinetics 16,000,000 examples \(250,000 steps, 29\.34 epochs\)/);
  });

  const bad: [string, string, RegExp][] = [
    ['a missing file', base().replace(`train: { gt: ${GT} }`, 'train: { gt: nowhere.csv }'), /bad\.yaml: datasets\.ava\.train\.gt: file not found/],
    ['a wrong kind', base().replace('kind: classification', 'kind: detection'), /datasets\.kin\.kind: expected localisation \(AVA format\) or classification/],
    ['an unknown budget key', base('', '  ava: { epochs: 2 }\n  kin: { examples: 6400 }\n  imagenet: 640\n'), /budgets\.imagenet: unknown dataset \(declared: ava, kin\)/],
    ['a duplicate name', base().replace('  kin:\n', '  ava:\n'), /bad\.yaml: not valid YAML \(Map keys must be unique/],
    ['a size that disagrees with its file', base().replace(`train: { gt: ${GT} }`, `train: { gt: ${GT}, size: 1000 }`), /datasets\.ava\.train\.size: 1000, but .*gt\.csv has 900 keyframes/],
    ['an unknown field', base().replace('    classes: 5\n', '    classes: 5\n    clases: 5\n'), /datasets\.kin\.clases: unknown field/],
    ['a budget not in whole batches', base('', '  ava: { epochs: 2 }\n  kin: { examples: 6401 }\n'), /budgets\.kin: 6401 examples are not whole batches of 32 \(use 6400\)/],
    ['a missing budget', base('', '  ava: { epochs: 2 }\n'), /budgets\.kin: missing/],
    ['a downstream that is a classification set', 'downstream: kin\n' + base(), /downstream: kin is a classification set/],
    ['an unknown preset', base().replace('    kind: localisation\n', '    kind: localisation\n    preset: activitynet-1999\n'), /datasets\.ava\.preset: /],
  ];
  for (const [what, text, msg] of bad) {
    it(`bad input, exit 2 naming file and field, nothing written: ${what}`, async () => {
      const m = write('bad.yaml', text);
      const out = join(dir, 'never');
      const r = await cli(['compare', '--manifest', m, '--quick', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(out)).toBe(false);
    });
  }

  it('files without pixels plan, but the built-in trainer cannot train them: said plainly (exit 2)', async () => {
    const m = write('nopix.yaml', base());
    const r = await cli(['compare', '--manifest', m, '--quick', '--out', join(dir, 'nopix-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/datasets\.ava is declared by its annotation files: cft-bench has no pixels of it, so the built-in trainer cannot train on it\. Give --trainer/);
  });

  it('the shipped real-format manifest (real AVA GT rows): compare with an external trainer, scored on the user\'s own GT, head/mid/tail from its train counts', async () => {
    const manifest = new URL('../examples/manifests/ava-real.yaml', import.meta.url).pathname;
    const trainer = new URL('../examples/trainers/prior_trainer.py', import.meta.url).pathname;
    const out = join(dir, 'real');
    const r = await cli(['compare', '--manifest', manifest, '--quick', '--protocols', 'downstream-only,cofinetune', '--resamples', '50', '--trainer', `python3 ${trainer}`, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(out, 'result.json'));
    // head/mid/tail from the manifest's train GT: counts of label-map classes in ava-real/train.csv
    const train = readFileSync(new URL('../examples/manifests/ava-real/train.csv', import.meta.url), 'utf8').trim().split('\n');
    const labelIds = new Set([...readFileSync(LABEL_MAP, 'utf8').matchAll(/id: (\d+)/g)].map((x) => Number(x[1])));
    const bend = train.filter((l) => Number(l.split(',')[6]) === 1).length;
    expect(labelIds.has(1)).toBe(true);
    expect(doc.trainCounts['bend/bow (at the waist)']).toBe(bend);
    expect(Object.keys(doc.groups).sort()).toEqual(['head', 'mid', 'overall', 'tail']);
    // scored by cft-bench on the declared test GT itself
    const run = readJson(join(out, 'runs', 'cofinetune-seed0-lr0.003.json'));
    expect(run.scores.test.files.gt).toMatch(/ava-real\/test\.csv$/);
    expect(run.scores.test.rows.scored).toBeGreaterThan(0);
    expect(doc.leaderboard[0].mAP.mean).toBeGreaterThan(0);
  });

  it.skipIf(python === null)('the real-format manifest with clips (made-up pixels, real GT): the shipped torch trainer and the built-in one run it; clips that disagree with the GT are refused (exit 2) (skipped only without a Python with numpy)', async () => {
    const clips = join(dir, 'px-clips');
    const made = spawnSync(python!, [new URL('../examples/manifests/ava-real/make_clips.py', import.meta.url).pathname, clips], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const text = readFileSync(new URL('../examples/manifests/ava-real-pixels.yaml', import.meta.url), 'utf8')
      .replace(/\.\.\/ava-slice\//g, `${new URL('../examples/ava-slice/', import.meta.url).pathname}`)
      .replace(/ava-real\/clips\//g, `${clips}/`)
      .replace(/ava-real\//g, `${new URL('../examples/manifests/ava-real/', import.meta.url).pathname}`);
    const manifest = write('px.yaml', text);
    for (const trainer of [['--trainer', 'torch'], []]) {
      const out = join(dir, `px${trainer.length}`);
      const r = await cli(['compare', '--manifest', manifest, '--quick', '--protocols', 'downstream-only,cofinetune', '--resamples', '20', ...trainer, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const run = readJson(join(out, 'runs', 'cofinetune-seed0-lr0.003.json'));
      expect(run.backend).toMatch(trainer.length > 0 ? /^torch / : /^wasm$/);
      expect(run.scores.test.files.gt).toMatch(/ava-real\/test\.csv$/);
      expect(run.scores.test.mAP).toBeGreaterThan(0);
    }
    writeFileSync(join(clips, 'ava', 'val_clips.npy'), readFileSync(join(clips, 'ava', 'test_clips.npy')));
    const bad = await cli(['compare', '--manifest', manifest, '--quick', '--plan']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/px\.yaml: datasets\.ava\.clips: val_clips\.npy: \d+ clips, but the val split has \d+ examples \(row i = example id i\)/);
  });

  it('a Kinetics-size list (600,000 train rows, 20,000 val): trainer folder holds the list as declared; its upstream accuracy is scored by cft-bench on the val labels', async () => {
    const real = (f: string) => new URL(`../examples/manifests/ava-real/${f}`, import.meta.url).pathname;
    let s = 7;
    const label = () => ((s = (s * 48271) % 2147483647), s % 700);
    const train = Array.from({ length: 600_000 }, label);
    const val = Array.from({ length: 20_000 }, label);
    const csv = (ls: number[], v: string) => 'path,label\n' + ls.map((l, i) => `${v}${i}.mp4,${l}\n`).join('');
    const big = write('big.yaml', `downstream: ava\nupstream: [kinetics]\ndatasets:\n  ava:\n    kind: localisation\n    labelmap: ${LABEL_MAP}\n    train: { gt: ${real('train.csv')} }\n    val: { gt: ${real('val.csv')}, proposals: ${real('val_proposals.csv')} }\n    test: { gt: ${real('test.csv')}, proposals: ${real('test_proposals.csv')} }\n  kinetics:\n    kind: classification\n    classes: 700\n    train: { list: ${write('k-train.csv', csv(train, 'v'))} }\n    val: { list: ${write('k-val.csv', csv(val, 'w'))} }\nbudgets:\n  ava: { epochs: 2 }\n  kinetics: { examples: 1920 }\n`);
    const trainer = new URL('../examples/trainers/prior_trainer.py', import.meta.url).pathname;
    const r = await cli(['compare', '--manifest', big, '--protocols', 'cofinetune', '--lr-grid', '0.003', '--resamples', '20', '--trainer', `python3 ${trainer}`, '--out', join(dir, 'big')]);
    expect(r.code, r.stderr).toBe(0);
    const run = readJson(join(dir, 'big', 'runs', 'cofinetune-seed0-lr0.003.json'));
    const request = readJson(join(readJson(join(dir, 'big', 'result.json')).runs[0].dir, 'trainer', 'request.json'));
    expect(readFileSync(join(request.data.kinetics, 'train_list.csv'), 'utf8')).toBe(csv(train, 'v'));
    // the trainer predicts its majority training class for every val id (ties: the lowest class)
    const counts = new Array<number>(700).fill(0);
    for (const l of train) counts[l]!++;
    const majority = counts.indexOf(Math.max(...counts));
    expect(request.predictUpstream).toEqual({ kinetics: 20_000 });
    expect(run.upstreamAccuracy.kinetics).toBe(val.filter((l) => l === majority).length / val.length);
  });

  it('data export folders under the user\'s names: compare runs end to end, each dataset its own budget, ledger-checked', async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    for (const b of ['synth-ava', 'synth-kinetics']) expect((await cli(['data', 'export', '--benchmark', b, '--out', data])).code).toBe(0);
    const m = write('export.yaml', `downstream: my-ava\ndatasets:\n  my-ava: { export: ${join(data, 'synth-ava')} }\n  my-kin: { export: ${join(data, 'synth-kinetics')} }\nbudgets:\n  my-ava: 640\n  my-kin: { epochs: 0.05 }\n`);
    const out = join(dir, 'cmp');
    const r = await cli(['compare', '--manifest', m, '--protocols', 'downstream-only,pretrain-finetune,cofinetune', '--lr-grid', '0.003', '--lr-extend', '0', '--resamples', '20', '--workers', '2', '--out', out]);
    expect([0, 1], r.stderr).toContain(r.code); // 1: the one-LR grid is its own edge, flagged
    const doc = readJson(join(out, 'result.json'));
    expect(doc.config.downstream).toBe('my-ava');
    expect(doc.config.upstream).toEqual(['my-kin']);
    expect(doc.leaderboard.map((x: { protocol: string }) => x.protocol).sort()).toEqual(['cofinetune', 'downstream-only', 'pretrain-finetune']);
    const kinSize = readJson(join(data, 'synth-kinetics', 'dataset.json')).sizes.train;
    const kin = Math.max(1, Math.round((0.05 * kinSize) / 32)) * 32;
    for (const run of doc.runs) {
      expect(run.ledger.totals['my-ava'].examples).toBe(640);
      if (run.protocol !== 'downstream-only') expect(run.ledger.totals['my-kin'].examples).toBe(kin);
    }
    const ids = new Set(doc.runs.filter((x: { protocol: string }) => x.protocol !== 'downstream-only').map((x: { ledger: { totals: Record<string, { idsSha256: string }> } }) => x.ledger.totals['my-kin']!.idsSha256));
    expect(ids.size).toBe(1); // the very same upstream examples for both protocols
  });

  it('train --manifest: one run on the declared folders with the manifest\'s budgets; --write-plan DIR/ plans from sizes alone as files', async () => {
    const m = join(dir, 'export.yaml'); // written by the test above
    const out = join(dir, 'train');
    const r = await cli(['train', '--manifest', m, '--protocol', 'pretrain-finetune', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const res = readJson(join(out, 'result.json'));
    expect(res.spec.downstream).toBe('my-ava');
    expect(res.ledger.totals['my-ava'].examples).toBe(640);
    expect(res.scores.val.mAP).toBeGreaterThan(0);
    const sizes = write('sizes.yaml', 'datasets:\n  ava: { kind: localisation, labelmap: ' + LABEL_MAP + ', train: { size: 5000 } }\n  kin: { kind: classification, classes: 10, train: { size: 20000 } }\nbudgets: { ava: { epochs: 2 }, kin: 64000 }\n');
    const plan = join(dir, 'plan');
    const p = await cli(['train', '--manifest', sizes, '--protocol', 'cofinetune', '--write-plan', `${plan}/`]);
    expect(p.code, p.stderr).toBe(0);
    const header = readJson(join(plan, 'plan.json'));
    expect(header.format).toBe('cft-bench-plan/2');
    expect(header.ledger.totals).toMatchObject({ ava: { examples: 10016 }, kin: { examples: 64000 } });
    const wrong = await cli(['train', '--manifest', sizes, '--benchmark', 'kin', '--write-plan', `${plan}/`]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('downstream kin: a classification set');
  });
});
