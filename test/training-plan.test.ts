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
import { LOSS_CURVE_POINTS, phaseLosses, stepKind, type PlannedStep } from '../src/protocols/training-plan.js';

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

describe('phaseLosses: the loss curve every run records', () => {
  // 250 steps alternating two kinds of batch (125 each), then 1 mixed step; loss of step i is i
  const steps: PlannedStep[] = [
    ...Array.from({ length: 250 }, (_, i) => ({ lr: 0.1, parts: [[i % 2 === 0 ? 'ava' : 'kinetics', [i]] as const] })),
    { lr: 0.1, parts: [['ava', [0]] as const, ['kinetics', [1]] as const] },
  ];
  const losses = steps.map((_, i) => i);

  it('one curve per kind of batch, at most LOSS_CURVE_POINTS binned means, each point the mean of its bin at its last step', () => {
    const { curve, final } = phaseLosses(steps.map(stepKind), losses);
    expect(Object.keys(curve).sort()).toEqual(['ava', 'ava+kinetics', 'kinetics']);
    const ava = curve['ava']!;
    // 125 ava steps (0, 2, …, 248) in bins of 2: 63 points; first bin = steps 0 and 2
    expect(ava.length).toBe(63);
    expect(ava[0]).toEqual([3, 1]);
    expect(ava.at(-1)).toEqual([249, 248]);
    expect(curve['ava+kinetics']).toEqual([[251, 250]]);
    for (const c of Object.values(curve)) expect(c.length).toBeLessThanOrEqual(LOSS_CURVE_POINTS);
    expect(final).toBeCloseTo(losses.slice(-50).reduce((a, b) => a + b, 0) / 50, 12);
  });

  it('a diverged phase: the curve stops at the last finite loss', () => {
    const { curve } = phaseLosses(steps.map(stepKind), [...losses.slice(0, 10), NaN]);
    expect(curve['ava']!.flat().every(Number.isFinite)).toBe(true);
    expect(curve['ava']!.at(-1)![0]).toBeLessThanOrEqual(10);
    expect(curve['kinetics']!.at(-1)).toEqual([10, 9]); // bins of 2 kinetics steps: (1, 3), (5, 7), then 9 alone (11 is past the last loss)
  });
});
