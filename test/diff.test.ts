/**
 * `cft-bench diff A B` on eval results of the bundled real-AVA slice: Δ AP per class and per
 * group with paired bootstrap CIs, as Markdown, CSV, JSON and a plot; exit 0 without a verdict,
 * exit 2 for results that are not comparable.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { GT, PRED, evalSlice, shuffled, tailClasses, withScores } from './helpers/ava-slice.js';

interface Delta {
  estimate: number;
  lo: number;
  hi: number;
}

describe('diff on eval results', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const tail = tailClasses();
  const shuffledPred = join(dir, 'shuffled-tail.csv');
  writeFileSync(shuffledPred, withScores(tail, (s) => shuffled(s)));
  const diff = (a: string, b: string, ...extra: string[]) => cli(['diff', a, b, '--resamples', '200', ...extra]);

  it('identical results: Δ exactly 0 for every group and class with GT; all four files written', async () => {
    const a = await evalSlice(dir, 'a', PRED);
    const b = await evalSlice(dir, 'b', PRED);
    const out = join(dir, 'same');
    const r = await diff(a, b, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['diff.md', 'diff.csv', 'diff.json', 'diff-vs-count.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    const d = readJson(join(out, 'diff.json'));
    expect(d.groups.map((g: { group: string }) => g.group)).toEqual(['overall', 'head', 'mid', 'tail']);
    for (const g of d.groups) expect([g.delta.estimate, g.delta.lo, g.delta.hi]).toEqual([0, 0, 0]);
    const withGt = d.classes.filter((c: { numGt: number }) => c.numGt > 0);
    expect(withGt.length).toBeGreaterThan(10);
    for (const c of withGt) expect(c.delta.estimate).toBe(0);
    for (const c of d.classes.filter((c: { numGt: number }) => c.numGt === 0)) expect(c.delta).toBeNull();
    // CSV: one row per group and per class, after the header
    expect(readFileSync(join(out, 'diff.csv'), 'utf8').trimEnd().split('\n').length).toBe(1 + d.groups.length + d.classes.length);
  });

  it('tail scores shuffled: tail classes change (others only slightly, via the cap), Δ equals the APs of the two eval results, tail drops beyond noise', async () => {
    const a = await evalSlice(dir, 'base', PRED);
    const b = await evalSlice(dir, 'shuffled', shuffledPred);
    const out = join(dir, 'shuffled-diff');
    const md = join(dir, 'summary.md');
    const r = await diff(a, b, '--out', out, '--json', '--markdown', md, '--github');
    expect(r.code, r.stderr).toBe(0);
    const d = readJson(join(out, 'diff.json'));
    const apA = new Map(readJson(join(a, 'result.json')).perClass.map((c: { id: number; ap: number }) => [c.id, c.ap]));
    const apB = new Map(readJson(join(b, 'result.json')).perClass.map((c: { id: number; ap: number }) => [c.id, c.ap]));
    for (const c of d.classes.filter((c: { numGt: number }) => c.numGt > 0)) {
      expect(c.delta.estimate).toBeCloseTo((apB.get(c.id) as number) - (apA.get(c.id) as number), 12);
      // other classes move only through the per-keyframe cap on scored rows, which couples classes
      if (!tail.has(c.id)) expect(Math.abs(c.delta.estimate), `class ${c.id}`).toBeLessThan(0.01);
    }
    const groups: Record<string, Delta> = Object.fromEntries(d.groups.map((g: { group: string; delta: Delta }) => [g.group, g.delta]));
    expect(groups['tail']!.hi).toBeLessThan(0);
    expect(groups['overall']!.hi).toBeLessThan(0);
    expect(groups['head']!.lo).toBeLessThanOrEqual(0.0001);
    expect(readFileSync(md, 'utf8')).toMatch(/\| tail \| \d+ \| [\d.]+ \| [\d.]+ \| -\d+\.\d\d \[-\d+\.\d\d, -\d+\.\d\d\] \| ▼ \|/);
    expect(r.stdout).toMatch(/::warning title=cft-bench diff \(tail\)::/);
    expect(r.stdout).not.toMatch(/::warning title=cft-bench diff \(head\)::/);
  });

  it('--by video resamples whole videos (2 in the slice, flagged as coarse)', async () => {
    const a = await evalSlice(dir, 'va', PRED);
    const b = await evalSlice(dir, 'vb', shuffledPred);
    const out = join(dir, 'by-video');
    const r = await diff(a, b, '--by', 'video', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const d = readJson(join(out, 'diff.json'));
    expect([d.by, d.units, d.keyframes]).toEqual(['video', 2, 900]);
    const byKeyframe = readJson(join(dir, 'shuffled-diff', 'diff.json'));
    expect(d.groups[0].delta.estimate).toBe(byKeyframe.groups[0].delta.estimate);
    expect(d.groups[0].delta.lo).not.toBe(byKeyframe.groups[0].delta.lo);
    expect(readFileSync(join(out, 'diff.md'), 'utf8')).toContain('only 2 videos: the interval is coarse');
  });

  it('refuses results of different GT (exit 2, naming both), and a file that is not a result', async () => {
    const a = await evalSlice(dir, 'ga', PRED);
    const gt2 = join(dir, 'gt-minus-one.csv');
    writeFileSync(gt2, readFileSync(GT, 'utf8').split('\n').slice(1).join('\n'));
    const b = await evalSlice(dir, 'gb', PRED, [], gt2);
    const r = await diff(a, b);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`not comparable with ${a}: ground truth differ`);
    const bogus = join(dir, 'bogus.json');
    writeFileSync(bogus, '{"kind":"something"}');
    const r2 = await diff(a, bogus);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/bogus\.json: kind: "something", expected "frame-map" \(a result of `cft-bench eval` or `cft-bench infer`\)/);
  });

  it('the same GT written differently (0.250 as 0.25, timestamp 0902 as 902) is the same GT; rows reordered (the matching breaks ties by GT order) or one box moved is not', async () => {
    const rows = readFileSync(GT, 'utf8').trimEnd().split('\n');
    const rewritten = rows.map((l) => l.split(',').map((v, i) => (i >= 2 && i <= 5 ? String(Number(v)) : i === 1 ? String(Number(v)) : v)).join(','));
    expect(rewritten.join('\n')).not.toBe(rows.join('\n'));
    const gt2 = join(dir, 'gt-rewritten.csv');
    writeFileSync(gt2, rewritten.join('\n') + '\n');
    const a = await evalSlice(dir, 'content-a', PRED);
    const b = await evalSlice(dir, 'content-b', PRED, [], gt2);
    expect(readJson(join(a, 'result.json')).inputs[0].sha256).not.toBe(readJson(join(b, 'result.json')).inputs[0].sha256);
    const r = await diff(a, b, '--json');
    expect(r.code, r.stderr).toBe(0);
    for (const g of JSON.parse(r.stdout).groups) expect(g.delta.estimate).toBe(0);
    // reordered: a different evaluation input
    const gtr = join(dir, 'gt-reordered.csv');
    writeFileSync(gtr, shuffled(rows, 3).join('\n') + '\n');
    const r2 = await diff(a, await evalSlice(dir, 'content-r', PRED, [], gtr));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('ground truth differ');
    // one coordinate changed: a different GT
    const moved = [...rows];
    moved[5] = moved[5]!.split(',').map((v, i) => (i === 2 ? (Number(v) + 0.01).toFixed(3) : v)).join(',');
    const gt3 = join(dir, 'gt-moved.csv');
    writeFileSync(gt3, moved.join('\n') + '\n');
    const c = await evalSlice(dir, 'content-c', PRED, [], gt3);
    const r3 = await diff(a, c);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('ground truth differ');
  });
});
