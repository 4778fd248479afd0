/**
 * One training job — a protocol at one seed and learning rate — and its evaluation: the unit
 * `compare` schedules, caches and resumes, and what `train` runs once. Plain data in (JobSpec),
 * files and plain data out (JobResult in <dir>/result.json).
 */
import { dirname, join, relative, resolve, sep, basename } from 'node:path';
import { rmSync } from 'node:fs';
import type { Dataset } from '../data/datasets.js';
import { checkpointOf, executorFor } from './executors.js';
import { jobHash } from './job-identity.js';
import type { JobResult, JobSpec } from './job-record.js';
import type { ExampleCache, StepInfo } from './runner.js';
import { publishDir, readSealedDir, sealDir, stageDir, type DirState } from './sealed-dir.js';

export type { JobResult, JobSpec, SplitScore } from './job-record.js';

export { jobContext, jobHash, loadDatasets, pretrainKey, protocolSourceHash } from './job-identity.js';

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
    const result = await executorFor(spec)({ spec, dir, final: resolve(final), datasets, cache, ...(onStep !== undefined ? { onStep } : {}), ...(checkpointRoot !== undefined ? { checkpointRoot } : {}), dataCache });
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

/** A result as stored: paths relative to its directory (a cache can move, or be mounted elsewhere). */
function storedResult(r: JobResult, dir: string): Omit<JobResult, 'dir'> {
  const { dir: _, ...rest } = r;
  const rel = (p: string) => relative(dir, p).split(sep).join('/');
  const scores = Object.fromEntries(Object.entries(r.scores).map(([k, s]) => [k, { ...s, files: { gt: rel(s.files.gt), pred: rel(s.files.pred), labelMap: rel(s.files.labelMap) } }]));
  return { ...rest, scores };
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
