/**
 * Runs jobs in parallel worker processes with a results cache: a job whose directory
 * (<cacheDir>/<job hash>) holds a verified result is not run again, so an interrupted or
 * failed `compare` resumes where it stopped. Jobs are staged privately and published whole
 * (sealed-dir.ts): a half-finished job is simply redone, a damaged one set aside and redone,
 * and processes sharing a cache claim runs so none is made twice.
 *
 * Shared pretraining (job.ts pretrainKey): the first job of a key trains the pretraining and
 * saves it under <checkpointRoot>/<key>; the other jobs of that key wait for it (a worker takes
 * other work meanwhile), so it is trained once per key. Longest jobs go first, so that no
 * worker is left with a long job at the end while the other idles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { jobHash, pretrainKey, readJobResult, type JobResult, type JobSpec } from './job.js';
import type { WorkerOutbound } from './job-worker.js';
import { claim, quarantine } from './sealed-dir.js';

/** Some runs failed (the finished ones are cached); the message lists each failure. */
export class RunsFailed extends Error {}

export interface SchedulerEvents {
  /** Before any job runs: the jobs to run and how many came from the cache. */
  onPlan?(pending: readonly JobSpec[], cached: number): void;
  onCached?(spec: JobSpec, result: JobResult): void;
  onStart?(spec: JobSpec, worker: number): void;
  onProgress?(spec: JobSpec, worker: number, done: number, total: number, loss: number): void;
  onDone?(spec: JobSpec, worker: number, result: JobResult): void;
  /** compare extended the LR grid past an edge these protocols chose. */
  onExtend?(grid: readonly number[], protocols: readonly string[]): void;
}

/**
 * A job-worker process. CFT_BENCH_THREADS (the external-trainer contract's CPU-thread hint) is
 * cores / workers unless the user set it: N multi-threaded trainers on N cores oversubscribe.
 */
function startWorker(workers: number, gpu: string | undefined): ChildProcess {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(isTs ? './job-worker.ts' : './job-worker.js', import.meta.url);
  const threads = process.env['CFT_BENCH_THREADS'] || String(Math.max(1, Math.floor(availableParallelism() / workers)));
  // --gpus: each worker (and the trainer it runs) sees only its own device(s)
  const env = { ...process.env, CFT_BENCH_THREADS: threads, ...(gpu !== undefined ? { CUDA_VISIBLE_DEVICES: gpu } : {}) };
  // stdout is the parent's result channel (--json): a worker's output goes to stderr
  return fork(entry, [], { execArgv: isTs ? ['--import', 'tsx'] : [], stdio: ['ignore', process.stderr, 'inherit', 'ipc'], env });
}

export interface RunOptions {
  /** Device ids (CUDA_VISIBLE_DEVICES values) dealt to the workers in turn. */
  readonly gpus?: readonly string[];
  /** Cached runs and checkpoints written before this time (ms since the epoch) are set aside and redone (`--fresh`). */
  readonly freshBefore?: number;
}

/** Steps of a job (for ordering and progress): its budget, downstream only for downstream-only. */
export function jobSteps(s: Pick<JobSpec, 'protocol' | 'budget' | 'batch'>): number {
  return (s.budget.downstream + (s.protocol === 'downstream-only' ? 0 : s.budget.upstream)) / s.batch;
}

/** A cached run, verified; a damaged one is set aside (sealed-dir.ts quarantine) and reads as not cached; so is one older than `freshBefore`. */
function cachedResult(dir: string, freshBefore?: number): JobResult | null {
  const state = readJobResult(dir);
  if (state.kind === 'damaged') quarantine(dir, state.why);
  if (state.kind === 'ok' && freshBefore !== undefined && statSync(join(dir, 'result.json')).mtimeMs < freshBefore) {
    quarantine(dir, 'made before this --fresh compare');
    return null;
  }
  return state.kind === 'ok' ? state.record : null;
}

export async function runJobs(specs: readonly JobSpec[], cacheDir: string, workers: number, events: SchedulerEvents = {}, checkpointRoot?: string, opts: RunOptions = {}): Promise<JobResult[]> {
  const fresh = opts.freshBefore;
  const results = new Map<string, JobResult>();
  const pending: JobSpec[] = [];
  for (const spec of specs) {
    const hash = jobHash(spec);
    const cached = cachedResult(join(cacheDir, hash), fresh);
    if (cached !== null) {
      results.set(hash, cached);
      events.onCached?.(spec, cached);
    } else if (!pending.some((p) => jobHash(p) === hash)) pending.push(spec);
  }
  pending.sort((a, b) => jobSteps(b) - jobSteps(a));
  events.onPlan?.(pending, results.size);
  const keys = new Map<JobSpec, string | null>();
  for (const s of pending) keys.set(s, checkpointRoot === undefined ? null : await pretrainKey(s));
  if (fresh !== undefined) {
    for (const k of new Set(keys.values())) {
      const ckpt = k === null ? null : join(checkpointRoot!, k);
      if (ckpt !== null && existsSync(ckpt) && statSync(ckpt).mtimeMs < fresh) quarantine(ckpt, 'made before this --fresh compare');
    }
  }
  const claimed = new Set<string>(); // pretraining keys being trained by a running job
  const locks = new Map<JobSpec, () => void>(); // runs this process claimed in the shared cache
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((r) => (wake = r));
  const signal = () => {
    wake();
    changed = new Promise<void>((r) => (wake = r));
  };
  const ready = (s: JobSpec) => {
    const k = keys.get(s)!;
    return k === null || !claimed.has(k) || existsSync(join(checkpointRoot!, k, 'state.json'));
  };
  /**
   * The next job this worker may start: none waiting on a pretraining another job is training,
   * none another process sharing the cache is running (claim); a run another process finished
   * meanwhile is taken from the cache.
   */
  const next = async (): Promise<JobSpec | undefined> => {
    for (;;) {
      if (pending.length === 0) return undefined;
      for (let i = 0; i < pending.length; i++) {
        const s = pending[i]!;
        if (!ready(s)) continue;
        const dir = join(cacheDir, jobHash(s));
        const release = claim(dir);
        if (release === null) continue; // another process is making it
        const done = cachedResult(dir, fresh); // finished by another process since we looked
        if (done !== null) {
          release();
          pending.splice(i--, 1);
          results.set(done.hash, done);
          events.onCached?.(s, done);
          continue;
        }
        pending.splice(i, 1);
        locks.set(s, release);
        const k = keys.get(s)!;
        if (k !== null) claimed.add(k);
        return s;
      }
      if (pending.length === 0) return undefined;
      // the checkpoint is saved mid-job, after the pretraining; another process's run ends any time: look again every second too
      await Promise.race([changed, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  };
  const failures: string[] = [];
  const gpus = opts.gpus ?? [];
  const pool = Array.from({ length: Math.min(workers, pending.length) }, (_, w) => startWorker(Math.min(workers, pending.length), gpus.length > 0 ? gpus[w % gpus.length] : undefined));
  try {
    await Promise.all(
      pool.map(async (child, w) => {
        for (let spec = await next(); spec !== undefined; spec = await next()) {
          const dir = join(cacheDir, jobHash(spec));
          events.onStart?.(spec, w);
          const outcome = await new Promise<WorkerOutbound>((resolve) => {
            const onMessage = (m: WorkerOutbound) => {
              if (m.kind === 'progress') events.onProgress?.(spec!, w, m.done, m.total, m.loss);
              else {
                child.off('message', onMessage);
                child.off('exit', onExit);
                resolve(m);
              }
            };
            const onExit = (code: number | null) => resolve({ kind: 'failed', error: `worker process exited (code ${code})` });
            child.on('message', onMessage);
            child.once('exit', onExit);
            child.send({ kind: 'job', spec, dir, checkpointRoot, dataCache: join(dirname(cacheDir), 'data') });
          });
          locks.get(spec)?.();
          const key = keys.get(spec)!;
          // ended without leaving the shared pretraining (failed, or an external trainer that does not save it): another job may train it
          if (key !== null && !existsSync(join(checkpointRoot!, key, 'state.json'))) claimed.delete(key);
          signal();
          const r = outcome.kind === 'done' ? cachedResult(dir) : null; // just made: not subject to --fresh
          if (r !== null) {
            results.set(r.hash, r);
            events.onDone?.(spec, w, r);
          } else {
            failures.push(`${spec.protocol} seed ${spec.seed} lr ${spec.lr}: ${outcome.kind === 'failed' ? outcome.error : 'its result did not verify'}`);
            if (child.exitCode !== null) return; // this worker is gone; the others carry on
          }
        }
      }),
    );
  } finally {
    for (const c of pool) if (c.exitCode === null) c.send({ kind: 'exit' });
    for (const release of locks.values()) release();
  }
  if (failures.length > 0) throw new RunsFailed(`${failures.length} run(s) failed (finished runs are kept and reused on rerun):\n${failures.join('\n')}`);
  return specs.map((s) => results.get(jobHash(s))!);
}
