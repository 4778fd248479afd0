/**
 * Where training happens: a job's plan goes to an executor — the built-in tfjs trainer or a
 * trainer process under the contract — and a JobResult comes back, its predictions scored by
 * split-score.ts either way. `executorFor` is the one place that chooses.
 */
import { join, resolve } from 'node:path';
import type { ClassificationDataset, Dataset, LocalisationDataset, Split } from '../data/datasets.js';
import { evaluatePredictions } from '../metrics/evaluate-predictions.js';
import { top1Accuracy } from '../metrics/top1-accuracy.js';
import { loadBackend } from '../trainers/backend.js';
import { runExternalJob, type ExternalTrainerOptions } from '../trainers/external-trainer.js';
import { jobContext, jobHash, pretrainKey } from './job-identity.js';
import type { JobResult, JobSpec, SplitScore } from './job-record.js';
import { resolveProtocol } from './protocol.js';
import { runProtocol, sharedPrefix, type ExampleCache, type StepInfo } from './runner.js';
import { quarantine, readSealedDir } from './sealed-dir.js';
import { splitScore } from './split-score.js';
import { writePlanDir } from './plan-files.js';

/** What an executor is given: the job, its private staging folder, where it will be published, its data. */
export interface ExecuteArgs {
  readonly spec: JobSpec;
  readonly dir: string;
  readonly final: string;
  readonly datasets: Record<string, Dataset>;
  readonly cache: ExampleCache;
  readonly onStep?: (s: StepInfo) => void;
  readonly checkpointRoot?: string;
  readonly dataCache?: string;
}

export type Executor = (args: ExecuteArgs) => Promise<JobResult>;

/** The executor of a job: a trainer process when its spec names one, else the built-in trainer. */
export const executorFor = (spec: JobSpec): Executor => (spec.trainer !== undefined ? trainerProcess : builtIn);

/** Where an external trainer keeps its checkpoints for the run published at `final`: the same on every retry. */
export const checkpointOf = (final: string) => `${resolve(final)}.checkpoint`;

/**
 * An external run's share in its shared pretraining (the built-in trainer's runner.ts does the
 * same in-process): start from the verified checkpoint of its key (`init`), or — the first run
 * of the key — train through and leave the pretraining's weights in a staged folder (`save`),
 * which is sealed and published once the run succeeded.
 */
async function externalPretraining(spec: JobSpec, checkpointRoot: string | undefined): Promise<Pick<ExternalTrainerOptions, 'init' | 'save'> & { key: string | null }> {
  const key = checkpointRoot === undefined ? null : await pretrainKey(spec);
  if (key === null) return { key };
  const protocol = await resolveProtocol(spec.protocol);
  const phases = sharedPrefix(protocol, jobContext(spec, protocol), spec.seed)!.phases.length;
  const dir = join(checkpointRoot!, key);
  const state = readSealedDir<{ phases: number }>(dir, 'state.json');
  if (state.kind === 'damaged') quarantine(dir, state.why);
  if (state.kind === 'ok' && state.record.phases === phases) return { key, init: { dir, phases } };
  return { key, save: { dir, phases } };
}

/** A trainer process under the contract (external-trainer.ts): it gets the plan, cft-bench checks its ledger and scores its predictions. */
const trainerProcess: Executor = async ({ spec, dir, final, datasets, onStep, checkpointRoot, dataCache }) => {
  const protocol = await resolveProtocol(spec.protocol);
  // the plan as a folder, written streaming: memory and disk stay small at any budget (plan-files.ts)
  const planDir = join(dir, 'plan');
  const trainSizes = Object.fromEntries(Object.entries(datasets).map(([n, d]) => [n, d.sizes.train ?? 0]));
  const header = writePlanDir(protocol, jobContext(spec, protocol), trainSizes, spec.seed, planDir);
  const offsets = header.phases.map((_, i) => header.phases.slice(0, i).reduce((s, p) => s + p.steps, 0));
  const total = header.phases.reduce((s, p) => s + p.steps, 0);
  const onProgress = (p: { phase: string; step: number; steps: number; loss: number }) => {
    const at = header.phases.findIndex((ph) => ph.name === p.phase);
    if (at >= 0) onStep?.({ phase: p.phase, step: p.step, steps: p.steps, loss: p.loss, done: Math.min(total, offsets[at]! + p.step), total });
  };
  const label = `[${spec.protocol} s${spec.seed} lr${spec.lr}]`;
  const { key, ...pretraining } = await externalPretraining(spec, checkpointRoot);
  return runExternalJob(spec, { dir: planDir, header }, jobHash(spec), dir, datasets, { ...spec.trainer!, dataCache: dataCache!, publishedAs: final, checkpointDir: checkpointOf(final), label, onProgress, ...pretraining, pretrainKey: key });
};

/** The built-in tfjs trainer, in this process (runner.ts executes the plan), its shared pretraining loaded or saved in-process. */
const builtIn: Executor = async ({ spec, dir, datasets, cache, onStep, checkpointRoot }) => {
  const backend = await loadBackend(spec.backend);
  const protocol = await resolveProtocol(spec.protocol);
  const ctx = jobContext(spec, protocol);
  const upstream = ctx.upstream;
  const key = checkpointRoot === undefined ? null : await pretrainKey(spec);
  const checkpoint = key === null ? undefined : join(checkpointRoot!, key);
  const run = runProtocol({ protocol, ctx, datasets, seed: spec.seed, backend, onStep, checkpoint }, cache);
  if (run.diverged === null) run.trainer.save(join(dir, 'model'));
  const down = datasets[spec.downstream] as LocalisationDataset;
  const scores: Partial<Record<Split, SplitScore>> = {};
  for (const split of run.diverged === null ? spec.evalSplits : []) {
    const examples = Array.from({ length: down.sizes[split] ?? 0 }, (_, i) => down.example(split, i));
    scores[split] = splitScore(split, await evaluatePredictions(down, split, run.trainer.predict(examples), join(dir, split)), `${spec.protocol} seed ${spec.seed} lr ${spec.lr}:`);
  }
  const upstreamAccuracy: Record<string, number> = {};
  for (const u of upstream) {
    const d = datasets[u] as ClassificationDataset;
    const n = d.sizes.val ?? 0;
    if (run.diverged === null && run.trainer.params[`up:${u}`] !== undefined && n > 0) {
      const predicted = run.trainer.classify(Array.from({ length: n }, (_, i) => d.example('val', i)), u);
      upstreamAccuracy[u] = top1Accuracy(predicted, (i) => d.label('val', i));
    }
  }
  run.trainer.dispose();
  const result: JobResult = {
    hash: jobHash(spec),
    spec,
    protocol: protocol.name,
    backend: backend.name,
    steps: run.steps,
    seconds: run.seconds,
    finalLoss: run.finalLoss,
    firstLoss: run.firstLoss,
    lossCurve: run.lossCurve,
    pretrainCheckpoint: key,
    ledger: run.ledger,
    scores,
    upstreamAccuracy,
    diverged: run.diverged,
    dir,
  };
  return result;
};
