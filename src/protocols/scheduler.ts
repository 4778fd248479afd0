/**
 * Runs jobs in parallel worker processes with a results cache: a job whose directory
 * (<cacheDir>/<job hash>) already holds result.json is not run again, so an interrupted or
 * failed `compare` resumes where it stopped. Jobs write into their own directory and
 * result.json last (atomically): a half-finished job is simply redone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { jobHash, readJobResult, type JobResult, type JobSpec } from './job.js';
import type { WorkerOutbound } from './job-worker.js';

export interface SchedulerEvents {
  /** Before any job runs: the jobs to run and how many came from the cache. */
  onPlan?(pending: readonly JobSpec[], cached: number): void;
  onCached?(spec: JobSpec, result: JobResult): void;
  onStart?(spec: JobSpec, worker: number): void;
  onProgress?(spec: JobSpec, worker: number, done: number, total: number, loss: number): void;
  onDone?(spec: JobSpec, worker: number, result: JobResult): void;
}

function startWorker(): ChildProcess {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(isTs ? './job-worker.ts' : './job-worker.js', import.meta.url);
  return fork(entry, [], { execArgv: isTs ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export async function runJobs(specs: readonly JobSpec[], cacheDir: string, workers: number, events: SchedulerEvents = {}): Promise<JobResult[]> {
  const results = new Map<string, JobResult>();
  const pending: JobSpec[] = [];
  for (const spec of specs) {
    const hash = jobHash(spec);
    const cached = readJobResult(join(cacheDir, hash));
    if (cached !== null) {
      results.set(hash, cached);
      events.onCached?.(spec, cached);
    } else if (!pending.some((p) => jobHash(p) === hash)) pending.push(spec);
  }
  events.onPlan?.(pending, results.size);
  const failures: string[] = [];
  const pool = Array.from({ length: Math.min(workers, pending.length) }, () => startWorker());
  try {
    await Promise.all(
      pool.map(async (child, w) => {
        for (let spec = pending.shift(); spec !== undefined; spec = pending.shift()) {
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
            child.send({ kind: 'job', spec, dir });
          });
          if (outcome.kind === 'done') {
            const r = readJobResult(dir)!;
            results.set(r.hash, r);
            events.onDone?.(spec, w, r);
          } else {
            failures.push(`${spec.protocol} seed ${spec.seed} lr ${spec.lr}: ${outcome.kind === 'failed' ? outcome.error : ''}`);
            if (child.exitCode !== null) return; // this worker is gone; the others carry on
          }
        }
      }),
    );
  } finally {
    for (const c of pool) if (c.exitCode === null) c.send({ kind: 'exit' });
  }
  if (failures.length > 0) throw new Error(`${failures.length} run(s) failed (finished runs are kept and reused on rerun):\n${failures.join('\n')}`);
  return specs.map((s) => results.get(jobHash(s))!);
}
