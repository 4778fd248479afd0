/**
 * The external-trainer contract (`cft-bench-trainer/1`, docs/external-trainer.md): cft-bench
 * plans every step (training-plan.ts), exports the data (`data export` layout) and runs a
 * trainer *process* of any framework on that plan; the trainer reports per-step losses, a
 * digest of the example ids it consumed per phase and dataset, upstream accuracies and AVA
 * prediction CSVs. cft-bench checks the digests against its own ledger and scores the
 * predictions with its own evaluator — a trainer never reports its own mAP.
 *
 * Refused (TrainerError; the CLI exits 1 and writes no result): a non-zero exit, a run past the
 * timeout, a missing or malformed report, consumed ids that differ from the plan, malformed
 * predictions (the evaluator's `path:line` message).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Dataset, LocalisationDataset, Split } from '../data/datasets.js';
import { exportDataset } from '../data/dataset-files.js';
import { cleanStale, tempTag } from '../reports/atomic-write.js';
import { InputError } from '../data/input-error.js';
import { evaluatePredictionFile } from '../metrics/evaluate-predictions.js';
import type { JobResult, JobSpec, SplitScore } from '../protocols/job.js';
import { phaseLosses, type TrainingPlan } from '../protocols/training-plan.js';
import { trainerCommand } from './torch-trainer.js';

export const TRAINER_CONTRACT = 'cft-bench-trainer/1';

export class TrainerError extends Error {}

/** What cft-bench hands the trainer (request.json, the trainer's only argument). */
export interface TrainerRequest {
  readonly format: typeof TRAINER_CONTRACT;
  /** The whole schedule (cft-bench-plan/1), absolute path. */
  readonly plan: string;
  /** Dataset name → its directory in the `data export` layout. */
  readonly data: Readonly<Record<string, string>>;
  readonly downstream: string;
  readonly seed: number;
  /** Splits of the downstream set to write predictions for. */
  readonly predict: readonly Split[];
  /** Where the trainer writes report.json and its prediction files. */
  readonly out: string;
}

/** What the trainer writes: <out>/report.json. */
export interface TrainerReport {
  readonly format: typeof TRAINER_CONTRACT;
  readonly trainer: { readonly name: string; readonly version: string; readonly device: string };
  /** Phase → the loss of each of its steps, in plan order. */
  readonly losses: Readonly<Record<string, readonly number[]>>;
  /** Phase → dataset → examples consumed and sha256 of "id," for each id in consumption order. */
  readonly consumed: Readonly<Record<string, Readonly<Record<string, { readonly examples: number; readonly idsSha256: string }>>>>;
  readonly upstreamAccuracy: Readonly<Record<string, number>>;
  /** Split → AVA-format predictions CSV (relative to out, or absolute). */
  readonly predictions: Readonly<Partial<Record<Split, string>>>;
}

export interface ExternalTrainerOptions {
  /** Shell command; request.json's path is appended as its last argument. */
  readonly command: string;
  readonly timeoutSeconds: number;
  /** Where exported datasets are kept between runs. */
  readonly dataCache: string;
  /** Where `dir` (a staging folder) will be published: the request.json kept there names paths as they will be. */
  readonly publishedAs?: string;
}

/** Exports `d` into <cache>/<name> once (temp dir + rename, so a concurrent run never sees half of it). */
function exportedDir(d: Dataset, cache: string, benchmarkSeed: number): string {
  const dir = join(resolve(cache), `${d.name}-seed${benchmarkSeed}`);
  if (existsSync(join(dir, 'dataset.json'))) return dir;
  mkdirSync(cache, { recursive: true });
  cleanStale(cache);
  const tmp = `${dir}.${tempTag()}.partial`;
  exportDataset(d, tmp);
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run exported it first
  }
  return dir;
}

/** Trainer process groups running now: killed whole when this process exits, however it exits. */
const running = new Set<number>();
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};
process.once('exit', () => running.forEach(killGroup));

function runProcess(command: string, request: string, timeoutSeconds: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // its own process group, so the whole tree it starts (torchrun and its ranks) can be killed at once
    const child = spawn('sh', ['-c', `${trainerCommand(command)} "$1"`, 'sh', request], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    if (child.pid !== undefined) running.add(child.pid);
    const timer =
      timeoutSeconds > 0
        ? setTimeout(() => {
            killGroup(child.pid!);
            reject(new TrainerError(`trainer \`${command}\` stalled: no result after ${timeoutSeconds} s (--trainer-timeout); killed`));
          }, timeoutSeconds * 1000)
        : undefined;
    child.on('error', (err) => (clearTimeout(timer), reject(new TrainerError(`trainer \`${command}\` could not start: ${err.message}`))));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      if (code === 0) resolvePromise();
      else reject(new TrainerError(`trainer \`${command}\` exited with ${code !== null ? `code ${code}` : `signal ${signal}`}`));
    });
  });
}

function readReport(path: string): TrainerReport {
  if (!existsSync(path)) throw new TrainerError(`${path}: the trainer exited 0 but wrote no report`);
  let r: TrainerReport;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as TrainerReport;
  } catch (err) {
    throw new TrainerError(`${path}: not JSON (${(err as Error).message})`);
  }
  if (r?.format !== TRAINER_CONTRACT) throw new TrainerError(`${path}: format ${JSON.stringify(r?.format)}, expected ${TRAINER_CONTRACT}`);
  for (const k of ['trainer', 'losses', 'consumed', 'upstreamAccuracy', 'predictions'] as const) if (typeof r[k] !== 'object' || r[k] === null) throw new TrainerError(`${path}: missing '${k}'`);
  return r;
}

/** Differences between the ids the trainer says it consumed and the plan's ledger (empty: none). */
export function consumptionMismatches(plan: TrainingPlan, consumed: TrainerReport['consumed']): string[] {
  const out: string[] = [];
  for (const phase of plan.ledger.phases) {
    for (const [d, want] of Object.entries(phase.datasets)) {
      const got = consumed[phase.name]?.[d];
      if (got === undefined) out.push(`phase ${phase.name}, ${d}: not reported`);
      else if (got.examples !== want.examples || got.idsSha256 !== want.idsSha256) out.push(`phase ${phase.name}, ${d}: ${got.examples} examples, ids sha256 ${String(got.idsSha256).slice(0, 16)}…; the plan has ${want.examples}, ${want.idsSha256.slice(0, 16)}…`);
    }
    for (const d of Object.keys(consumed[phase.name] ?? {})) if (phase.datasets[d] === undefined) out.push(`phase ${phase.name}, ${d}: consumed but not in the plan`);
  }
  return out;
}

/** The built-in trainer's loss statistics (training-plan.ts phaseLosses), from the reported losses. */
function lossSummary(plan: TrainingPlan, losses: TrainerReport['losses']): Pick<JobResult, 'finalLoss' | 'firstLoss'> {
  const finalLoss: Record<string, number> = {};
  const firstLoss: Record<string, Record<string, number>> = {};
  for (const phase of plan.phases) {
    const l = losses[phase.name];
    if (!Array.isArray(l) || l.length !== phase.steps.length || l.some((x) => typeof x !== 'number')) throw new TrainerError(`report: losses of phase ${phase.name} must be ${phase.steps.length} numbers (one per planned step), got ${Array.isArray(l) ? `${l.length}` : typeof l}`);
    const s = phaseLosses(phase.steps, l);
    finalLoss[phase.name] = s.final;
    firstLoss[phase.name] = s.first;
  }
  return { finalLoss, firstLoss };
}

export interface ExternalJobResult extends JobResult {
  readonly trainer: TrainerReport['trainer'] & { readonly command: string };
}

/** Runs `plan` with an external trainer into `dir` and scores its predictions: a JobResult like the built-in trainer's. */
export async function runExternalJob(spec: JobSpec, plan: TrainingPlan, hash: string, dir: string, datasets: Readonly<Record<string, Dataset>>, opts: ExternalTrainerOptions): Promise<ExternalJobResult> {
  const t0 = performance.now();
  const work = join(resolve(dir), 'trainer');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'out'), { recursive: true });
  const used = new Set(plan.phases.flatMap((p) => p.steps.flatMap((s) => s.parts.map(([d]) => d))));
  used.add(spec.downstream);
  const data = Object.fromEntries([...used].map((d) => [d, exportedDir(datasets[d]!, opts.dataCache, spec.benchmarkSeed)]));
  const planPath = join(work, 'plan.json');
  writeFileSync(planPath, JSON.stringify(plan) + '\n');
  const request: TrainerRequest = { format: TRAINER_CONTRACT, plan: planPath, data, downstream: spec.downstream, seed: spec.seed, predict: spec.evalSplits, out: join(work, 'out') };
  const requestPath = join(work, 'request.json');
  writeFileSync(requestPath, JSON.stringify(request, null, 2) + '\n');
  await runProcess(opts.command, requestPath, opts.timeoutSeconds);
  if (opts.publishedAs !== undefined) {
    const moved = (p: string) => join(resolve(opts.publishedAs!), relative(resolve(dir), p));
    writeFileSync(requestPath, JSON.stringify({ ...request, plan: moved(request.plan), out: moved(request.out) }, null, 2) + '\n');
  }
  const reportPath = join(work, 'out', 'report.json');
  const report = readReport(reportPath);
  const mismatch = consumptionMismatches(plan, report.consumed);
  if (mismatch.length > 0) throw new TrainerError(`${reportPath}: the trainer's consumed example ids differ from the plan:\n  ${mismatch.join('\n  ')}`);
  const losses = lossSummary(plan, report.losses);
  const down = datasets[spec.downstream] as LocalisationDataset;
  const scores: Partial<Record<Split, SplitScore>> = {};
  for (const split of spec.evalSplits) {
    const rel = report.predictions[split];
    if (rel === undefined) throw new TrainerError(`${reportPath}: no predictions for the ${split} split`);
    const pred = isAbsolute(rel) ? rel : join(work, 'out', rel);
    if (!existsSync(pred)) throw new TrainerError(`${pred}: file not found (the ${split} predictions named in ${reportPath})`);
    try {
      const ev = await evaluatePredictionFile(down, split, pred, join(dir, split));
      scores[split] = { split, mAP: ev.run.summary.mAP, perClass: ev.run.summary.classes.map((c) => ({ id: c.id, name: c.name, ap: Number.isNaN(c.ap) ? null : c.ap, numGt: c.numGt })), files: ev.files };
    } catch (err) {
      if (err instanceof InputError) throw new TrainerError(`the trainer's ${split} predictions are malformed: ${err.message}`);
      throw err;
    }
  }
  const result: ExternalJobResult = {
    hash,
    spec,
    protocol: plan.protocol,
    backend: `${report.trainer.name} ${report.trainer.version} on ${report.trainer.device}`,
    steps: plan.phases.reduce((s, p) => s + p.steps.length, 0),
    seconds: (performance.now() - t0) / 1e3,
    ...losses,
    pretrainCheckpoint: null,
    diverged: null,
    ledger: plan.ledger,
    scores,
    upstreamAccuracy: { ...report.upstreamAccuracy },
    dir,
    trainer: { ...report.trainer, command: opts.command },
  };
  return result;
}
