/**
 * The streamed plan files (src/protocols/plan-files.ts): the same plan as the JSON form of
 * training-plan.ts — every step's ids per dataset, every LR, the ledger — for single-dataset,
 * weighted and mixed-batch phases; the ledger's id bytes are the documented `id,` form; and
 * `compare --plan --write-plans` writes a folder per run that numpy-style readers can use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { embeddedDataset } from '../src/data/benchmarks.js';
import { readNpyHeader } from '../src/data/npy.js';
import { idBytes } from '../src/protocols/ledger.js';
import { readStepKinds, writePlanDir } from '../src/protocols/plan-files.js';
import { PROTOCOLS, type ProtocolContext } from '../src/protocols/protocol.js';
import { parseSampler } from '../src/protocols/sampler.js';
import { stepKind, trainingPlan } from '../src/protocols/training-plan.js';

function readNpy(path: string): { shape: number[]; data: Int32Array | Float64Array } {
  const h = readNpyHeader(path);
  const bytes = readFileSync(path).subarray(h.dataOffset);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { shape: h.shape, data: h.dtype === '<i4' ? new Int32Array(buf) : new Float64Array(buf) };
}

describe('plans as files', { timeout: 300_000 }, () => {
  const datasets = Object.fromEntries(['synth-ava', 'synth-kinetics', 'synth-ssv2', 'synth-mit'].map((n) => [n, embeddedDataset(n)]));
  const sizes = Object.fromEntries(Object.entries(datasets).map(([n, d]) => [n, d.sizes.train!]));
  const cases: [string, string][] = [
    ['linear-probe-finetune', 'weighted-without-replacement'],
    ['cofinetune', 'weighted-without-replacement'],
    ['multi-cofinetune', 'mixed-batch'],
    ['multi-cofinetune', 'temperature=2'],
  ];
  for (const [name, sampler] of cases) {
    it(`${name}, ${sampler}: the same steps, ids, LRs and ledger as the JSON plan`, () => {
      const protocol = PROTOCOLS[name]!;
      const ctx: ProtocolContext = { downstream: 'synth-ava', upstream: ['synth-kinetics', 'synth-ssv2', 'synth-mit'], budget: { downstream: 3200, upstream: 6400 }, batch: 32, lr: 0.003, pretrainLr: 0.003, sampler: parseSampler(sampler) };
      const json = trainingPlan(protocol, ctx, datasets, 3);
      const dir = join(tempDir(), 'plan');
      const header = writePlanDir(protocol, ctx, sizes, 3, dir);
      expect(header.ledger).toEqual(json.ledger);
      expect(header.phases.map((p) => [p.name, p.steps])).toEqual(json.phases.map((p) => [p.name, p.steps.length]));
      header.phases.forEach((p, k) => {
        const counts = readNpy(join(dir, p.files.counts));
        const lrs = readNpy(join(dir, p.files.lr));
        expect(counts.shape).toEqual([p.steps, p.datasets.length]);
        const ids = p.files.ids.map((f) => readNpy(join(dir, f)).data);
        const at = p.datasets.map(() => 0);
        json.phases[k]!.steps.forEach((step, s) => {
          expect(lrs.data[s]).toBe(step.lr);
          const fromFiles: Record<string, number[]> = {};
          p.datasets.forEach((d, j) => {
            const n = counts.data[s * p.datasets.length + j]!;
            if (n > 0) fromFiles[d] = [...ids[j]!.subarray(at[j]!, (at[j]! += n))];
          });
          const fromJson: Record<string, number[]> = {};
          for (const [d, xs] of step.parts) fromJson[d] = [...(fromJson[d] ?? []), ...xs];
          expect(fromFiles).toEqual(fromJson);
        });
        p.datasets.forEach((_, j) => expect(at[j]).toBe(ids[j]!.length)); // every id used, none left over
        // an external run's loss curves are keyed by step kinds read back from the files: the built-in runner's keys
        expect(readStepKinds(dir, p)).toEqual(json.phases[k]!.steps.map(stepKind));
      });
    });
  }

  it('the ledger hashes ids as `id,` in decimal (the bytes written digit by digit equal the joined strings)', () => {
    const ids = [0, 9, 10, 99, 100, 12345, 2 ** 31 - 1, 4294967295, 7];
    expect(Buffer.from(idBytes(ids)).toString()).toBe(ids.map((i) => `${i},`).join(''));
    expect(() => idBytes([1.5])).toThrow(/not a whole number/);
  });

  it('compare --plan --write-plans: one folder per run (plan.json + NPY), written whole; without --plan it is refused', async () => {
    const out = join(tempDir(), 'plans');
    const r = await cli(['compare', '--quick', '--plan', '--protocols', 'pretrain-finetune,cofinetune', '--seeds', '2', '--write-plans', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(out, 'plans.json')).runs).toEqual(['pretrain-finetune-seed0', 'pretrain-finetune-seed1', 'cofinetune-seed0', 'cofinetune-seed1']);
    const plan = readJson(join(out, 'cofinetune-seed1', 'plan.json'));
    expect(plan.format).toBe('cft-bench-plan/2');
    expect(plan.ledger.totals['synth-ava'].examples).toBe(3200);
    const bad = await cli(['compare', '--quick', '--write-plans', join(tempDir(), 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--write-plans goes with --plan');
  });
});
