/**
 * Samplers turn a phase's per-dataset step counts into the order of steps. Every sampler
 * consumes each dataset's budget exactly (fair by construction; the ledger proves it):
 *
 * - `weighted-without-replacement` (default, PolyViT): each dataset gets exactly its share of
 *   steps, the step order shuffled once;
 * - `proportional`: each step draws a dataset with replacement, p ∝ its budget share; a dataset
 *   whose budget is spent drops out (so the schedule ends with the others);
 * - `temperature=T`: as proportional with p ∝ share^(1/T) (T > 1 flattens towards uniform);
 * - `uniform`: as proportional with equal p;
 * - `mixed-batch`: every batch mixes the datasets by budget share (largest remainder).
 */
import { Rng } from '../data/rng.js';

export type SamplerSpec =
  | { kind: 'weighted-without-replacement' }
  | { kind: 'proportional' }
  | { kind: 'temperature'; t: number }
  | { kind: 'uniform' }
  | { kind: 'mixed-batch' };

/** One optimizer step: [dataset, examples] parts (one part except under mixed-batch). */
export type StepPlan = readonly (readonly [string, number])[];

export function parseSampler(text: string): SamplerSpec {
  const t = text.trim();
  if (t === 'weighted-without-replacement' || t === 'proportional' || t === 'uniform' || t === 'mixed-batch') return { kind: t };
  const m = /^temperature=([0-9]*\.?[0-9]+)$/.exec(t);
  if (m !== null && Number(m[1]) > 0) return { kind: 'temperature', t: Number(m[1]) };
  throw new Error(`Unknown sampler '${text}'. Available: weighted-without-replacement, proportional, temperature=T (T > 0), uniform, mixed-batch`);
}

export function samplerName(s: SamplerSpec): string {
  return s.kind === 'temperature' ? `temperature=${s.t}` : s.kind;
}

/** The step plan of a phase: `examples[d]` examples of each dataset in batches of `batch`. */
export function planSteps(examples: Readonly<Record<string, number>>, batch: number, sampler: SamplerSpec, seed: number): StepPlan[] {
  const rng = new Rng(seed);
  const names = Object.keys(examples);
  const steps = Object.fromEntries(names.map((n) => [n, Math.round(examples[n]! / batch)]));
  for (const n of names) if (steps[n]! * batch !== examples[n]) throw new Error(`budget for ${n} (${examples[n]}) is not a whole number of batches of ${batch}`);
  if (sampler.kind === 'mixed-batch') return mixedBatches(examples, batch);
  if (sampler.kind === 'weighted-without-replacement') {
    const order = names.flatMap((n) => Array.from({ length: steps[n]! }, () => n));
    return rng.shuffle(order).map((n) => [[n, batch]] as const);
  }
  const total = names.reduce((s, n) => s + steps[n]!, 0);
  const weight = (n: string) => {
    const share = steps[n]! / total;
    return sampler.kind === 'uniform' ? 1 : sampler.kind === 'temperature' ? share ** (1 / sampler.t) : share;
  };
  const left = { ...steps };
  const plan: StepPlan[] = [];
  for (let s = 0; s < total; s++) {
    const live = names.filter((n) => left[n]! > 0);
    const n = live[rng.categorical(live.map(weight))]!;
    left[n]!--;
    plan.push([[n, batch]]);
  }
  return plan;
}

function mixedBatches(examples: Readonly<Record<string, number>>, batch: number): StepPlan[] {
  const names = Object.keys(examples);
  const total = names.reduce((s, n) => s + examples[n]!, 0);
  const nSteps = Math.round(total / batch);
  const used = Object.fromEntries(names.map((n) => [n, 0]));
  const plan: StepPlan[] = [];
  for (let s = 0; s < nSteps; s++) {
    // cumulative target after this step, by largest remainder: exact totals at the end
    const target = names.map((n) => ((s + 1) * batch * examples[n]!) / total);
    const floors = target.map(Math.floor);
    let rem = (s + 1) * batch - floors.reduce((a, b) => a + b, 0);
    const order = names.map((_, i) => i).sort((a, b) => target[b]! - floors[b]! - (target[a]! - floors[a]!) || a - b);
    for (const i of order) if (rem-- > 0) floors[i]!++;
    const parts: [string, number][] = [];
    names.forEach((n, i) => {
      const k = floors[i]! - used[n]!;
      if (k > 0) parts.push([n, k]);
      used[n] = floors[i]!;
    });
    plan.push(parts);
  }
  return plan;
}
