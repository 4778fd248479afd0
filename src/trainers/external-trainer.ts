/**
 * The external-trainer contract (`cft-bench-trainer/1`, docs/external-trainer.md): cft-bench
 * plans every step (a plan folder, plan-files.ts), exports the data (`data export` layout) and
 * runs a trainer *process* of any framework on that plan; the trainer reports per-step losses, a
 * digest of the example ids it consumed per phase and dataset, AVA prediction CSVs and its
 * upstream sets' val predictions. cft-bench checks the digests against its own ledger and scores
 * every prediction itself (frame-mAP, top-1 accuracy) — a trainer never reports its own metric.
 *
 * Refused (TrainerError; the CLI exits 1 and writes no result): a non-zero exit, a run past the
 * timeout, a missing or malformed report, consumed ids that differ from the plan, malformed
 * predictions (the evaluator's `path:line` message).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { publishDir, sealDir, stageDir } from '../protocols/sealed-dir.js';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { PYTHON_MODULE_DIR } from './torch-trainer.js';
import { createInterface } from 'node:readline';
import type { ClassificationDataset, Dataset, LocalisationDataset, Split } from '../data/datasets.js';
import { readClassPredictions } from '../data/class-predictions.js';
import { top1Accuracy } from '../metrics/top1-accuracy.js';
import { exportDataset } from '../data/dataset-files.js';
import { cleanStale, tempTag } from '../reports/atomic-write.js';
import { InputError } from '../data/input-error.js';
import { RefusedPredictions, scorePredictionFile } from '../protocols/split-score.js';
import type { ExternalTrainerSpec, JobResult, JobSpec, SplitScore } from '../protocols/job-record.js';
import { phaseLosses } from '../protocols/training-plan.js';
import { readStepKinds, type PlanDirHeader } from '../protocols/plan-files.js';
import type { Ledger } from '../protocols/ledger.js';
import type { Divergence } from '../protocols/runner.js';
import { trainerCommand } from './torch-trainer.js';

export const TRAINER_CONTRACT = 'cft-bench-trainer/2';

import { TrainerError } from './trainer-error.js';

export { TrainerError };

/** What cft-bench hands the trainer (request.json, the trainer's only argument). */
export interface TrainerRequest {
  readonly format: typeof TRAINER_CONTRACT;
  /** The whole schedule: a plan folder (cft-bench-plan/2, plan-files.ts), absolute path. */
  readonly plan: string;
  /** Dataset name → its directory in the `data export` layout. */
  readonly data: Readonly<Record<string, string>>;
  readonly downstream: string;
  readonly seed: number;
  /** Splits of the downstream set to write predictions for. */
  readonly predict: readonly Split[];
  /** Upstream set → n: write its val predictions for example ids 0..n-1 (report `upstreamPredictions`), scored by cft-bench. */
  readonly predictUpstream: Readonly<Record<string, number>>;
  /** Where the trainer writes report.json and its prediction files. */
  readonly out: string;
  /** A directory for the trainer's own checkpoints, the same for every retry of this run (and removed once the run is published): resume from it. */
  readonly checkpoint?: string;
  /** Shared pretraining, given: a directory this trainer saved (`saveModel`) after the plan's first `initPhases` phases; start from it. */
  readonly init?: string;
  readonly initPhases?: number;
  /** Shared pretraining, asked for: after the plan's first `saveModelAfterPhases` phases, save what `init` needs into this directory, then go on. */
  readonly saveModel?: string;
  readonly saveModelAfterPhases?: number;
}

/** What the trainer writes: <out>/report.json. */
export interface TrainerReport {
  readonly format: typeof TRAINER_CONTRACT;
  readonly trainer: { readonly name: string; readonly version: string; readonly device: string };
  /** Phase → the loss of each of its steps, in plan order. */
  readonly losses: Readonly<Record<string, readonly number[]>>;
  /** Phase → dataset → examples consumed and sha256 of "id," for each id in consumption order. */
  readonly consumed: Readonly<Record<string, Readonly<Record<string, { readonly examples: number; readonly idsSha256: string }>>>>;
  /** Split → AVA-format predictions CSV (relative to out, or absolute). */
  readonly predictions: Readonly<Partial<Record<Split, string>>>;
  /** Upstream set → its val predictions, CSV `id,label` (data/class-predictions.ts), relative to out or absolute. Absent: no upstream accuracy for that set. */
  readonly upstreamPredictions?: Readonly<Record<string, string>>;
  /** `diverged`: the loss stopped being finite (training stopped; no predictions needed). Absent: `ok`. */
  readonly status?: 'ok' | 'diverged';
  /** With status diverged: where. */
  readonly diverged?: { readonly phase: string; readonly step: number };
  /** The training practice this trainer applies (head init, optimizer, schedule, …), in its own words: reports show it, never the built-in one. */
  readonly practice?: Readonly<Record<string, string>>;
}

/** An external trainer as a run's spec names it: what runs, how long we wait, and what defines it (its files' sha256). */
export type { ExternalTrainerSpec } from '../protocols/job-record.js';

export interface ExternalTrainerOptions extends ExternalTrainerSpec {
  /** Prefix of the trainer's output lines on stderr (which run they belong to). */
  readonly label?: string;
  readonly onProgress?: (p: TrainerProgress) => void;
  /** Where exported datasets are kept between runs. */
  readonly dataCache: string;
  /** Where `dir` (a staging folder) will be published: the request.json kept there names paths as they will be. */
  readonly publishedAs?: string;
  /** The run's checkpoint directory, stable across retries (request `checkpoint`). */
  readonly checkpointDir?: string;
  /** Start from this shared pretraining (a sealed checkpoint of the same trainer)… */
  readonly init?: { readonly dir: string; readonly phases: number };
  /** …or save it for the runs that share it (published at `dir` when this run succeeds). */
  readonly save?: { readonly dir: string; readonly phases: number };
  /** The key of that shared pretraining (job.ts pretrainKey). */
  readonly pretrainKey?: string | null;
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

/** A line a trainer prints to report progress (docs/external-trainer.md §2): `cft-bench-progress {"phase":…,"step":…,"steps":…,"loss":…}`. */
export const PROGRESS_PREFIX = 'cft-bench-progress ';

export interface TrainerProgress {
  readonly phase: string;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
}

/**
 * Runs the trainer. Its stdout and stderr never reach cft-bench's stdout (which `--json` keeps
 * for the result): every line goes to `log` and to stderr behind `label`; progress lines are
 * parsed and handed to `onProgress` instead.
 */
function runProcess(command: string, request: string, timeoutSeconds: number, log: string, label: string, onProgress?: (p: TrainerProgress) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // its own process group, so the whole tree it starts (torchrun and its ranks) can be killed at once
    // the contract's Python module (cftbench.py, beside this file in the package) importable as `import cftbench`
    const env = { ...process.env, PYTHONPATH: [PYTHON_MODULE_DIR, process.env['PYTHONPATH']].filter((x) => x !== undefined && x !== '').join(delimiter) };
    const child = spawn('sh', ['-c', `${trainerCommand(command)} "$1"`, 'sh', request], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    if (child.pid !== undefined) running.add(child.pid);
    const logFd = openSync(log, 'a');
    const lineOf = (text: string) => {
      writeSync(logFd, text + '\n');
      if (text.startsWith(PROGRESS_PREFIX)) {
        try {
          const p = JSON.parse(text.slice(PROGRESS_PREFIX.length)) as TrainerProgress;
          onProgress?.({ ...p, loss: typeof p.loss === 'number' ? p.loss : NaN });
          return;
        } catch {
          /* not a progress line after all: shown as output */
        }
      }
      process.stderr.write(`${label} ${text}\n`);
    };
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream, crlfDelay: Infinity }).on('line', lineOf);
    const closed = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((r) => s.once('close', r))));
    const timer =
      timeoutSeconds > 0
        ? setTimeout(() => {
            killGroup(child.pid!);
            reject(new TrainerError(`trainer \`${command}\` stalled: no result after ${timeoutSeconds} s (--trainer-timeout); killed`));
          }, timeoutSeconds * 1000)
        : undefined;
    child.on('error', (err) => (clearTimeout(timer), reject(new TrainerError(`trainer \`${command}\` could not start: ${err.message}`))));
    child.on('exit', async (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]); // every line logged before the outcome is read (unless a leftover child holds the pipes)
      closeSync(logFd);
      if (code === 0) resolvePromise();
      else reject(new TrainerError(`trainer \`${command}\` exited with ${code !== null ? `code ${code}` : `signal ${signal}`}`));
    });
  });
}

/**
 * JSON as Python's json.dump writes it for a diverged run: bare NaN, Infinity and -Infinity
 * (not JSON) read as null — a non-finite loss — instead of failing the whole report.
 */
export function parseTrainerJson(text: string): unknown {
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity\b|\bNaN\b/g, (m) => (m.startsWith('"') ? m : 'null')));
}

function readReport(path: string): TrainerReport {
  if (!existsSync(path)) throw new TrainerError(`${path}: the trainer exited 0 but wrote no report`);
  let r: TrainerReport;
  try {
    r = parseTrainerJson(readFileSync(path, 'utf8')) as TrainerReport;
  } catch (err) {
    throw new TrainerError(`${path}: not JSON (${(err as Error).message})`);
  }
  if (r?.format !== TRAINER_CONTRACT) throw new TrainerError(`${path}: format ${JSON.stringify(r?.format)}, expected ${TRAINER_CONTRACT}`);
  for (const k of ['trainer', 'losses', 'consumed', 'predictions'] as const) if (typeof r[k] !== 'object' || r[k] === null) throw new TrainerError(`${path}: missing '${k}'`);
  if (r.upstreamPredictions !== undefined && (typeof r.upstreamPredictions !== 'object' || r.upstreamPredictions === null || Object.values(r.upstreamPredictions).some((v) => typeof v !== 'string'))) throw new TrainerError(`${path}: upstreamPredictions must map upstream sets to files`);
  if (r.status !== undefined && r.status !== 'ok' && r.status !== 'diverged') throw new TrainerError(`${path}: status ${JSON.stringify(r.status)}, expected "ok" or "diverged"`);
  if (r.practice !== undefined && (typeof r.practice !== 'object' || r.practice === null || Object.values(r.practice).some((v) => typeof v !== 'string'))) throw new TrainerError(`${path}: practice must map choices to text`);
  return r;
}

/** Where a run diverged: the trainer's word, or the first non-finite loss it reported. Null: it did not. */
function divergence(plan: PlanDirHeader, r: TrainerReport): Divergence | null {
  for (const phase of plan.phases) {
    const l = r.losses[phase.name];
    const at = Array.isArray(l) ? l.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x)) : -1;
    if (at >= 0) return { phase: phase.name, step: at + 1, loss: String(l![at] ?? 'NaN') };
  }
  if (r.status === 'diverged') return { phase: r.diverged?.phase ?? '?', step: r.diverged?.step ?? 0, loss: 'NaN' };
  return null;
}

/** Differences between the ids the trainer says it consumed and the plan's ledger (empty: none). */
export function consumptionMismatches(ledger: Ledger, consumed: TrainerReport['consumed']): string[] {
  const out: string[] = [];
  for (const phase of ledger.phases) {
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
function lossSummary(plan: PlanFolder, losses: TrainerReport['losses']): Pick<JobResult, 'finalLoss' | 'firstLoss' | 'lossCurve'> {
  const finalLoss: Record<string, number> = {};
  const firstLoss: Record<string, Record<string, number>> = {};
  const lossCurve: JobResult['lossCurve'] = {};
  for (const phase of plan.header.phases) {
    const l = losses[phase.name];
    if (!Array.isArray(l) || l.length !== phase.steps || l.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new TrainerError(`report: losses of phase ${phase.name} must be ${phase.steps} numbers (one per planned step), got ${Array.isArray(l) ? `${l.length}` : typeof l}`);
    const s = phaseLosses(readStepKinds(plan.dir, phase), l);
    finalLoss[phase.name] = s.final;
    firstLoss[phase.name] = s.first;
    lossCurve[phase.name] = s.curve;
  }
  return { finalLoss, firstLoss, lossCurve };
}

export interface ExternalJobResult extends JobResult {
  /** Who trained it: as the trainer declared itself, its command and the files that define it (trainer-identity.ts). */
  readonly trainer: TrainerReport['trainer'] & { readonly command: string; readonly files: Readonly<Record<string, string>>; readonly practice: Readonly<Record<string, string>> | null };
}

/** A run's plan, written as a plan folder (plan-files.ts writePlanDir): where, and its header. */
export interface PlanFolder {
  readonly dir: string;
  readonly header: PlanDirHeader;
}

/** Runs `plan` with an external trainer into `dir` and scores its predictions: a JobResult like the built-in trainer's. */
export async function runExternalJob(spec: JobSpec, plan: PlanFolder, hash: string, dir: string, datasets: Readonly<Record<string, Dataset>>, opts: ExternalTrainerOptions): Promise<ExternalJobResult> {
  const t0 = performance.now();
  const work = join(resolve(dir), 'trainer');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'out'), { recursive: true });
  const used = new Set(plan.header.phases.flatMap((p) => p.datasets));
  used.add(spec.downstream);
  // the upstream sets this run trains, each scored on its whole val split (as the built-in trainer's)
  const predictUpstream = Object.fromEntries(
    [...used].filter((d) => d !== spec.downstream && datasets[d]?.kind === 'classification' && (datasets[d]!.sizes.val ?? 0) > 0).sort().map((d) => [d, datasets[d]!.sizes.val!]),
  );
  // a dataset declared as a `data export` folder is handed over as it is; the embedded ones are exported once
  const data = Object.fromEntries([...used].map((d) => [d, spec.datasets?.[d]?.dir ?? exportedDir(datasets[d]!, opts.dataCache, spec.benchmarkSeed)]));
  // a shared pretraining to save is staged beside its place and published only if this run succeeds
  const saveStage = opts.save !== undefined ? stageDir(opts.save.dir) : undefined;
  const request: TrainerRequest = {
    format: TRAINER_CONTRACT,
    plan: resolve(plan.dir),
    data,
    downstream: spec.downstream,
    seed: spec.seed,
    predict: spec.evalSplits,
    predictUpstream,
    out: join(work, 'out'),
    ...(opts.checkpointDir !== undefined ? { checkpoint: resolve(opts.checkpointDir) } : {}),
    ...(opts.init !== undefined ? { init: resolve(opts.init.dir), initPhases: opts.init.phases } : {}),
    ...(saveStage !== undefined ? { saveModel: saveStage, saveModelAfterPhases: opts.save!.phases } : {}),
  };
  try {
    return await runTrainer(spec, plan, hash, dir, datasets, opts, request, work, t0, saveStage);
  } finally {
    if (saveStage !== undefined) rmSync(saveStage, { recursive: true, force: true });
  }
}

async function runTrainer(spec: JobSpec, plan: PlanFolder, hash: string, dir: string, datasets: Readonly<Record<string, Dataset>>, opts: ExternalTrainerOptions, request: TrainerRequest, work: string, t0: number, saveStage: string | undefined): Promise<ExternalJobResult> {
  const requestPath = join(work, 'request.json');
  writeFileSync(requestPath, JSON.stringify(request, null, 2) + '\n');
  await runProcess(opts.command, requestPath, opts.timeoutSeconds, join(work, 'log.txt'), opts.label ?? '[trainer]', opts.onProgress);
  if (opts.publishedAs !== undefined) {
    const moved = (p: string) => join(resolve(opts.publishedAs!), relative(resolve(dir), p));
    writeFileSync(requestPath, JSON.stringify({ ...request, plan: moved(request.plan), out: moved(request.out) }, null, 2) + '\n');
  }
  const reportPath = join(work, 'out', 'report.json');
  const report = readReport(reportPath);
  // a diverged run stopped early: nothing to check against the plan, nothing to score (a result all the same)
  const diverged = divergence(plan.header, report);
  // the shared pretraining this run was asked to save: sealed and published for the runs that start from it
  let saved = false;
  if (saveStage !== undefined && diverged === null && readdirSync(saveStage).length > 0) {
    sealDir(saveStage, 'state.json', { phases: opts.save!.phases, trainer: report.trainer });
    publishDir(saveStage, opts.save!.dir, 'keep');
    saved = true;
  }
  const mismatch = diverged !== null ? [] : consumptionMismatches(plan.header.ledger, report.consumed);
  if (mismatch.length > 0) throw new TrainerError(`${reportPath}: the trainer's consumed example ids differ from the plan:\n  ${mismatch.join('\n  ')}`);
  const losses = diverged !== null ? { finalLoss: {}, firstLoss: {}, lossCurve: {} } : lossSummary(plan, report.losses);
  const down = datasets[spec.downstream] as LocalisationDataset;
  const scores: Partial<Record<Split, SplitScore>> = {};
  for (const split of diverged !== null ? [] : spec.evalSplits) {
    const rel = report.predictions[split];
    if (rel === undefined) throw new TrainerError(`${reportPath}: no predictions for the ${split} split`);
    const pred = isAbsolute(rel) ? rel : join(work, 'out', rel);
    if (!existsSync(pred)) throw new TrainerError(`${pred}: file not found (the ${split} predictions named in ${reportPath})`);
    try {
      scores[split] = await scorePredictionFile(down, split, pred, join(dir, split), "the trainer's");
    } catch (err) {
      if (err instanceof InputError) throw new TrainerError(`the trainer's ${split} predictions are malformed: ${err.message}`);
      if (err instanceof RefusedPredictions) throw new TrainerError(err.message);
      throw err;
    }
  }
  const upstreamAccuracy: Record<string, number> = {};
  for (const [u, n] of Object.entries(diverged !== null ? {} : request.predictUpstream)) {
    const rel = report.upstreamPredictions?.[u];
    if (rel === undefined) continue; // not reported: no number rather than the trainer's own
    const path = isAbsolute(rel) ? rel : join(work, 'out', rel);
    const d = datasets[u] as ClassificationDataset;
    try {
      upstreamAccuracy[u] = top1Accuracy(readClassPredictions(path, n, d.classes.length), (i) => d.label('val', i));
    } catch (err) {
      if (err instanceof InputError) throw new TrainerError(`the trainer's ${u} val predictions are malformed: ${err.message}`);
      throw err;
    }
  }
  const result: ExternalJobResult = {
    hash,
    spec,
    protocol: plan.header.protocol,
    backend: `${report.trainer.name} ${report.trainer.version} on ${report.trainer.device}`,
    steps: plan.header.phases.reduce((s, p) => s + p.steps, 0),
    seconds: (performance.now() - t0) / 1e3,
    ...losses,
    diverged,
    ledger: plan.header.ledger,
    scores,
    upstreamAccuracy,
    dir,
    trainer: { ...report.trainer, command: opts.command, files: opts.files, practice: report.practice ?? null },
    pretrainCheckpoint: opts.init !== undefined || saved ? (opts.pretrainKey ?? null) : null,
  };
  return result;
}
