/**
 * What identifies a job and what it needs, from its spec alone: its cache key, the protocol
 * context, the datasets, the key of its shareable pretraining. Used by the scheduler, shards,
 * the executors and the job itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { embeddedDataset } from '../data/benchmarks.js';
import { openDatasetDir } from '../data/dataset-files.js';
import type { Dataset } from '../data/datasets.js';
import type { JobSpec } from './job-record.js';
import { resolveProtocol, type Protocol, type ProtocolContext } from './protocol.js';
import { sharedPrefix } from './runner.js';
import { parseSampler } from './sampler.js';
import { canonicalJson } from './sealed-dir.js';

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
