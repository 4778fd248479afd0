/**
 * compare on a cluster: two `--shard I/2` processes running at once into one `--cache`, then
 * `--merge`, give the same leaderboard as one unsharded run. Only the wall-clock seconds of
 * each run differ (they are measurements, not results), so they are blanked before comparing.
 */
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, spawnCli, tempDir } from './helpers/cli.js';
import { parseShard, shareOf } from '../src/protocols/shard.js';
import { protocolSourceHash, type JobSpec } from '../src/protocols/job.js';

const args = (out: string) => ['compare', '--quick', '--budget-scale', '0.3', '--protocols', 'downstream-only,pretrain-finetune,linear-probe-finetune,cofinetune', '--resamples', '40', '--workers', '1', '--out', out];

const run = spawnCli;

/** leaderboard.md / .csv with the per-run wall seconds blanked. */
const md = (dir: string) => readFileSync(join(dir, 'leaderboard.md'), 'utf8').replace(/\| \d+ \| (wasm|cpu|tfjs-node|tfjs-node-gpu) \|/g, '| _ | $1 |');
const csv = (dir: string) => readFileSync(join(dir, 'leaderboard.csv'), 'utf8').replace(/,[\d.]+,(wasm|cpu|tfjs-node|tfjs-node-gpu)\n/g, ',_,$1\n');
const results = (dir: string) => {
  const d = readJson(join(dir, 'result.json'));
  return { leaderboard: d.leaderboard.map((r: { seconds?: number }) => ({ ...r, seconds: null })), paired: d.paired, perClass: d.perClass, sanity: d.sanity, ledgerCheck: d.ledgerCheck, config: d.config };
};

describe('parseShard', () => {
  it('reads I/N, Slurm arrays, Kubernetes Indexed Jobs and CFT_BENCH_SHARD; refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', CFT_BENCH_SHARDS: '3' })).toEqual({ index: 0, count: 3 });
    expect(parseShard('auto', { CFT_BENCH_SHARD: '3/3' })).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('0/2')).toThrow(/1 ≤ I ≤ N/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '1' })).toThrow(/CFT_BENCH_SHARDS/);
    expect(() => parseShard('auto', {})).toThrow(/none of/);
  });
});

describe('compare --shard / --merge', { timeout: 600_000 }, () => {
  it('two concurrent shards + merge = the unsharded leaderboard; merge before the shards exits 1 naming missing runs', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const cache = join(dir, 'cache');
    const early = await cli([...args(out), '--merge', '--cache', cache]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/compare --merge: 4 of 4 runs are not in the cache yet \(downstream-only seed 0 lr 0\.003/);

    const whole = await cli(args(out));
    expect(whole.code, whole.stderr).toBe(0);
    renameSync(out, join(dir, 'whole'));

    const shards = await Promise.all([run([...args(out), '--shard', '1/2', '--cache', cache]), run([...args(out), '--shard', '2/2', '--cache', cache])]);
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    expect(shards.map((s) => s.stderr).join('\n')).toMatch(/shard [12]\/2 done; (every run of the matrix is cached|\d of 4 runs of the matrix are other shards')/);
    // each shard trained only its share: the pretraining group (pretrain-finetune + LP-FT) in one of them
    const trained = shards.map((s) => (s.stderr.match(/ {2}done: /g) ?? []).length);
    expect(trained.reduce((a, b) => a + b, 0)).toBe(4);
    expect(Math.min(...trained)).toBeGreaterThan(0);

    const merged = await cli([...args(out), '--merge', '--cache', cache]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).not.toMatch(/ {2}done: /); // nothing trained by the merge
    expect(md(out)).toBe(md(join(dir, 'whole')));
    expect(csv(out)).toBe(csv(join(dir, 'whole')));
    expect(results(out)).toEqual(results(join(dir, 'whole')));
    expect(readFileSync(join(out, 'per_class.csv'), 'utf8')).toBe(readFileSync(join(dir, 'whole', 'per_class.csv'), 'utf8'));
  });

  it('shares are disjoint, cover the matrix, and keep jobs with one pretraining together', async () => {
    const spec = (protocol: string, seed: number, lr: number): JobSpec => ({
      protocol,
      protocolSource: protocolSourceHash(protocol),
      seed,
      lr,
      pretrainLr: 0.003,
      budget: { downstream: 3200, upstream: 6400 },
      batch: 32,
      sampler: 'weighted-without-replacement',
      downstream: 'synth-ava',
      upstream: ['synth-kinetics', 'synth-ssv2', 'synth-mit'],
      benchmarkSeed: 0,
      backend: 'wasm',
      evalSplits: ['val', 'test'],
      codeVersion: 'test',
    });
    const specs = ['downstream-only', 'pretrain-finetune', 'linear-probe-finetune', 'cofinetune'].flatMap((p) => [0, 1].flatMap((seed) => [0.003, 0.006].map((lr) => spec(p, seed, lr))));
    const parts = await Promise.all([0, 1, 2].map((index) => shareOf(specs, { index, count: 3 })));
    expect(parts.flat().length).toBe(specs.length);
    expect(new Set(parts.flat()).size).toBe(specs.length);
    for (const part of parts) {
      const ptft = part.filter((s) => s.protocol === 'pretrain-finetune').map((s) => `${s.seed}/${s.lr}`);
      const lpft = part.filter((s) => s.protocol === 'linear-probe-finetune').map((s) => `${s.seed}/${s.lr}`);
      expect(ptft).toEqual(lpft);
    }
  });
});
