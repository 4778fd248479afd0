/**
 * `leaderboard` of eval/infer results (issue 20 §1): one ranked table of models on the same GT,
 * mAP per group with CIs, paired Δ to a reference, ranks shared within noise; results that
 * differ in GT, label map, exclusions, preset or grouping are refused, naming what differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { GT, PRED, evalSlice, shuffled, tailClasses, withScores } from './helpers/ava-slice.js';

describe('leaderboard of eval results (the bundled real-AVA slice)', { timeout: 120_000 }, () => {
  const dir = tempDir();

  it('ranks models with CIs; identical models share a rank, a real degradation does not; Δ against a reference', async () => {
    const a = await evalSlice(dir, 'model-a', PRED);
    const b = await evalSlice(dir, 'model-b', PRED); // the same predictions: the same model
    const worse = join(dir, 'worse.csv');
    writeFileSync(worse, withScores(tailClasses(), (s) => shuffled(s)));
    const c = await evalSlice(dir, 'model-c', worse);
    const out = join(dir, 'board');
    const r = await cli(['leaderboard', c, a, b, '--reference', 'model-a', '--resamples', '300', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const board = readJson(join(out, 'leaderboard.json'));
    expect(board.models.map((m: { name: string; rank: number }) => [m.name, m.rank])).toEqual([['model-a', 1], ['model-b', 1], ['model-c', 3]]);
    const top = board.models[0];
    expect(top.groups.overall.mAP).toBe(readJson(join(a, 'result.json')).mAP);
    expect(top.groups.overall.ci.lo).toBeLessThan(top.groups.overall.mAP);
    expect(top.groups.overall.ci.hi).toBeGreaterThan(top.groups.overall.mAP);
    expect(board.models[2].toReference.overall.hi).toBeLessThan(0); // c is worse than the reference beyond noise
    expect(board.models[2].toReference.tail.estimate).toBeLessThan(board.models[2].toReference.head.estimate);
    expect(board.models[0].rowsRead).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/\| 1 \| model-a \|/);
    expect(readFileSync(join(out, 'leaderboard.csv'), 'utf8').split('\n')[0]).toContain('overall_map');
  });

  it('refuses results of different GT or grouping (exit 2, naming what differs), and compare results mixed with eval results', async () => {
    const a = await evalSlice(dir, 'g-a', PRED);
    const gt2 = join(dir, 'gt-minus-one.csv');
    writeFileSync(gt2, readFileSync(GT, 'utf8').split('\n').slice(1).join('\n'));
    const otherGt = await evalSlice(dir, 'g-b', PRED, [], gt2);
    const r = await cli(['leaderboard', a, otherGt]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ground truth differ/);
    const otherGroups = await evalSlice(dir, 'g-c', PRED, ['--groups', 'thresholds=10,100']);
    const g = await cli(['leaderboard', a, otherGroups]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/head\/mid\/tail grouping differ/);
    const fake = join(dir, 'compare.json');
    writeFileSync(fake, JSON.stringify({ kind: 'compare', leaderboard: [] }));
    const mixed = await cli(['leaderboard', a, fake]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/compare results and eval\/infer results cannot share one table/);
  });
});
