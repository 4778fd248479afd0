/**
 * Child-process entry of the compare scheduler: runs the jobs it is sent, one at a time,
 * reporting progress; datasets and their generated examples are shared across its jobs.
 * (tfjs-wasm is single-threaded in Node: parallelism comes from processes.)
 */
import type { Dataset } from '../data/datasets.js';
import { loadDatasets, runJob, type JobSpec } from './job.js';
import { ExampleCache } from './runner.js';
import { TrainerError } from '../trainers/trainer-error.js';
import { InputError } from '../data/input-error.js';

type Inbound = { kind: 'job'; spec: JobSpec; dir: string; checkpointRoot?: string; dataCache?: string } | { kind: 'exit' };
export type WorkerOutbound =
  | { kind: 'progress'; done: number; total: number; loss: number; phase: string }
  | { kind: 'done'; dir: string }
  | { kind: 'failed'; error: string };

let datasets: Record<string, Dataset> | null = null;
let cache: ExampleCache | null = null;
const send = (m: WorkerOutbound) => {
  if (process.connected) process.send!(m);
};

// the parent is gone (killed, Ctrl-C, a cancelled CI job): stop now, not after the job
process.on('disconnect', () => process.exit(1));
const parent = process.ppid;
// a terminal's Ctrl-C reaches this process too: exit through 'exit' handlers (a trainer's process group is killed)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(1));

process.on('message', async (msg: Inbound) => {
  if (msg.kind === 'exit') process.exit(0);
  try {
    datasets ??= loadDatasets(msg.spec);
    cache ??= new ExampleCache(datasets);
    let last = 0;
    await runJob(msg.spec, msg.dir, datasets, cache, (s) => {
      // training steps are synchronous, so 'disconnect' cannot fire mid-job: look at the parent every step
      if (process.ppid !== parent) process.exit(1);
      const now = performance.now();
      if (now - last > 250 || s.done === s.total) {
        last = now;
        send({ kind: 'progress', done: s.done, total: s.total, loss: s.loss, phase: s.phase });
      }
    }, msg.checkpointRoot, msg.dataCache);
    send({ kind: 'done', dir: msg.dir });
  } catch (err) {
    // an external trainer's refusal is a plain message; anything else, with its stack
    // refusals, bad input and the machine's failures (a full disk) are plain messages; a bug, with its stack
    const plain = err instanceof TrainerError || err instanceof InputError || typeof (err as NodeJS.ErrnoException)?.code === 'string';
    send({ kind: 'failed', error: plain ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
