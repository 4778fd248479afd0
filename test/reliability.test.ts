/**
 * Issue 17, row by row: no path publishes a wrong number with exit 0, bad input is exit 2 with
 * `what: where: why`, outputs are whole or absent. (The cache rows are in cache-integrity.test.ts;
 * the option and input-file fuzz is fuzz.test.ts.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gate } from '../src/metrics/gate.js';
import type { RankedMatches } from '../src/metrics/bootstrap.js';
import { parseShard } from '../src/protocols/shard.js';
import { cli, LABEL_MAP, readJson, tempDir } from './helpers/cli.js';
import { GROUPS, GT, PRED, evalSlice, shuffled, tailClasses, withScores } from './helpers/ava-slice.js';

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |internal error/);

describe('row 1: a gate that cannot compute its interval fails closed', { timeout: 120_000 }, () => {
  const dir = tempDir();

  it.each(['0', 'abc', '-5', 'NaN', '1e400', ''])('check --resamples %j is a usage error (exit 2), not a pass', async (value) => {
    const base = await evalSlice(dir, `b${value}`, PRED);
    const worse = join(dir, `worse${value}.csv`);
    writeFileSync(worse, withScores(tailClasses(), (scores) => shuffled(scores)));
    const cand = await evalSlice(dir, `c${value}`, worse);
    const r = await cli(['check', '--baseline', base, '--candidate', cand, '--resamples', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resamples/);
    noStack(r.stderr);
  });

  it('gate(): a metric whose interval is NaN is a regression (NaN < 0 is false: it would have passed)', () => {
    const empty: RankedMatches = { keys: ['a,0001', 'a,0002'], byClass: new Map([[1, { kf: new Int32Array(0), tp: new Uint8Array(0) }]]), gt: new Map([[1, new Float64Array(2)]]) };
    const v = gate(empty, empty, { overall: [1] }, { baseline: { overall: NaN }, candidate: { overall: NaN } }, { default: 0.5, perMetric: {} }, 100);
    expect(v.pass).toBe(false);
    expect(v.metrics[0]!.undecided).toMatch(/no interval could be computed/);
    expect(() => gate(empty, empty, { overall: [1] }, { baseline: { overall: 0 }, candidate: { overall: 0 } }, { default: 0.5, perMetric: {} }, 0)).toThrow(/resamples/);
  });
});

describe('rows 4-6: protocols, budgets and option values that would run something else than asked', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const plugin = (name: string, body: string) => {
    const p = join(dir, `${name}.mjs`);
    writeFileSync(p, body);
    return p;
  };
  const plan = (...extra: string[]) => cli(['compare', '--quick', '--plan', '--protocols', 'downstream-only,cofinetune', ...extra]);

  it('row 4: a plug-in named like a built-in is refused (it would replace that row)', async () => {
    const p = plugin('dup', "export default { name: 'cofinetune', description: 'x', upstream: 'none', phases: (c) => [{ name: 'train', examples: { [c.downstream]: c.budget.downstream }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }] };");
    const r = await plan('--protocol', p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p}: protocol name 'cofinetune' is already taken by cofinetune`);
  });

  const bad: [string, string, RegExp][] = [
    ['consumes nothing', "phases: () => []", /phases\(\): must return a non-empty array/],
    ['negative counts', "phases: (c) => [{ name: 't', examples: { [c.downstream]: -32 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }]", /examples of synth-ava must be a whole number > 0 \(got -32\)/],
    ['partial batches', "phases: (c) => [{ name: 't', examples: { [c.downstream]: 100 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }]", /100 examples of synth-ava are not whole batches of 32/],
    ['an unknown dataset', "phases: (c) => [{ name: 't', examples: { [c.downstream]: 32, 'my-kinetics': 32 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }]", /unknown dataset 'my-kinetics'/],
    ['no downstream training', "phases: (c) => [{ name: 't', examples: { [c.upstream[0]]: 32 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }]", /no phase trains the downstream set synth-ava/],
    ['an unknown sampler string', "phases: (c) => [{ name: 't', examples: { [c.downstream]: 32 }, sampler: 'balanced', lr: c.lr, freshOptimizers: true }]", /sampler "balanced": Unknown sampler 'balanced'/],
    ['an infinite LR', "phases: (c) => [{ name: 't', examples: { [c.downstream]: 32 }, sampler: c.sampler, lr: Infinity, freshOptimizers: true }]", /lr must be a finite number > 0/],
    ['a throwing phases()', "phases: () => { throw new Error('boom'); }", /phases\(\): threw boom/],
  ];
  it.each(bad)('row 5: a plug-in protocol whose phases are %s is exit 2 naming the module (also in --plan)', async (name, phases, message) => {
    const p = plugin(name.replace(/\W+/g, '-'), `export default { name: 'p-${name.replace(/\W+/g, '-')}', description: 'x', upstream: 'one', ${phases} };`);
    const r = await plan('--protocol', p);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${p}: phases(): `);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('a plug-in that throws at import is exit 2 naming the module', async () => {
    const p = plugin('throws', "throw new Error('import-time failure');");
    const r = await plan('--protocol', p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p}: the protocol module failed to load: import-time failure`);
  });

  it.each([
    [['--lr-grid', '1e400'], /--lr-grid/],
    [['--lr-grid', '0.003,'], /--lr-grid/],
    [['--protocols', ','], /--protocols/],
    [['--protocols', ''], /--protocols/],
    [['--seeds', '1.5'], /--seeds/],
    [['--batch', '0'], /--batch/],
    [['--budget-scale', 'Infinity'], /--budget-scale/],
    [['--workers', '999'], /--workers/],
  ])('row 6: compare %j is a usage error before anything runs', async (args, message) => {
    const r = await plan(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('row 6: --shard auto refuses indices that name no shard (negative, below the Slurm minimum, empty)', () => {
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '-1', CFT_BENCH_SHARDS: '2' })).toThrow(/JOB_COMPLETION_INDEX '-1'/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '', CFT_BENCH_SHARDS: '2' })).toThrow(/JOB_COMPLETION_INDEX ''/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/SLURM_ARRAY_TASK_ID/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/SLURM_ARRAY_TASK_ID/);
  });

  it('row 6: a gzip holding an empty file is refused as an empty file is', async () => {
    const empty = join(dir, 'empty.csv.gz');
    writeFileSync(empty, gzipSync(Buffer.alloc(0)));
    const r = await cli(['eval', '--gt', GT, '--pred', empty, '--labelmap', LABEL_MAP, '--out', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}: file is empty`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('a budget file: unknown dataset keys and partial batches are refused, naming the file and the key', async () => {
    for (const [content, message] of [
      ['{"my-ava": 320}', /my-ava: unknown dataset/],
      ['{"synth-ava": 100}', /synth-ava: 100 examples are not whole batches of 32 \(use 96\)/],
      ['{"synth-ava": -32}', /synth-ava: expected a whole number of examples > 0/],
      ['[1, 2]', /expected an object/],
      ['{', /not valid JSON/],
    ] as const) {
      const f = join(dir, 'budget.json');
      writeFileSync(f, content);
      const r = await plan('--budget-file', f);
      expect(r.code, content).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(f);
    }
  });

  it('a budget file gives each upstream set its own count (never a sum dealt out equally); naming only some of them is refused', async () => {
    const f = join(dir, 'per-set.json');
    writeFileSync(f, '{"synth-kinetics": 6400, "synth-ssv2": 704, "synth-mit": 1280}');
    const r = await cli(['compare', '--plan', '--protocols', 'pretrain-finetune,multi-cofinetune', '--budget-file', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/multi-cofinetune .*\n\s+cofinetune: synth-ava 32,000 examples .* \+ synth-kinetics 6,400 examples .* \+ synth-ssv2 704 examples .* \+ synth-mit 1,280 examples/);
    expect(r.stdout).toMatch(/pretrain: synth-kinetics 6,400 examples/);
    writeFileSync(f, '{"synth-kinetics": 6400, "synth-ssv2": 704}');
    const part = await plan('--budget-file', f);
    expect(part.code).toBe(2);
    expect(part.stderr).toContain('names synth-kinetics, synth-ssv2 but not synth-mit');
  });

  it('train: an upstream set that is the downstream set, and multi-cofinetune with one upstream set, are refused', async () => {
    const a = await cli(['train', '--upstream', 'synth-ava', '--write-plan', join(dir, 'p.json')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--upstream synth-ava: an upstream set must be a classification set other than the downstream set/);
    const b = await cli(['train', '--protocol', 'multi-cofinetune', '--upstream', 'synth-kinetics', '--write-plan', join(dir, 'p.json')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/co-finetunes several upstream sets: give at least two/);
    expect(existsSync(join(dir, 'p.json'))).toBe(false);
  });
});

describe('row 7: check and diff show only numbers their verified evidence gives', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const edit = (res: string, change: (doc: Record<string, unknown>) => void) => {
    const p = join(res, 'result.json');
    const doc = readJson(p);
    change(doc);
    writeFileSync(p, JSON.stringify(doc, null, 2));
  };

  it.each([
    ['an edited mAP', (d: Record<string, unknown>) => (d['mAP'] = 0.99), /mAP 0\.99 is not the mean of its per-class APs/],
    ['an edited class AP', (d: Record<string, unknown>) => ((d['perClass'] as { ap: number }[]).find((c) => c.ap !== null)!.ap = 0.5), /AP 0\.5 is not what its evidence gives/],
    ['an edited group mAP', (d: Record<string, unknown>) => ((d['groups'] as Record<string, { mAP: number }>)['tail']!.mAP = 0.9), /groups\.tail\.mAP 0\.9 is not the mean of its classes' APs/],
    ['groups: "x"', (d: Record<string, unknown>) => (d['groups'] = 'x'), /groups: "x" is not an object of groups/],
    ['no perClass', (d: Record<string, unknown>) => delete d['perClass'], /perClass: missing or empty/],
    ['an evidence file outside the result folder', (d: Record<string, unknown>) => ((d['evidence'] as { file: string }).file = '../x.bin.gz'), /evidence: not \{file/],
  ])('%s is refused (exit 2) by check and diff', async (name, change, message) => {
    const good = await evalSlice(dir, `good-${name.replace(/\W+/g, '-')}`, PRED, GROUPS);
    const bad = await evalSlice(dir, `bad-${name.replace(/\W+/g, '-')}`, PRED, GROUPS);
    edit(bad, change);
    for (const r of [await cli(['check', '--baseline', good, '--candidate', bad]), await cli(['diff', good, bad, '--out', join(dir, 'diff-out')])]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      noStack(r.stderr);
    }
    expect(existsSync(join(dir, 'diff-out'))).toBe(false);
  });

  it('results grouped differently are not compared (a Δ per group needs one grouping)', async () => {
    const a = await evalSlice(dir, 'grouped-a', PRED, GROUPS);
    const b = await evalSlice(dir, 'grouped-b', PRED, ['--groups', 'thresholds=10,100']);
    const r = await cli(['check', '--baseline', a, '--candidate', b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/head\/mid\/tail grouping differ/);
  });

  it('an infer result keeps its evidence in a sidecar checked by sha256 (baselines/default)', async () => {
    const doc = readJson(new URL('../baselines/default/result.json', import.meta.url).pathname);
    expect(doc.perKeyframe).toBeUndefined();
    expect(doc.evidence.sha256).toMatch(/^[0-9a-f]{64}$/);
    const copy = join(dir, 'baseline-copy');
    mkdirSync(copy);
    writeFileSync(join(copy, 'result.json'), JSON.stringify(doc));
    const side = readFileSync(new URL('../baselines/default/per_keyframe.bin.gz', import.meta.url));
    side[side.length - 12] ^= 0xff; // one byte of the gzip's payload
    writeFileSync(join(copy, 'per_keyframe.bin.gz'), side);
    const r = await cli(['diff', copy, copy, '--out', join(dir, 'd2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(copy, 'per_keyframe.bin.gz')}: does not match the sha256 recorded in`);
  });

  it('an evidence sidecar whose header disagrees with its payload is refused at once (it used to hang)', async () => {
    const res = await evalSlice(dir, 'header', PRED, GROUPS);
    const side = join(res, 'per_keyframe.bin.gz');
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(readFileSync(side));
    const len = raw.readUInt32LE(0);
    const header = JSON.parse(raw.subarray(4, 4 + len).toString('utf8'));
    header.detections[0] = 2 ** 31;
    const h = Buffer.from(JSON.stringify(header));
    const lenBuf = Buffer.alloc(4);
    lenBuf.writeUInt32LE(h.length);
    const bytes = gzipSync(Buffer.concat([lenBuf, h, raw.subarray(4 + len)]));
    writeFileSync(side, bytes);
    edit(res, (d) => ((d['evidence'] as { sha256: string; bytes: number }).sha256 = createHash('sha256').update(bytes).digest('hex')));
    const t0 = performance.now();
    const r = await cli(['diff', res, res, '--out', join(dir, 'd3')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/damaged cft-bench-keyframes\/2 file: the header describes \d+ bytes of arrays, the file holds \d+/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe('row 8: a diverging run is a result, not a crash', { timeout: 300_000 }, () => {
  it('every LR diverges: compare writes the report listing the diverged runs and exits 1; the progress shows NaN', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const r = await cli(['compare', '--quick', '--budget-scale', '0.2', '--protocols', 'downstream-only,cofinetune', '--lr-grid', '1000000', '--resamples', '40', '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toMatch(/DIVERGED \(loss NaN at \w+ step \d+\)/);
    expect(r.stderr).toMatch(/downstream-only, cofinetune diverged at every LR and could not be scored/);
    const doc = readJson(join(out, 'result.json'));
    expect(doc.unscored).toEqual(['downstream-only', 'cofinetune']);
    expect(doc.diverged.map((d: { protocol: string }) => d.protocol).sort()).toEqual(['cofinetune', 'downstream-only']);
    expect(doc.leaderboard).toEqual([]);
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toMatch(/diverged \(loss NaN, train step \d+\)/);
    // merged, a --quick source keeps its label
    const merged = await cli(['leaderboard', join(out, 'result.json')]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/> out: pipeline check, no claim/);
  });
});

describe('whole outputs', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const evalTo = (out: string, pred = PRED) => cli(['eval', '--gt', GT, '--pred', pred, '--labelmap', LABEL_MAP, '--out', out]);

  it('a rerun into a report folder replaces it whole: no stale file of the earlier run is left', async () => {
    const out = join(dir, 'report');
    expect((await evalTo(out)).code).toBe(0);
    writeFileSync(join(out, 'stale-from-an-earlier-run.svg'), '<svg/>');
    expect((await evalTo(out)).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['per_class.csv', 'per_keyframe.bin.gz', 'report.html', 'result.json', 'summary.md']);
  });

  it('a folder that is not a report is never replaced; --out naming a file is refused before any work', async () => {
    const mine = join(dir, 'my-notes');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    const r = await evalTo(mine);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${mine}: a folder that is not a cft-bench report and not empty`);
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const c = await cli(['compare', '--quick', '--out', file]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`${file} exists and is not a directory`);
  });

  it('debris of an interrupted write (a dead process) is removed by the next write in that folder', async () => {
    const out = join(dir, 'debris');
    mkdirSync(dir, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max: no such process; host tag: this host's
    const { tempTag } = await import('../src/reports/atomic-write.js');
    const host = tempTag().split('-')[1];
    const stale = [join(dir, `.debris.4194305-${host}-abc123.partial`), join(dir, `.result.json.4194305-${host}-abc123.tmp`)];
    mkdirSync(stale[0]!);
    writeFileSync(stale[1]!, 'half');
    expect((await evalTo(out)).code).toBe(0);
    for (const s of stale) expect(existsSync(s)).toBe(false);
  });

  it('--out "" and --workers beyond the machine are usage errors', async () => {
    for (const extra of [['--out', ''], ['--workers', '256'], ['--workers', '0']]) {
      const r = await cli(['eval', '--gt', GT, '--pred', PRED, '--labelmap', LABEL_MAP, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      noStack(r.stderr);
    }
  });

  it('a label-map id far beyond any dataset is refused at once (tables are indexed by id)', async () => {
    const lm = join(dir, 'huge-id.pbtxt');
    writeFileSync(lm, 'item {\n  name: "a"\n  id: 100000000\n}\n');
    const t0 = performance.now();
    const r = await cli(['eval', '--gt', GT, '--pred', PRED, '--labelmap', lm, '--out', join(dir, 'huge')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${lm}:3: class id 100000000 is above 100,000`);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
