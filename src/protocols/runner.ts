/**
 * Runs a protocol: its phases, in order, drive one Trainer step by step. Examples come from
 * each dataset's seeded stream (ledger.ts) and are generated once and cached, so each run's
 * ledger records exactly what it consumed.
 *
 * Shared pretraining: leading phases that depend neither on the LR under selection nor on the
 * downstream set, followed by a phase that resets the optimizers, give the same weights for
 * every LR of the grid (and for every protocol with the same pretraining). `sharedPrefix`
 * finds them; with a `checkpoint` directory the run saves them there once, and later runs load
 * the weights and replay the ledger instead of training them again — byte-identical results.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { publishDir, quarantine, readSealedDir, sealDir, stageDir } from './sealed-dir.js';
import type { ClassificationExample, Dataset, LocalisationExample } from '../data/datasets.js';
import { seedFor } from '../data/synth/seed.js';
import type { LoadedBackend } from '../trainers/backend.js';
import { Trainer } from '../trainers/trainer.js';
import type { Ledger } from './ledger.js';
import { phaseLosses, planSeed, stepKind, trainingPlan, type LossCurve } from './training-plan.js';
import type { Phase, Protocol, ProtocolContext } from './protocol.js';
import { planSteps, type StepPlan } from './sampler.js';

export interface StepInfo {
  readonly phase: string;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly done: number;
  readonly total: number;
}

export interface RunSpec {
  readonly protocol: Protocol;
  readonly ctx: ProtocolContext;
  readonly datasets: Readonly<Record<string, Dataset>>;
  /** Training seed: initialisation and sampling. */
  readonly seed: number;
  readonly backend: LoadedBackend;
  readonly onStep?: (info: StepInfo) => void;
  /** Where the shared pretraining prefix is saved / loaded (see sharedPrefix); none: no sharing. */
  readonly checkpoint?: string;
}


export interface RunResult {
  readonly trainer: Trainer;
  readonly ledger: Ledger;
  readonly steps: number;
  readonly seconds: number;
  /** Mean loss over the last 50 steps of each phase. */
  readonly finalLoss: Record<string, number>;
  /** Phase → dataset → mean loss of its first FIRST_LOSS_STEPS steps on that dataset. */
  readonly firstLoss: Record<string, Record<string, number>>;
  /** Phase → step kind → loss curve (training-plan.ts phaseLosses); a diverged run's ends where it diverged. */
  readonly lossCurve: Record<string, Record<string, LossCurve>>;
  /** Leading phases loaded from the shared checkpoint (0: all trained here). */
  readonly loadedPhases: number;
  /** Where the loss stopped being a finite number (training stopped there), or null. */
  readonly diverged: Divergence | null;
}

/** A run whose loss became NaN or infinite: a result (that LR is not usable), not a crash. */
export interface Divergence {
  readonly phase: string;
  readonly step: number;
  readonly loss: string;
}

/** The part of a run that can be shared: its leading phases, their step plans, the model's heads. */
export interface SharedPrefix {
  readonly phases: readonly Phase[];
  readonly plans: readonly StepPlan[][];
  readonly upstream: readonly string[];
}


/**
 * The shareable leading phases of a run (null if none): the longest run of phases that are the
 * same whatever the LR under selection and do not touch the downstream set, cut back so that
 * the phase after it starts with fresh optimizers (the checkpoint holds no optimizer state).
 */
export function sharedPrefix(protocol: Protocol, ctx: ProtocolContext, seed: number): SharedPrefix | null {
  const a = protocol.phases(ctx);
  const b = protocol.phases({ ...ctx, lr: ctx.lr * 1.7 + 1e-4 });
  let m = 0;
  while (m < a.length - 1 && JSON.stringify(a[m]) === JSON.stringify(b[m]) && a[m]!.examples[ctx.downstream] === undefined) m++;
  while (m > 0 && !a[m]!.freshOptimizers) m--;
  if (m === 0) return null;
  const phases = a.slice(0, m);
  return {
    phases,
    plans: phases.map((p) => planSteps(p.examples, ctx.batch, p.sampler, planSeed(seed, protocol, p))),
    upstream: upstreamOf(a, ctx.downstream),
  };
}

function upstreamOf(phases: readonly Phase[], downstream: string): string[] {
  return [...new Set(phases.flatMap((p) => Object.keys(p.examples)).filter((d) => d !== downstream))];
}

interface CheckpointState {
  readonly phases: number;
  readonly finalLoss: Record<string, number>;
  readonly firstLoss: Record<string, Record<string, number>>;
  readonly lossCurve: Record<string, Record<string, LossCurve>>;
}

/** Train-split examples, generated once per index. */
export class ExampleCache {
  private readonly cache = new Map<string, Map<number, LocalisationExample | ClassificationExample>>();
  constructor(private readonly datasets: Readonly<Record<string, Dataset>>) {}
  get(dataset: string, index: number): LocalisationExample | ClassificationExample {
    let m = this.cache.get(dataset);
    if (m === undefined) this.cache.set(dataset, (m = new Map()));
    let e = m.get(index);
    if (e === undefined) {
      const d = this.datasets[dataset];
      if (d === undefined) throw new Error(`protocol uses dataset '${dataset}', which is not loaded (loaded: ${Object.keys(this.datasets).join(', ')})`);
      e = d.example('train', index);
      m.set(index, e);
    }
    return e;
  }
}

export function runProtocol(spec: RunSpec, cache = new ExampleCache(spec.datasets)): RunResult {
  const t0 = performance.now();
  const { protocol, ctx } = spec;
  const phases = protocol.phases(ctx);
  const down = spec.datasets[ctx.downstream];
  if (down === undefined || down.kind !== 'localisation') throw new Error(`downstream dataset '${ctx.downstream}' must be a localisation dataset`);
  const upstreamUsed = upstreamOf(phases, ctx.downstream);
  const upstream: Record<string, readonly string[]> = {};
  for (const name of upstreamUsed) {
    const d = spec.datasets[name];
    if (d === undefined || d.kind !== 'classification') throw new Error(`upstream dataset '${name}' must be a loaded classification dataset`);
    upstream[name] = d.classes;
  }
  const trainer = new Trainer(spec.backend, { shape: down.shape, localisationClasses: down.classes, upstream, seed: seedFor(spec.seed, 'init') >>> 1 });
  // the whole schedule first (training-plan.ts): this loop only executes it
  const plan = trainingPlan(protocol, ctx, spec.datasets, spec.seed);
  const total = plan.phases.reduce((s, p) => s + p.steps.length, 0);
  let finalLoss: Record<string, number> = {};
  let firstLoss: Record<string, Record<string, number>> = {};
  let lossCurve: Record<string, Record<string, LossCurve>> = {};
  const prefix = spec.checkpoint === undefined ? 0 : (sharedPrefix(protocol, ctx, spec.seed)?.phases.length ?? 0);
  const statePath = spec.checkpoint === undefined ? '' : join(spec.checkpoint, 'state.json');
  let loaded = 0;
  if (prefix > 0) {
    // a checkpoint is trusted only when it verifies (sealed-dir.ts); a damaged one is set aside and retrained
    const state = readSealedDir<CheckpointState>(spec.checkpoint!, 'state.json');
    if (state.kind === 'damaged') quarantine(spec.checkpoint!, state.why);
    if (state.kind === 'ok') {
      try {
        trainer.assignWeights(Trainer.readWeights(join(spec.checkpoint!, 'model')).values);
      } catch (err) {
        throw new Error(`${statePath}: the pretraining checkpoint does not load (${(err as Error).message}); delete it to retrain`);
      }
      ({ finalLoss, firstLoss, lossCurve } = state.record);
      loaded = state.record.phases;
    }
  }
  let done = 0;
  let diverged: Divergence | null = null;
  for (const [pi, phase] of plan.phases.entries()) {
    const steps = phase.steps;
    if (pi < loaded) {
      // loaded from the checkpoint: its steps are in the plan (and its ledger), nothing to train
      done += steps.length;
      spec.onStep?.({ phase: phase.name, step: steps.length, steps: steps.length, loss: finalLoss[phase.name] ?? NaN, done, total });
      continue;
    }
    if (phase.freshOptimizers) for (const g of Object.keys(trainer.params)) trainer.resetOptimizer(g);
    const losses: number[] = [];
    for (const [step, { lr, parts }] of steps.entries()) {
      const loss = trainer.step(
        parts.map(([d, ids]) => ({ dataset: d === ctx.downstream ? 'loc' : d, examples: ids.map((i) => cache.get(d, i)) })),
        lr,
        phase.headsOnly,
      );
      losses.push(loss);
      done++;
      spec.onStep?.({ phase: phase.name, step: step + 1, steps: steps.length, loss, done, total });
      // NaN weights give NaN scores: nothing after this step would be a number worth reporting
      if (!Number.isFinite(loss)) {
        diverged = { phase: phase.name, step: step + 1, loss: String(loss) };
        break;
      }
    }
    const summary = phaseLosses(steps.map(stepKind), losses);
    lossCurve[phase.name] = summary.curve;
    if (diverged !== null) break;
    finalLoss[phase.name] = summary.final;
    firstLoss[phase.name] = summary.first;
    if (pi === prefix - 1 && loaded === 0) saveCheckpoint(spec.checkpoint!, trainer, { phases: prefix, finalLoss, firstLoss, lossCurve });
  }
  return { trainer, ledger: plan.ledger, steps: total, seconds: (performance.now() - t0) / 1e3, finalLoss, firstLoss, lossCurve, loadedPhases: loaded, diverged };
}

/** Saves the shared prefix: model + sealed state, staged and renamed into place (first writer wins). */
function saveCheckpoint(dir: string, trainer: Trainer, state: CheckpointState): void {
  const tmp = stageDir(dir);
  try {
    trainer.save(join(tmp, 'model'));
    sealDir(tmp, 'state.json', state);
    publishDir(tmp, dir, 'keep');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
