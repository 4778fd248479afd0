/**
 * Seeds on both sides of a comparison (issue 20 §2), on made data where the truth is known: the
 * bundled slice's predictions with per-seed score noise stand in for training seeds of a recipe
 * (the noise reorders detections within a class, as another seed would). Two recipes that differ
 * only by seed pass `check` once each side gives its seeds — though a single seed of each can
 * "regress" on seed noise alone; a recipe degraded beyond seed noise fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { PRED, evalSlice, gtCounts } from './helpers/ava-slice.js';

/** The slice's predictions as a training seed of a recipe: scores × exp(0.6·N(0,1)); `degrade`: tail and mid scores (classes under 300 GT boxes) replaced by noise. */
function seedOf(seed: number, degrade: boolean): string {
  const counts = gtCounts();
  const tail = new Set([...counts.keys()].filter((c) => counts.get(c)! < 300));
  let s = (seed * 2654435761) >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const normal = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const rows = gunzipSync(readFileSync(PRED)).toString().trim().split('\n').map((l) => l.split(','));
  for (const r of rows) {
    let v = Number(r[7]) * Math.exp(0.6 * normal());
    if (degrade && tail.has(Number(r[6]))) v = u();
    r[7] = Math.min(1, v).toFixed(6);
  }
  return rows.map((r) => r.join(',')).join('\n') + '\n';
}

describe('check and diff with several seeds per side', { timeout: 300_000 }, () => {
  const dir = tempDir();
  const results = async (prefix: string, seeds: number[], degrade = false) => {
    for (const seed of seeds) {
      const p = join(dir, `${prefix}${seed}.csv`);
      writeFileSync(p, seedOf(seed, degrade));
      await evalSlice(dir, `${prefix}-seed${seed}`, p);
    }
    return join(dir, `${prefix}-seed*`);
  };
  const verdict = async (baseline: string[], candidate: string[]) => {
    const r = await cli(['check', '--baseline', ...baseline, '--candidate', ...candidate, '--resamples', '400', '--json']);
    return { code: r.code, v: JSON.parse(r.stdout || '{}'), stderr: r.stderr };
  };

  it('the same recipe: one seed of each can fail on seed noise alone; three seeds a side pass, and say the interval covers seed noise', async () => {
    const a = await results('a', [1, 2, 3]);
    const b = await results('b', [4, 5, 6]);
    const single = await verdict([join(dir, 'a-seed1')], [join(dir, 'b-seed5')]);
    expect(single.v.seedNoise).toBe('not covered (one model per side)');
    const pairs = [];
    for (const [x, y] of [[1, 4], [1, 5], [2, 5], [3, 5], [1, 6]]) pairs.push(await verdict([join(dir, `a-seed${x}`)], [join(dir, `b-seed${y}`)])); // one at a time: cli() captures the process's stdout
    expect(pairs.some((p) => p.code === 1)).toBe(true); // a seed-noise "regression", the complaint
    const multi = await verdict([a], [b]);
    expect(multi.code, multi.stderr).toBe(0);
    expect(multi.v.seeds).toEqual({ baseline: 3, candidate: 3 });
    expect(multi.v.seedNoise).toBe('covered');
    const overall = multi.v.metrics.find((m: { metric: string }) => m.metric === 'overall');
    // the side's score is the mean of its seeds' official mAPs
    const mean = [4, 5, 6].reduce((s, i) => s + readJson(join(dir, `b-seed${i}`, 'result.json')).mAP, 0) / 3;
    expect(overall.candidate).toBeCloseTo(mean * 100, 10);
    // covering seed noise widens the interval beyond test-set noise alone
    const width = (v: { metrics: { metric: string; delta: { lo: number; hi: number } }[] }) => { const m = v.metrics.find((x) => x.metric === 'overall')!; return m.delta.hi - m.delta.lo; };
    expect(width(multi.v)).toBeGreaterThan(0);
    expect(Math.abs(overall.delta.estimate)).toBeLessThan(width(multi.v) / 2);
  });

  it('a recipe degraded beyond seed noise fails (exit 1), and diff over quoted globs reports both sides as means over their seeds', async () => {
    const a = await results('c', [1, 2, 3]);
    const worse = await results('w', [7, 8, 9], true);
    const r = await verdict([a], [worse]);
    expect(r.code).toBe(1);
    expect(r.v.metrics.find((m: { metric: string }) => m.metric === 'overall').regression).toBe(true);
    const d = await cli(['diff', a, worse, '--resamples', '200', '--out', join(dir, 'diff'), '--json']);
    expect(d.code, d.stderr).toBe(0);
    const doc = JSON.parse(d.stdout);
    expect(doc.seeds).toEqual({ a: 3, b: 3 });
    expect(doc.groups.find((g: { group: string }) => g.group === 'overall').delta.hi).toBeLessThan(0);
    expect(readFileSync(join(dir, 'diff', 'diff.md'), 'utf8')).toMatch(/Seeds: 3 \(A\) and 3 \(B\)/);
    const one = await cli(['diff', join(dir, 'c-seed1'), join(dir, 'w-seed7'), '--resamples', '50', '--out', join(dir, 'diff1')]);
    expect(one.stdout).toMatch(/One result per side: the intervals cover test-set noise only/);
  });
  it('leaderboard: a quoted glob is one recipe (its seeds); recipes that differ only by seed share a rank, the degraded one ranks below; rows are seed means', async () => {
    const [a, b, worse] = [join(dir, 'a-seed*'), join(dir, 'b-seed*'), join(dir, 'w-seed*')]; // written by the tests above
    const r = await cli(['leaderboard', a, b, worse, '--resamples', '300', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const board = JSON.parse(r.stdout);
    expect(board.models.map((m: { name: string; seeds: number }) => [m.name, m.seeds]).sort()).toEqual([['a-seed*', 3], ['b-seed*', 3], ['w-seed*', 3]]);
    const byName = new Map(board.models.map((m: { name: string }) => [m.name, m]));
    const rankOf = (n: string) => (byName.get(n) as { rank: number }).rank;
    expect(rankOf('a-seed*')).toBe(rankOf('b-seed*'));
    expect(rankOf('w-seed*')).toBe(3);
    const mean = [1, 2, 3].reduce((s, i) => s + readJson(join(dir, `a-seed${i}`, 'result.json')).mAP, 0) / 3;
    expect((byName.get('a-seed*') as { groups: { overall: { mAP: number } } }).groups.overall.mAP).toBeCloseTo(mean, 12);
    // the recipe's interval covers its seeds' spread: each half at least Student's t (2 df) × the standard error of the seed mean
    const maps = [1, 2, 3].map((i) => readJson(join(dir, `a-seed${i}`, 'result.json')).mAP as number);
    const se = Math.sqrt(maps.reduce((s, x) => s + (x - mean) ** 2, 0) / 2 / 3);
    const ci = (byName.get('a-seed*') as { groups: { overall: { ci: { estimate: number; lo: number; hi: number } } } }).groups.overall.ci;
    expect(ci.estimate - ci.lo).toBeGreaterThanOrEqual(4.302653 * se - 1e-9);
    expect(ci.hi - ci.estimate).toBeGreaterThanOrEqual(4.302653 * se - 1e-9);
    expect(se).toBeGreaterThan(0);
  });
});
