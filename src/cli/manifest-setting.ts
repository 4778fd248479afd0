/**
 * `--manifest FILE`: the datasets, downstream/upstream roles and budgets of a comparison from a
 * benchmark manifest (data/manifest.ts) instead of the embedded benchmark's defaults. The
 * built-in protocols need nothing per dataset: they read "the downstream set" and "the upstream
 * sets" from here, and each dataset gets its own budget.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Split } from '../data/datasets.js';
import { declaredDigest, materialiseDeclared } from '../data/declared-files.js';
import { publishDir, stageDir } from '../protocols/sealed-dir.js';
import { embeddedDataset } from '../data/benchmarks.js';
import { datasetRef, type DatasetRef } from '../data/dataset-ref.js';
import { InputError } from '../data/input-error.js';
import { declaredBudget, readManifest, type DeclaredBudget, type DeclaredDataset, type Manifest } from '../data/manifest.js';
import { getPreset } from '../metrics/presets.js';
import { resolveBudgets, type ResolvedBudgets } from '../protocols/budget.js';
import { UsageError } from './errors.js';

export interface ManifestSetting {
  readonly manifest: Manifest;
  readonly downstream: string;
  readonly upstream: readonly string[];
  readonly batch: number;
  /** Train-split sizes of the datasets used (the ids a plan draws from). */
  readonly sizes: Readonly<Record<string, number>>;
  /** Null only when budgets were optional (`train`) and the manifest declares none for these datasets. With an upstream total: the downstream set's alone. */
  readonly budgets: ResolvedBudgets | null;
  /** The manifest's one upstream total (scaled like the budgets), unless per-set budgets replace it; null: each upstream set has its own. */
  readonly upstreamTotal: number | null;
  /** `data export` folders to train on, with their content digests (null: only planning, nothing read). */
  readonly datasets: Readonly<Record<string, DatasetRef>> | null;
}

export interface ManifestOptions {
  /** The manifest file (data/embedded.yaml for the embedded benchmark). */
  readonly manifest: string;
  readonly budgetFile?: string;
  readonly budgetScale: number;
  readonly quick: boolean;
  readonly batch: number;
  /** Only print the plan: sizes suffice, no data is read or digested. */
  readonly planOnly: boolean;
  /** The roles, when the command names them (`train --benchmark/--upstream`): datasets of the manifest. Default: the manifest's. */
  readonly downstream?: string;
  readonly upstream?: readonly string[];
  /** `train`: without budgets for these datasets, the command's own (--steps). */
  readonly budgetsOptional?: boolean;
  /** The trainer is an external process (it reads its own frames): datasets declared by files can train. */
  readonly external: boolean;
  /** Where the folders handed to trainers for files-declared datasets are kept (by content digest). */
  readonly dataCache: string;
  /** The splits of the downstream set the command scores (compare: val for LR selection, test for the report). */
  readonly splits: readonly Split[];
}

export async function manifestSetting(opts: ManifestOptions): Promise<ManifestSetting> {
  const m = readManifest(opts.manifest);
  const names = Object.keys(m.datasets);
  const downstream = opts.downstream ?? m.downstream;
  const upstream = opts.upstream ?? m.upstream;
  for (const [what, n] of [['downstream', downstream], ...upstream.map((u) => ['upstream', u])] as const) {
    if (m.datasets[n] === undefined) throw new UsageError(`${what} ${n}: not a dataset of ${m.path} (${names.join(', ')})`);
    const kind = what === 'downstream' ? 'localisation' : 'classification';
    if (m.datasets[n]!.kind !== kind) throw new UsageError(`${what} ${n}: a ${m.datasets[n]!.kind} set; the ${what} set${what === 'upstream' ? 's are' : ' is a'} ${kind}${what === 'upstream' ? ' sets' : ' set'}`);
  }
  const used = [downstream, ...upstream];
  const down = m.datasets[downstream]!;
  try {
    if (down.preset !== null) getPreset(down.preset);
  } catch (err) {
    throw new InputError(m.path, null, `datasets.${downstream}.preset: ${(err as Error).message}`);
  }
  const batch = m.batch ?? opts.batch;
  const sizes: Record<string, number> = {};
  for (const name of used) {
    const d = m.datasets[name]!;
    if (d.source.kind === 'embedded') {
      if (d.source.name !== name) throw new InputError(m.path, null, `datasets.${name}: an embedded set keeps its own name (${d.source.name})`);
      sizes[name] = embeddedDataset(name).sizes.train!;
    } else sizes[name] = d.sizes.train!;
  }
  let declared: Record<string, DeclaredBudget> = { ...m.budgets };
  if (opts.budgetFile !== undefined) declared = { ...declared, ...budgetFile(opts.budgetFile, Object.keys(m.datasets)) };
  const source = opts.budgetFile ?? m.path;
  const scale = opts.budgetScale * (opts.quick ? 0.1 : 1);
  // per-set budgets, or the manifest's one upstream total (a budget file naming every upstream set replaces it)
  const named = upstream.filter((u) => declared[u] !== undefined);
  if (m.upstreamTotal !== null && named.length > 0 && named.length < upstream.length)
    throw new InputError(source, null, `names ${named.join(', ')} but not ${upstream.filter((u) => declared[u] === undefined).join(', ')}: give every upstream set its own budget, or none (${m.path}: one upstream total, dealt out equally)`);
  let upstreamTotal: number | null = null;
  if (m.upstreamTotal !== null && named.length === 0) {
    if (m.upstreamTotal % batch !== 0) throw new InputError(m.path, null, `upstreamTotal: ${m.upstreamTotal} examples are not whole batches of ${batch} (use ${Math.max(1, Math.round(m.upstreamTotal / batch)) * batch})`);
    upstreamTotal = scale === 1 ? m.upstreamTotal : Math.max(batch, Math.round((m.upstreamTotal * scale) / batch) * batch);
  }
  const budgeted = upstreamTotal !== null ? [downstream] : used;
  const none = budgeted.every((d) => declared[d] === undefined);
  const budgets = opts.budgetsOptional === true && none ? null : resolveBudgets(declared, sizes, budgeted, batch, scale, source);
  if (opts.planOnly) return { manifest: m, downstream, upstream, batch, sizes, budgets, upstreamTotal, datasets: null };
  // every refusal before anything is written
  for (const name of used) {
    const source = m.datasets[name]!.source;
    if (source.kind === 'files' && source.clips === null && !opts.external)
      throw new UsageError(
        `${m.path}: datasets.${name} is declared by its annotation files: cft-bench has no pixels of it, so the built-in trainer cannot train on it. Give --trainer (your trainer reads its own frames; cft-bench hands it the example ids, annotations and plan), or declare a \`data export\` folder (\`export: DIR\`) or its clips (\`clips: DIR\`)`,
      );
  }
  for (const split of opts.splits) if (down.source.kind === 'files' && down.sizes[split] === undefined) throw new InputError(m.path, null, `datasets.${downstream}.${split}: missing (this command scores the ${split} split: declare its gt)`);
  const datasets: Record<string, DatasetRef> = {};
  for (const name of used) {
    const d = m.datasets[name]!;
    if (d.source.kind === 'files') datasets[name] = materialised(d, opts.dataCache);
    if (d.source.kind === 'export') datasets[name] = await datasetRef(d.source.dir);
  }
  return { manifest: m, downstream, upstream, batch, sizes, budgets, upstreamTotal, datasets: Object.keys(datasets).length > 0 ? datasets : null };
}

/** The trainer's folder of a files-declared dataset, made once per content (staged, then renamed into place). */
function materialised(d: DeclaredDataset, cache: string): DatasetRef {
  const sha256 = declaredDigest(d);
  const dir = join(resolve(cache), `${d.name}-${sha256.slice(0, 16)}`);
  if (!existsSync(join(dir, 'dataset.json'))) {
    const tmp = stageDir(dir);
    try {
      materialiseDeclared(d, tmp);
      publishDir(tmp, dir, 'keep'); // another run made it first: theirs is kept
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { dir, sha256 };
}

/** A budget file over a manifest: JSON {dataset: N | {examples: N} | {epochs: E}}, every key a declared dataset. */
function budgetFile(path: string, names: readonly string[]): Record<string, DeclaredBudget> {
  if (!existsSync(path)) throw new InputError(path, null, 'file not found');
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(path, null, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || Object.keys(obj).length === 0) throw new InputError(path, null, 'expected an object {dataset: budget} naming at least one dataset');
  return Object.fromEntries(
    Object.entries(obj).map(([name, b]) => [
      name,
      declaredBudget(
        b,
        (why) => {
          throw new InputError(path, null, `${name}: ${why}`);
        },
        names,
        name,
      ),
    ]),
  );
}
