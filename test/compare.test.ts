/**
 * `cft-bench compare` end to end at a tiny budget: reports and ledger; resume from the cache;
 * a plug-in protocol; refusal (exit 1, no report) when ledgers that must be equal are not;
 * `leaderboard` merging results.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';

const tiny = ['--budget-scale', '0.02', '--lr-grid', '0.003', '--resamples', '40', '--workers', '2'];

describe('compare (tiny budget)', { timeout: 240_000 }, () => {
  const root = tempDir();
  const out = join(root, 'cmp');

  it('writes leaderboard, per-class, plot and result.json; ledgers equal across protocols', async () => {
    const r = await cli(['compare', '--budget', 'equal', ...tiny, '--protocols', 'downstream-only,pretrain-finetune,cofinetune', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['leaderboard.md', 'leaderboard.csv', 'per_class.csv', 'result.json', 'gain-vs-train-count.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    const doc = readJson(join(out, 'result.json'));
    expect(doc.schemaVersion).toBe(1);
    expect(doc.leaderboard.map((l: { protocol: string }) => l.protocol).sort()).toEqual(['cofinetune', 'downstream-only', 'pretrain-finetune']);
    const totals = doc.runs.map((x: { ledger: { totals: Record<string, { examples: number; idsSha256: string }> } }) => x.ledger.totals);
    expect(new Set(totals.map((t: Record<string, { idsSha256: string }>) => t['synth-ava']!.idsSha256)).size).toBe(1); // same downstream examples, same order
    expect(totals.every((t: Record<string, { examples: number }>) => t['synth-ava']!.examples === 640)).toBe(true);
    const kin = totals.filter((t: Record<string, unknown>) => t['synth-kinetics'] !== undefined);
    expect(kin).toHaveLength(2);
    expect(kin[0]['synth-kinetics']).toEqual(kin[1]['synth-kinetics']);
    expect(doc.paired.map((p: { protocol: string }) => p.protocol).sort()).toEqual(['cofinetune', 'downstream-only']);
    for (const p of doc.paired) expect(p.delta.overall.lo).toBeLessThanOrEqual(p.delta.overall.hi);
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toContain('## Paired comparison with pretrain-finetune');
    expect(readFileSync(join(out, 'gain-vs-train-count.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readdirSync(join(out, 'runs'))).toHaveLength(3);
  });

  it('resumes: a rerun reuses every finished run and reports the same numbers', async () => {
    const again = join(root, 'cmp-again');
    const r = await cli(['compare', '--budget', 'equal', ...tiny, '--protocols', 'downstream-only,pretrain-finetune,cofinetune', '--out', again]);
    expect(r.code).toBe(0);
    const a = readJson(join(out, 'result.json'));
    const b = readJson(join(again, 'result.json'));
    expect(b.leaderboard).toEqual(a.leaderboard);
    expect(b.runs.map((x: { hash: string }) => x.hash)).toEqual(a.runs.map((x: { hash: string }) => x.hash));
  });

  it('runs a plug-in protocol, and refuses to report when its ledger breaks equality', async () => {
    const dir = tempDir();
    const fair = join(dir, 'upstream-first-half.mjs');
    writeFileSync(fair, `export default { name: 'half-then-joint', description: 'half the upstream alone, then the rest with downstream', upstream: 'one',
      phases: (c) => [
        { name: 'warm', examples: { [c.upstream[0]]: c.budget.upstream / 2 }, sampler: c.sampler, lr: c.pretrainLr, freshOptimizers: true },
        { name: 'joint', examples: { [c.downstream]: c.budget.downstream, [c.upstream[0]]: c.budget.upstream / 2 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
      ] };\n`);
    const ok = join(dir, 'ok');
    const r1 = await cli(['compare', ...tiny, '--protocols', 'pretrain-finetune', '--protocol', fair, '--out', ok]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(readJson(join(ok, 'result.json')).leaderboard.map((l: { protocol: string }) => l.protocol)).toContain('half-then-joint');

    const unfair = join(dir, 'unfair.mjs');
    writeFileSync(unfair, `export default { name: 'less-downstream', description: 'spends half the downstream budget', upstream: 'one',
      phases: (c) => [{ name: 'x', examples: { [c.downstream]: c.budget.downstream / 2, [c.upstream[0]]: c.budget.upstream }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }] };\n`);
    const bad = join(dir, 'bad');
    const r2 = await cli(['compare', ...tiny, '--protocols', 'cofinetune', '--protocol', unfair, '--out', bad]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/budget ledgers that must be equal are not/);
    expect(r2.stderr).toMatch(/synth-ava: cofinetune saw 640 examples, less-downstream 320/);
    expect(existsSync(join(bad, 'result.json'))).toBe(false);
  });

  it('--budget equal-total: the same total for every protocol, downstream-only spends it all downstream', async () => {
    const dir = join(root, 'equal-total');
    const r = await cli(['compare', '--budget', 'equal-total', ...tiny, '--protocols', 'downstream-only,cofinetune', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(dir, 'result.json'));
    const totals = Object.fromEntries(doc.runs.map((x: { protocol: string; ledger: { totals: Record<string, { examples: number }> } }) => [x.protocol, x.ledger.totals]));
    expect(totals['downstream-only']['synth-ava'].examples).toBe(640 + 1280);
    expect(totals['cofinetune']['synth-ava'].examples + totals['cofinetune']['synth-kinetics'].examples).toBe(640 + 1280);
    expect(readFileSync(join(dir, 'leaderboard.md'), 'utf8')).toContain('Budget (equal-total)');
  });

  it('pairs every protocol with each transfer baseline present; pretrain-finetune and LP-FT share one pretraining', async () => {
    const dir = join(root, 'two-baselines');
    const r = await cli(['compare', ...tiny, '--protocols', 'pretrain-finetune,linear-probe-finetune,cofinetune', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const doc = readJson(join(dir, 'result.json'));
    const pairs = doc.paired.map((p: { protocol: string; baseline: string }) => `${p.protocol} vs ${p.baseline}`).sort();
    expect(pairs).toEqual(['cofinetune vs linear-probe-finetune', 'cofinetune vs pretrain-finetune', 'linear-probe-finetune vs pretrain-finetune', 'pretrain-finetune vs linear-probe-finetune']);
    const md = readFileSync(join(dir, 'leaderboard.md'), 'utf8');
    expect(md).toContain('## Paired comparison with pretrain-finetune');
    expect(md).toContain('## Paired comparison with linear-probe-finetune');
    const runs = Object.fromEntries(doc.runs.map((x: { protocol: string; dir: string }) => [x.protocol, readJson(join(x.dir, 'result.json'))]));
    expect(runs['pretrain-finetune'].pretrainCheckpoint).toMatch(/^[0-9a-f]{20}$/);
    expect(runs['linear-probe-finetune'].pretrainCheckpoint).toBe(runs['pretrain-finetune'].pretrainCheckpoint);
    expect(runs['cofinetune'].pretrainCheckpoint).toBeNull();
    expect(runs['linear-probe-finetune'].ledger.totals).toEqual(runs['pretrain-finetune'].ledger.totals);
  });

  it('leaderboard merges result files', async () => {
    const r = await cli(['leaderboard', join(out, 'result.json'), join(root, 'cmp-again', 'result.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| source | protocol |');
    expect(r.stdout.match(/\*\*cofinetune\*\*/g)).toHaveLength(2);
    const bad = await cli(['leaderboard', '/nonexistent/result.json']);
    expect(bad.code).toBe(2);
  });
});
