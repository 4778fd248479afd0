/**
 * Tuned LRs: a compare's LR search is written as tuned-lr.json; `compare --lr-from` runs each
 * protocol at its tuned LR only (same numbers as the search's selected runs), and refuses a file
 * tuned for another setting. The committed baselines/tuned-lr.json fits the README main job.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { readTunedLr } from '../src/protocols/tuned-lr.js';
import { DEFAULT_TUNED_LR } from '../src/cli/commands/compare.js';
import { BUILTIN_PROTOCOLS } from '../src/protocols/protocol.js';

const tiny = ['--budget', 'equal', '--budget-scale', '0.02', '--resamples', '40', '--workers', '2', '--protocols', 'downstream-only,cofinetune'];

type Run = { protocol: string; lr: number; valMAP: number; selected: boolean; hash: string };

describe('tuned LRs (tiny budget)', { timeout: 240_000 }, () => {
  const root = tempDir();
  const search = join(root, 'search');
  const file = join(search, 'tuned-lr.json');

  it('a grid search writes tuned-lr.json: per protocol the val-best LR and mean val at every grid value', async () => {
    const r = await cli(['compare', ...tiny, '--lr-grid', '0.003,0.006,0.012', '--lr-extend', '4', '--out', search]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(search, 'result.json'));
    const tuned = readTunedLr(file);
    expect(tuned.grid).toEqual(doc.lrGrid);
    expect(tuned.fingerprint.practice).toEqual(doc.practice);
    for (const p of ['downstream-only', 'cofinetune']) {
      const runs = (doc.runs as Run[]).filter((x) => x.protocol === p);
      for (const lr of doc.lrGrid as number[]) expect(tuned.protocols[p]!.meanVal[String(lr)]).toBe(runs.find((x) => x.lr === lr)!.valMAP);
      const best = runs.reduce((a, b) => (b.valMAP > a.valMAP ? b : a));
      expect(tuned.protocols[p]!.lr).toBe(best.lr);
      expect(runs.find((x) => x.selected)!.lr).toBe(best.lr);
    }
  });

  it('--lr-from runs each protocol at its tuned LR only, reusing the search runs: the same leaderboard', async () => {
    const again = join(root, 'tuned');
    const r = await cli(['compare', ...tiny, '--lr-from', file, '--out', again]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('tuned LRs from');
    const a = readJson(join(search, 'result.json'));
    const b = readJson(join(again, 'result.json'));
    expect(b.runs).toHaveLength(2);
    expect((b.runs as Run[]).map((x) => x.hash).sort()).toEqual((a.runs as Run[]).filter((x) => x.selected).map((x) => x.hash).sort());
    expect(b.leaderboard).toEqual(a.leaderboard);
    expect(b.tuning).toBeNull();
    expect(existsSync(join(again, 'tuned-lr.json'))).toBe(false);
    expect(b.lrSource).toMatch(/tuned on val by an earlier search/);
    expect(readFileSync(join(again, 'leaderboard.md'), 'utf8')).toContain('tuned on val by an earlier search');
  });

  it('refuses a tuned file for another setting or protocol set, and --lr-from with --lr-grid (exit 2)', async () => {
    const batch = await cli(['compare', ...tiny, '--lr-from', file, '--batch', '16', '--plan']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toMatch(/batch.*differ/);
    const other = await cli(['compare', ...tiny.slice(0, -1), 'downstream-only,pretrain-finetune', '--lr-from', file, '--plan']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('no tuned LR for pretrain-finetune');
    const both = await cli(['compare', ...tiny, '--lr-from', file, '--lr-grid', '0.003', '--plan']);
    expect(both.code).toBe(2);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...readTunedLr(file), protocols: { cofinetune: { lr: -1 } } }));
    const neg = await cli(['compare', ...tiny, '--lr-from', bad, '--plan']);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toContain(`${bad}: protocol 'cofinetune': lr must be a positive number`);
  });
});
describe('baselines/tuned-lr.json', () => {
  it('fits the README main job: the default compare runs every built-in protocol at its tuned LR', async () => {
    const tuned = readTunedLr(DEFAULT_TUNED_LR);
    const r = await cli(['compare', '--budget', 'equal', '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('not using the tuned LRs');
    expect(r.stdout).toContain('LRs tuned by baselines/tuned-lr.json');
    for (const p of BUILTIN_PROTOCOLS) expect(r.stdout).toContain(`${p} ${tuned.protocols[p]!.lr}`);
    expect(r.stdout).toContain(`; ${BUILTIN_PROTOCOLS.length} runs`);
  });
  it('is skipped, with a note, for a setting it was not tuned for (the grid is searched)', async () => {
    const r = await cli(['compare', '--budget', 'equal', '--budget-scale', '0.5', '--plan']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not using the tuned LRs of baselines\/tuned-lr.json: tuned for a different setting \(budget differ/);
    expect(r.stdout).toContain('LR grid 0.0015, 0.003, 0.006');
  });
});
