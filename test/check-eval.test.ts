/**
 * `check` on `eval` results of prediction files (the bundled real-AVA slice): `eval` keeps the
 * per-keyframe evidence in a sidecar named in result.json; identical predictions pass, a
 * candidate with its tail classes' scores shuffled within each class fails on overall and tail
 * only, and results of different GT, label map or protocol are refused (exit 2).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, readJson, tempDir } from './helpers/cli.js';
import { GROUPS, GT, PRED, evalSlice, shuffled, tailClasses, withScores } from './helpers/ava-slice.js';

describe('check on eval results of prediction files', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const tail = tailClasses();
  const evalTo = (name: string, pred: string, extra: string[] = [], gt = GT) => evalSlice(dir, name, pred, extra, gt);
  const check = (baseline: string, candidate: string, ...extra: string[]) => cli(['check', '--baseline', baseline, '--candidate', candidate, '--resamples', '300', ...extra]);

  it('eval writes the per-keyframe evidence as a sidecar named (with its sha256) in result.json', async () => {
    const base = await evalTo('base', PRED);
    const doc = readJson(join(base, 'result.json'));
    expect(doc.evidence.file).toBe('per_keyframe.bin.gz');
    expect(doc.evidence.format).toBe('cft-bench-keyframes/2');
    expect(readFileSync(join(base, doc.evidence.file)).length).toBe(doc.evidence.bytes);
  });

  it('identical predictions pass (exit 0) with Δ 0 on every metric, given as a directory or a result.json', async () => {
    const base = await evalTo('base2', PRED);
    const again = await evalTo('again', PRED);
    for (const cand of [again, join(again, 'result.json')]) {
      const r = await check(base, cand, '--json');
      expect(r.code, r.stderr).toBe(0);
      const v = JSON.parse(r.stdout);
      expect(v.metrics.map((m: { metric: string }) => m.metric)).toEqual(['overall', 'head', 'mid', 'tail']);
      for (const m of v.metrics) expect(m.delta.estimate).toBe(0);
    }
  });

  it("tail classes' scores shuffled within each class: exit 1, overall and tail flagged, head and mid not", async () => {
    const base = await evalTo('base3', PRED);
    const p = join(dir, 'shuffled-tail.csv');
    writeFileSync(p, withScores(tail, (s) => shuffled(s)));
    const cand = await evalTo('shuffled', p);
    const md = join(dir, 'check.md');
    const r = await check(base, cand, '--json', '--markdown', md);
    expect(r.code, r.stderr).toBe(1);
    const flagged = Object.fromEntries(JSON.parse(r.stdout).metrics.map((m: { metric: string; regression: boolean }) => [m.metric, m.regression]));
    expect(flagged).toEqual({ overall: true, head: false, mid: false, tail: true });
    expect(readFileSync(md, 'utf8')).toMatch(/\| tail \|.*regression/);
    const gh = await check(base, cand, '--github');
    expect(gh.stdout).toMatch(/::error title=cft-bench regression \(tail\)::/);
  });

  it("tail scores halved is not a regression: AP depends on the order within a class, which halving keeps", async () => {
    // Halving can only matter through the per-keyframe cap on scored rows, which then drops
    // low tail rows in favour of other classes' rows; on this slice that does not lower tail AP.
    const base = await evalTo('base4', PRED);
    const p = join(dir, 'halved-tail.csv');
    writeFileSync(p, withScores(tail, (s) => s.map((x) => String(Number(x) / 2))));
    const r = await check(base, await evalTo('halved', p), '--json');
    expect(r.code, r.stderr).toBe(0);
    const tailDelta = JSON.parse(r.stdout).metrics.find((m: { metric: string }) => m.metric === 'tail').delta.estimate;
    expect(tailDelta).toBeGreaterThan(-0.5); // points (check --json's one unit)
  });

  it('refuses (exit 2) results of a different GT, protocol or label map, and a tampered sidecar', async () => {
    const base = await evalTo('base5', PRED);
    const gt2 = join(dir, 'gt-minus-one.csv');
    writeFileSync(gt2, readFileSync(GT, 'utf8').split('\n').slice(1).join('\n'));
    const otherGt = await check(base, await evalTo('other-gt', PRED, [], gt2));
    expect(otherGt.code).toBe(2);
    expect(otherGt.stderr).toMatch(/not comparable with the baseline: ground truth differ/);
    const otherProtocol = await check(base, await evalTo('other-protocol', PRED, ['--protocol', 'activitynet-2018']));
    expect(otherProtocol.code).toBe(2);
    expect(otherProtocol.stderr).toMatch(/protocol fingerprint \(activitynet-2019 vs activitynet-2018\) differ/);
    const lm2 = join(dir, 'labelmap.pbtxt');
    // the same label map with one class renamed (spacing and comments alone would be the same label map: compared by content)
    writeFileSync(lm2, readFileSync(LABEL_MAP, 'utf8').replace(/name: "([^"]+)"/, 'name: "$1 (renamed)"'));
    const otherLm = join(dir, 'other-labelmap');
    expect((await cli(['eval', '--gt', GT, '--labelmap', lm2, '--pred', PRED, ...GROUPS, '--out', otherLm, '--json'])).code).toBe(0);
    const r = await check(base, otherLm);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/label map differ/);
    const tampered = await evalTo('tampered', PRED);
    writeFileSync(join(tampered, 'per_keyframe.bin.gz'), Buffer.from('not it'));
    const t = await check(base, tampered);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/per_keyframe\.bin\.gz.*does not match the sha256 recorded in/);
  });
});
