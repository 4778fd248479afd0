/**
 * Runs a protocol: its phases, in order, drive one Trainer step by step. Examples come from
 * each dataset's seeded stream (ledger.ts) and are generated once and cached, so each run's
 * ledger records exactly what it consumed.
 */
import type { ClassificationExample, Dataset, LocalisationExample } from '../data/datasets.js';
import { seedFor } from '../data/synth/seed.js';
import type { LoadedBackend } from '../trainers/backend.js';
import { Trainer } from '../trainers/trainer.js';
import { LedgerRecorder, type Ledger } from './ledger.js';
import type { Protocol, ProtocolContext } from './protocol.js';
import { planSteps, samplerName } from './sampler.js';
import { warmupCosine } from './schedule.js';

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
}

export interface RunResult {
  readonly trainer: Trainer;
  readonly ledger: Ledger;
  readonly steps: number;
  readonly seconds: number;
  /** Mean loss over the last 50 steps of each phase. */
  readonly finalLoss: Record<string, number>;
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
  const upstreamUsed = [...new Set(phases.flatMap((p) => Object.keys(p.examples)).filter((d) => d !== ctx.downstream))];
  const upstream: Record<string, readonly string[]> = {};
  for (const name of upstreamUsed) {
    const d = spec.datasets[name];
    if (d === undefined || d.kind !== 'classification') throw new Error(`upstream dataset '${name}' must be a loaded classification dataset`);
    upstream[name] = d.classes;
  }
  const trainer = new Trainer(spec.backend, { shape: down.shape, localisationClasses: down.classes, upstream, seed: seedFor(spec.seed, 'init') >>> 1 });
  const ledger = new LedgerRecorder(spec.seed);
  const plans = phases.map((p) => planSteps(p.examples, ctx.batch, p.sampler, seedFor(spec.seed, 'plan', protocol.name, p.name)));
  const total = plans.reduce((s, p) => s + p.length, 0);
  const finalLoss: Record<string, number> = {};
  let done = 0;
  phases.forEach((phase, pi) => {
    const plan = plans[pi]!;
    ledger.beginPhase(phase.name, samplerName(phase.sampler));
    if (phase.freshOptimizers) for (const g of Object.keys(trainer.params)) trainer.resetOptimizer(g);
    const recent: number[] = [];
    plan.forEach((parts, step) => {
      const taken = parts.map(([d, n]) => [d, ledger.stream(d, spec.datasets[d]!.sizes.train ?? 0).next(n)] as const);
      ledger.record(taken);
      const loss = trainer.step(
        taken.map(([d, ids]) => ({ dataset: d === ctx.downstream ? 'loc' : d, examples: ids.map((i) => cache.get(d, i)) })),
        warmupCosine(phase.lr, step, plan.length),
      );
      recent.push(loss);
      if (recent.length > 50) recent.shift();
      done++;
      spec.onStep?.({ phase: phase.name, step: step + 1, steps: plan.length, loss, done, total });
    });
    finalLoss[phase.name] = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
  });
  return { trainer, ledger: ledger.finish(), steps: total, seconds: (performance.now() - t0) / 1e3, finalLoss };
}
