/**
 * The training plan (`train --write-plan`): the whole schedule the built-in trainer executes —
 * per step the example ids and LR — with the run's ledger. A trainer of another framework gets
 * this plan; its id digests follow the documented rule (sha256 of "id," for each id in order, per
 * phase and dataset) and equal those of the built-in run.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';

describe('train --write-plan', { timeout: 120_000 }, () => {
  it("LP-FT's plan: phases, batches and LRs as specified; its ledger is the trained run's ledger", async () => {
    const dir = tempDir();
    const args = ['train', '--protocol', 'linear-probe-finetune', '--steps', '90', '--eval', 'none'];
    const w = await cli([...args, '--write-plan', join(dir, 'plan.json')]);
    expect(w.code, w.stderr).toBe(0);
    const plan = readJson(join(dir, 'plan.json'));
    expect(plan.format).toBe('cft-bench-plan/1');
    expect(plan.phases.map((p: { name: string; headsOnly: boolean; freshOptimizers: boolean }) => [p.name, p.headsOnly, p.freshOptimizers])).toEqual([
      ['pretrain', false, expect.any(Boolean)],
      ['probe', true, true],
      ['finetune', false, true],
    ]);
    for (const phase of plan.phases) {
      for (const s of phase.steps) {
        expect(s.lr).toBeGreaterThan(0);
        expect(s.lr).toBeLessThanOrEqual(phase.lr * (1 + 1e-12)); // cosine at its peak rounds up by an ulp
        for (const [, ids] of s.parts) expect(ids.length).toBe(plan.batch);
      }
      // the digest rule, recomputed from the plan's ids
      const byDataset = new Map<string, number[]>();
      for (const s of phase.steps) for (const [d, ids] of s.parts) byDataset.set(d, [...(byDataset.get(d) ?? []), ...ids]);
      const ledgerPhase = plan.ledger.phases.find((p: { name: string }) => p.name === phase.name);
      for (const [d, ids] of byDataset) {
        expect(ledgerPhase.datasets[d].examples).toBe(ids.length);
        expect(ledgerPhase.datasets[d].idsSha256).toBe(createHash('sha256').update(ids.map((i) => `${i},`).join('')).digest('hex'));
      }
    }
    const run = await cli([...args, '--out', join(dir, 'run'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).ledger).toEqual(plan.ledger);
  });
});
