/**
 * The external-trainer contract (docs/external-trainer.md), with the stdlib-only reference
 * trainer examples/trainers/prior_trainer.py: a conforming trainer's predictions are scored by
 * cft-bench's evaluator under the plan's ledger; one that skips an example, crashes, writes a
 * bad CSV, writes no report or hangs is refused with exit 1 and no result.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSynthKinetics } from '../src/data/synth/upstream.js';
import { cli, readJson, tempDir } from './helpers/cli.js';

const TRAINER = new URL('../examples/trainers/prior_trainer.py', import.meta.url).pathname;
const havePython = spawnSync('python3', ['--version']).status === 0;
const train = (dir: string, name: string, mode: string, ...extra: string[]) =>
  cli(['train', '--protocol', 'cofinetune', '--steps', '90', '--trainer', `python3 ${TRAINER} --mode ${mode}`, '--out', join(dir, name), ...extra]);

describe.skipIf(!havePython)('external trainer (skipped only without python3)', { timeout: 120_000 }, () => {
  const dir = tempDir();

  it('a conforming trainer: the plan is consumed as planned, predictions scored by cft-bench, trainer named in the result', async () => {
    const r = await train(dir, 'ok', 'ok', '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.trainer).toMatchObject({ name: 'prior-trainer', version: '1', device: 'cpu' });
    expect(res.backend).toBe('prior-trainer 1 on cpu');
    expect(res.scores.val.mAP).toBeGreaterThan(0.02); // a class prior beats nothing, and is scored here
    const builtin = await cli(['train', '--protocol', 'cofinetune', '--steps', '90', '--write-plan', join(dir, 'plan.json')]);
    expect(builtin.code).toBe(0);
    expect(res.ledger).toEqual(readJson(join(dir, 'plan.json')).ledger);
    expect(Object.keys(res.finalLoss)).toEqual(['cofinetune']);
    // the trainer predicts its majority training class for every val clip; cft-bench scores that against the val labels itself
    const kinetics = createSynthKinetics();
    const majority = Array.from({ length: kinetics.sizes.val! }, (_, i) => kinetics.label('val', i)).filter((y) => y === 0).length / kinetics.sizes.val!;
    expect(res.upstreamAccuracy['synth-kinetics']).toBe(majority);
    // handed the plan as a folder (cft-bench-plan/2), kept in the run: the same ledger as the JSON plan above
    const request = readJson(join(dir, 'ok', 'trainer', 'request.json'));
    expect(request.plan).toBe(join(dir, 'ok', 'plan'));
    expect(readJson(join(request.plan, 'plan.json'))).toMatchObject({ format: 'cft-bench-plan/2', ledger: res.ledger });
    expect(request.predictUpstream).toEqual({ 'synth-kinetics': kinetics.sizes.val });
  });

  for (const [mode, message] of [
    ['skip', /consumed example ids differ from the plan:\n {2}phase cofinetune, synth-ava: 959 examples/],
    ['crash', /trainer `.*--mode crash` exited with code 3/],
    ['bad-csv', /val predictions are malformed: .*val_predictions\.csv:\d+: expected 7 or 8 fields, got 3/],
    ['no-report', /exited 0 but wrote no report/],
    // label ids shifted down by one: most rows name a wrong class, the first class's are not in the label map at all
    ['zero-based', /val predictions \(.*\) are refused: \d+\.\d% of \d+ prediction rows could not be scored \(more than 1%\): notInLabelMap \d+ \(action ids not in the label map \(0-based ids\? AVA ids start at 1\)\)/],
    ['bad-upstream', /synth-kinetics val predictions are malformed: .*synth-kinetics_val_predictions\.csv:1002: id "1000" is not an example id of the split \(0\.\.999\)/],
  ] as const) {
    it(`refuses a trainer that misbehaves (${mode}): exit 1, no result.json`, async () => {
      const r = await train(dir, mode, mode);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, mode, 'result.json'))).toBe(false);
    });
  }

  it('refuses a trainer that stalls past --trainer-timeout, and kills it', async () => {
    const t0 = Date.now();
    const r = await train(dir, 'hang', 'hang', '--trainer-timeout', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stalled: no result after 2 s/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(spawnSync('pgrep', ['-f', `${TRAINER} --mode hang`]).status).toBe(1); // no process left
  });

  it('compare --trainer: every run trained by the trainer and scored by cft-bench; a crashing trainer fails the compare (exit 1) and finished runs stay cached', async () => {
    const base = ['compare', '--quick', '--budget-scale', '0.3', '--protocols', 'downstream-only,cofinetune', '--resamples', '20', '--workers', '1'];
    const out = join(dir, 'cmp');
    const ok = await cli([...base, '--trainer', `python3 ${TRAINER}`, '--out', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toContain('prior-trainer 1 on cpu');
    const doc = readJson(join(out, 'result.json'));
    expect(doc.runs.map((r: { protocol: string }) => r.protocol).sort()).toEqual(['cofinetune', 'downstream-only']);
    const again = await cli([...base, '--trainer', `python3 ${TRAINER}`, '--out', out]);
    expect(again.stderr).toContain('2 run(s) reused from the cache');
    const bad = await cli([...base, '--trainer', `python3 ${TRAINER} --mode crash`, '--out', join(dir, 'cmp-bad')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/2 run\(s\) failed .*\n.*exited with code 3/);
    expect(existsSync(join(dir, 'cmp-bad', 'leaderboard.md'))).toBe(false);
  });
});
