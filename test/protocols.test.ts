/**
 * Budgets, samplers, ledgers and plug-in protocols: every sampler consumes each dataset's
 * budget exactly; protocols that share a dataset consume the very same examples (ledger
 * hashes equal); a mismatch is reported.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSteps, parseSampler } from '../src/protocols/sampler.js';
import { ExampleStream, ledgerMismatches, type Ledger } from '../src/protocols/ledger.js';
import { PROTOCOLS, resolveProtocol, type ProtocolContext } from '../src/protocols/protocol.js';
import { splitUpstream } from '../src/protocols/budget.js';
import { warmupCosine } from '../src/protocols/schedule.js';
import { tempDir } from './helpers/cli.js';

const budget = { 'synth-ava': 320, 'synth-kinetics': 640 };

describe('samplers', () => {
  it.each(['weighted-without-replacement', 'proportional', 'temperature=2', 'uniform', 'mixed-batch'])('%s consumes each budget exactly', (name) => {
    const plan = planSteps(budget, 32, parseSampler(name), 7);
    const used: Record<string, number> = {};
    for (const step of plan) {
      expect(step.reduce((s, [, n]) => s + n, 0)).toBe(32);
      for (const [d, n] of step) used[d] = (used[d] ?? 0) + n;
    }
    expect(used).toEqual(budget);
  });
  it('weighted-without-replacement interleaves (not all of one dataset first) and is seeded', () => {
    const a = planSteps(budget, 32, parseSampler('weighted-without-replacement'), 1).map((s) => s[0]![0]);
    expect(a.slice(0, 10)).toContain('synth-ava');
    expect(a.slice(0, 10)).toContain('synth-kinetics');
    expect(planSteps(budget, 32, parseSampler('weighted-without-replacement'), 1).map((s) => s[0]![0])).toEqual(a);
    expect(planSteps(budget, 32, parseSampler('weighted-without-replacement'), 2).map((s) => s[0]![0])).not.toEqual(a);
  });
  it('mixed-batch mixes datasets within every batch', () => {
    for (const step of planSteps(budget, 32, parseSampler('mixed-batch'), 0)) expect(step.length).toBe(2);
  });
  it('rejects unknown samplers and budgets that are not whole batches', () => {
    expect(() => parseSampler('random')).toThrow(/Available/);
    expect(() => planSteps({ a: 33 }, 32, parseSampler('uniform'), 0)).toThrow(/whole number of batches/);
  });
});

describe('ledger', () => {
  it('a dataset stream gives the same ids in the same order whatever else is consumed in between', () => {
    const a = new ExampleStream('synth-ava', 100, 5);
    const b = new ExampleStream('synth-ava', 100, 5);
    const ids = [...a.next(70), ...a.next(70)];
    expect([...b.next(32), ...b.next(108)]).toEqual(ids);
    expect(a.digest()).toBe(b.digest());
    expect(new Set(ids.slice(0, 100)).size).toBe(100); // an epoch covers every example once
  });
  it('reports mismatched totals', () => {
    const l = (n: number, h: string): Ledger => ({ phases: [], totals: { 'synth-ava': { examples: n, idsSha256: h } } });
    expect(ledgerMismatches([{ name: 'A', ledger: l(320, 'x') }, { name: 'B', ledger: l(320, 'x') }], ['synth-ava'])).toEqual([]);
    expect(ledgerMismatches([{ name: 'A', ledger: l(320, 'x') }, { name: 'B', ledger: l(352, 'y') }], ['synth-ava'])[0]).toMatch(/A saw 320 examples, B 352/);
    expect(ledgerMismatches([{ name: 'A', ledger: l(320, 'x') }, { name: 'B', ledger: l(320, 'y') }], ['synth-ava'])[0]).toMatch(/different examples/);
  });
});

describe('protocols', () => {
  const ctx: ProtocolContext = { downstream: 'synth-ava', upstream: ['synth-kinetics', 'synth-ssv2', 'synth-mit'], budget: { downstream: 320, upstream: 640 }, batch: 32, lr: 3e-3, pretrainLr: 3e-3, sampler: parseSampler('weighted-without-replacement') };
  const totals = (name: string) => {
    const t: Record<string, number> = {};
    for (const p of PROTOCOLS[name]!.phases(ctx)) for (const [d, n] of Object.entries(p.examples)) t[d] = (t[d] ?? 0) + n;
    return t;
  };
  it('give every protocol the same downstream examples and the same upstream total', () => {
    expect(totals('downstream-only')).toEqual({ 'synth-ava': 320 });
    expect(totals('pretrain-finetune')).toEqual({ 'synth-ava': 320, 'synth-kinetics': 640 });
    expect(totals('cofinetune')).toEqual({ 'synth-ava': 320, 'synth-kinetics': 640 });
    const multi = totals('multi-cofinetune');
    expect(multi['synth-ava']).toBe(320);
    expect(multi['synth-kinetics']! + multi['synth-ssv2']! + multi['synth-mit']!).toBe(640);
    expect(splitUpstream(640, ['a', 'b', 'c'], 32)).toEqual({ a: 224, b: 224, c: 192 }); // 20 batches: 7 + 7 + 6
  });
  it('pretrain-finetune pretrains first, then finetunes with fresh optimizers at the LR under selection', () => {
    const [pre, ft] = PROTOCOLS['pretrain-finetune']!.phases({ ...ctx, lr: 6e-3, pretrainLr: 3e-3 });
    expect(Object.keys(pre!.examples)).toEqual(['synth-kinetics']);
    expect([pre!.lr, ft!.lr, ft!.freshOptimizers]).toEqual([3e-3, 6e-3, true]);
  });
  it('loads a plug-in protocol module, and rejects a module that is not one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'half.mjs'), `export default { name: 'half-cofinetune', description: 'half the upstream', upstream: 'one', phases: (c) => [{ name: 'x', examples: { [c.downstream]: c.budget.downstream, [c.upstream[0]]: c.budget.upstream / 2 }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }] };\n`);
    writeFileSync(join(dir, 'bad.mjs'), 'export default { name: 1 };\n');
    const p = await resolveProtocol(join(dir, 'half.mjs'));
    expect(p.name).toBe('half-cofinetune');
    expect(p.phases(ctx)[0]!.examples).toEqual({ 'synth-ava': 320, 'synth-kinetics': 320 });
    await expect(resolveProtocol(join(dir, 'bad.mjs'))).rejects.toThrow(/default export must be a protocol/);
    await expect(resolveProtocol('cofinetuning')).rejects.toThrow(/Built in: downstream-only/);
  });
  it('warmup + cosine: rises to the peak, ends near zero', () => {
    expect(warmupCosine(1, 0, 100)).toBeCloseTo(0.2);
    expect(warmupCosine(1, 5, 100)).toBeCloseTo(1);
    expect(warmupCosine(1, 99, 100)).toBeLessThan(0.01);
  });
});
