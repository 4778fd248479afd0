/**
 * A run's whole training schedule, decided before any training: per phase, every step's
 * examples (dataset → example ids, from the seeded streams of ledger.ts) and LR (warm-up +
 * cosine). The built-in trainer executes exactly this plan (runner.ts), and the plan's ledger
 * is the run's ledger — so a plan handed to another trainer carries the same budget proof.
 * Plain JSON-ready data.
 */
import type { Dataset } from '../data/datasets.js';
import { seedFor } from '../data/synth/seed.js';
import { LedgerRecorder, type Ledger } from './ledger.js';
import type { Phase, Protocol, ProtocolContext } from './protocol.js';
import { planSteps, samplerName } from './sampler.js';
import { warmupCosine } from './schedule.js';

export const PLAN_FORMAT = 'cft-bench-plan/1';

export interface PlannedStep {
  readonly lr: number;
  /** Dataset → the example ids (train split) of this step, in batch order. */
  readonly parts: readonly (readonly [string, readonly number[]])[];
}

export interface PlannedPhase {
  readonly name: string;
  readonly sampler: string;
  /** Peak LR of the phase's schedule. */
  readonly lr: number;
  readonly freshOptimizers: boolean;
  readonly headsOnly: boolean;
  readonly steps: readonly PlannedStep[];
}

export interface TrainingPlan {
  readonly format: typeof PLAN_FORMAT;
  readonly protocol: string;
  readonly seed: number;
  readonly downstream: string;
  readonly batch: number;
  readonly phases: readonly PlannedPhase[];
  /** Per phase and dataset: examples, steps and the sha256 of the ids in order (ledger.ts rule). */
  readonly ledger: Ledger;
}

export const planSeed = (seed: number, protocol: Protocol, phase: Phase) => seedFor(seed, 'plan', protocol.name, phase.name);

export function trainingPlan(protocol: Protocol, ctx: ProtocolContext, datasets: Readonly<Record<string, Dataset>>, seed: number): TrainingPlan {
  const ledger = new LedgerRecorder(seed);
  const phases = protocol.phases(ctx).map((phase): PlannedPhase => {
    const plan = planSteps(phase.examples, ctx.batch, phase.sampler, planSeed(seed, protocol, phase));
    ledger.beginPhase(phase.name, samplerName(phase.sampler));
    const steps = plan.map((parts, step): PlannedStep => {
      const taken = parts.map(([d, n]) => [d, ledger.stream(d, datasets[d]?.sizes.train ?? 0).next(n)] as const);
      ledger.record(taken);
      return { lr: warmupCosine(phase.lr, step, plan.length), parts: taken };
    });
    return { name: phase.name, sampler: samplerName(phase.sampler), lr: phase.lr, freshOptimizers: phase.freshOptimizers, headsOnly: phase.headsOnly === true, steps };
  });
  return { format: PLAN_FORMAT, protocol: protocol.name, seed, downstream: ctx.downstream, batch: ctx.batch, phases, ledger: ledger.finish() };
}

/** A step's kind: the datasets of its batch, in plan order ("synth-ava", "synth-ava+synth-kinetics"). */
export const stepKind = (step: PlannedStep): string => step.parts.map(([d]) => d).join('+');

/** Steps at the start of each phase whose losses make `firstLoss` (the sanity guard reads them). */
export const FIRST_LOSS_STEPS = 10;

/** Points per step kind of a phase's loss curve (`curve`): enough to see its shape, small enough for every run's result. */
export const LOSS_CURVE_POINTS = 100;

/** A loss curve: [last step of a bin (1-based, within the phase), mean loss of the bin's steps]. */
export type LossCurve = readonly (readonly [number, number])[];

/**
 * A phase's loss statistics from its per-step losses, as every trainer's are recorded: the mean
 * of the last 50 (`final`), and per step kind (the datasets of a step, e.g. "synth-ava") the
 * mean of its first FIRST_LOSS_STEPS (`first`) and its curve (`curve`: consecutive steps of
 * that kind binned into at most LOSS_CURVE_POINTS means). Losses past the last given one
 * (a run that diverged) and non-finite ones are left out of the curve.
 */
export function phaseLosses(kinds: readonly string[], losses: readonly number[]): { final: number; first: Record<string, number>; curve: Record<string, LossCurve> } {
  const last = losses.slice(-50);
  const first = new Map<string, number[]>();
  const byKind = new Map<string, number[]>(); // step indices of each kind
  kinds.forEach((key, i) => {
    const f = first.get(key) ?? [];
    if (f.length < FIRST_LOSS_STEPS && i < losses.length) first.set(key, [...f, losses[i]!]);
    let k = byKind.get(key);
    if (k === undefined) byKind.set(key, (k = []));
    k.push(i);
  });
  const curve: Record<string, LossCurve> = {};
  for (const [key, idx] of byKind) {
    const per = Math.ceil(idx.length / LOSS_CURVE_POINTS);
    const points: [number, number][] = [];
    for (let b = 0; b < idx.length; b += per) {
      const bin = idx.slice(b, b + per).filter((i) => i < losses.length && Number.isFinite(losses[i]!));
      if (bin.length > 0) points.push([bin[bin.length - 1]! + 1, bin.reduce((a, i) => a + losses[i]!, 0) / bin.length]);
    }
    curve[key] = points;
  }
  return {
    final: last.reduce((a, b) => a + b, 0) / Math.max(1, last.length),
    first: Object.fromEntries([...first].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length])),
    curve,
  };
}
