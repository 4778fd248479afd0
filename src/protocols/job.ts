/**
 * One training job — a protocol at one seed and learning rate — and its evaluation: the unit
 * `compare` schedules, caches and resumes, and what `train` runs once. Plain data in (JobSpec),
 * files and plain data out (JobResult in <dir>/result.json).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { embeddedDataset } from '../data/benchmarks.js';
import { openDatasetDir } from '../data/dataset-files.js';
import { splitScore } from './split-score.js';
import type { ClassificationDataset, Dataset, LocalisationDataset, Split } from '../data/datasets.js';
import { evaluatePredictions } from '../metrics/evaluate-predictions.js';
import { loadBackend } from '../trainers/backend.js';
import { runExternalJob, type ExternalTrainerOptions } from '../trainers/external-trainer.js';
import type { JobResult, JobSpec, SplitScore } from './job-record.js';
import { trainingPlan } from './training-plan.js';
import { resolveProtocol, type Protocol, type ProtocolContext } from './protocol.js';
import { ExampleCache, runProtocol, sharedPrefix, type StepInfo } from './runner.js';
import { parseSampler } from './sampler.js';
import { canonicalJson, publishDir, quarantine, readSealedDir, sealDir, stageDir, type DirState } from './sealed-dir.js';

export type { JobResult, JobSpec, SplitScore } from './job-record.js';

/** The cache key of a job: its full spec (incl. code version), canonical JSON, sha256. */
export function jobHash(spec: JobSpec): string {
  // the trainer's command and the files it names are part of the key; how long we wait for it is not;
  // a dataset's content is, where it lies is not
  const withData = spec.datasets === undefined ? spec : { ...spec, datasets: Object.fromEntries(Object.entries(spec.datasets).map(([n, d]) => [n, { sha256: d.sha256 }])) };
  const keyed = withData.trainer === undefined ? withData : { ...withData, trainer: { command: withData.trainer.command, files: withData.trainer.files } };
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex').slice(0, 20);
}

export function protocolSourceHash(protocol: string): string | null {
  return existsSync(protocol) ? createHash('sha256').update(readFileSync(protocol)).digest('hex') : null;
}

export function loadDatasets(spec: Pick<JobSpec, 'downstream' | 'upstream' | 'benchmarkSeed' | 'datasets'>): Record<string, Dataset> {
  const out: Record<string, Dataset> = {};
  for (const name of [spec.downstream, ...spec.upstream]) {
    const ref = spec.datasets?.[name];
    // a declared folder answers to the manifest's name for it
    out[name] = ref !== undefined ? { ...openDatasetDir(ref.dir), name } : embeddedDataset(name, spec.benchmarkSeed);
  }
  return out;
}

export function jobContext(spec: JobSpec, protocol: Protocol): ProtocolContext {
  const upstream = protocol.upstream === 'none' ? [] : protocol.upstream === 'one' ? spec.upstream.slice(0, 1) : [...spec.upstream];
  return { downstream: spec.downstream, upstream, budget: spec.budget, ...(spec.upstreamBudgets !== undefined ? { upstreamBudgets: spec.upstreamBudgets } : {}), batch: spec.batch, lr: spec.lr, pretrainLr: spec.pretrainLr, sampler: parseSampler(spec.sampler) };
}

/**
 * The key of a job's shareable pretraining (runner.ts sharedPrefix), or null if it has none:
 * jobs with equal keys — every LR of a grid, and protocols whose pretraining is the same —
 * train it once. Everything the prefix's weights depend on is in it.
 */
export async function pretrainKey(spec: JobSpec): Promise<string | null> {
  const protocol = await resolveProtocol(spec.protocol);
  const prefix = sharedPrefix(protocol, jobContext(spec, protocol), spec.seed);
  if (prefix === null) return null;
  const { seed, batch, downstream, benchmarkSeed, backend, codeVersion } = spec;
  // an external trainer's checkpoint is its own format: keyed by what defines the trainer too
  const trainer = spec.trainer === undefined ? null : { command: spec.trainer.command, files: spec.trainer.files };
  return createHash('sha256').update(canonicalJson({ prefix, seed, batch, downstream, benchmarkSeed, backend, codeVersion, ...(trainer !== null ? { trainer } : {}) })).digest('hex').slice(0, 20);
}

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

/**
 * Trains and evaluates one job into `final` (model/, <split>/ eval files, result.json): staged
 * in a private directory, sealed and renamed into place (sealed-dir.ts) — whole or absent. In a
 * cache (`policy` keep) a run another process published first is kept; an output folder
 * (`replace`) is swapped. With `checkpointRoot`, its shareable pretraining is loaded from (or
 * saved to) <root>/<pretrainKey>.
 */
export async function runJob(spec: JobSpec, final: string, datasets: Record<string, Dataset>, cache: ExampleCache, onStep?: (s: StepInfo) => void, checkpointRoot?: string, dataCache = join(dirname(resolve(final)), '.cache', 'data'), policy: 'keep' | 'replace' = 'keep'): Promise<JobResult> {
  const dir = stageDir(resolve(final));
  try {
    const result = await trainInto(spec, dir, resolve(final), datasets, cache, onStep, checkpointRoot, dataCache);
    sealDir(dir, 'result.json', storedResult(result, dir));
    publishDir(dir, resolve(final), policy);
    rmSync(checkpointOf(final), { recursive: true, force: true }); // an external trainer's resume point, no longer needed
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const read = readJobResult(final, false);
  if (read.kind !== 'ok') throw new Error(`${final}: the run just written does not read back (${read.kind === 'damaged' ? read.why : 'missing'})`);
  return read.record;
}

/** Where an external trainer keeps its checkpoints for the run published at `final`: the same on every retry. */
const checkpointOf = (final: string) => `${resolve(final)}.checkpoint`;

/** A result as stored: paths relative to its directory (a cache can move, or be mounted elsewhere). */
function storedResult(r: JobResult, dir: string): Omit<JobResult, 'dir'> {
  const { dir: _, ...rest } = r;
  const rel = (p: string) => relative(dir, p).split(sep).join('/');
  const scores = Object.fromEntries(Object.entries(r.scores).map(([k, s]) => [k, { ...s, files: { gt: rel(s.files.gt), pred: rel(s.files.pred), labelMap: rel(s.files.labelMap) } }]));
  return { ...rest, scores };
}

async function trainInto(spec: JobSpec, dir: string, final: string, datasets: Record<string, Dataset>, cache: ExampleCache, onStep?: (s: StepInfo) => void, checkpointRoot?: string, dataCache?: string): Promise<JobResult> {
  if (spec.trainer !== undefined) {
    const protocol = await resolveProtocol(spec.protocol);
    const plan = trainingPlan(protocol, jobContext(spec, protocol), datasets, spec.seed);
    const offsets = plan.phases.map((_, i) => plan.phases.slice(0, i).reduce((s, p) => s + p.steps.length, 0));
    const total = plan.phases.reduce((s, p) => s + p.steps.length, 0);
    const onProgress = (p: { phase: string; step: number; steps: number; loss: number }) => {
      const at = plan.phases.findIndex((ph) => ph.name === p.phase);
      if (at >= 0) onStep?.({ phase: p.phase, step: p.step, steps: p.steps, loss: p.loss, done: Math.min(total, offsets[at]! + p.step), total });
    };
    const label = `[${spec.protocol} s${spec.seed} lr${spec.lr}]`;
    const { key, ...pretraining } = await externalPretraining(spec, checkpointRoot);
    return runExternalJob(spec, plan, jobHash(spec), dir, datasets, { ...spec.trainer, dataCache: dataCache!, publishedAs: final, checkpointDir: checkpointOf(final), label, onProgress, ...pretraining, pretrainKey: key });
  }
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
    const n = Math.min(1000, d.sizes.val ?? 0);
    if (run.diverged === null && run.trainer.params[`up:${u}`] !== undefined && n > 0) upstreamAccuracy[u] = run.trainer.accuracy(Array.from({ length: n }, (_, i) => d.example('val', i)), u);
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
}

/**
 * A finished job's result from its directory, verified (sealed-dir.ts): missing, damaged (with
 * why), or ok — its paths resolved against where the directory is now. A result whose spec is
 * not the one its cache directory is named for (copied from another run) is damage too.
 */
export function readJobResult(dir: string, inCache = true): DirState<JobResult> {
  const state = readSealedDir<Omit<JobResult, 'dir'>>(dir, 'result.json');
  if (state.kind !== 'ok') return state;
  const r = state.record;
  if (typeof r.spec !== 'object' || r.spec === null || jobHash(r.spec) !== r.hash) return { kind: 'damaged', why: 'its spec does not give its hash' };
  if (inCache && basename(dir) !== r.hash) return { kind: 'damaged', why: `it is the result of run ${r.hash}, not of ${basename(dir)} (copied from another run?)` };
  const abs = resolve(dir);
  const scores = Object.fromEntries(Object.entries(r.scores).map(([k, s]) => [k, { ...s, files: { gt: join(abs, s.files.gt), pred: join(abs, s.files.pred), labelMap: join(abs, s.files.labelMap) } }]));
  return { kind: 'ok', record: { ...r, scores, dir: abs } };
}
