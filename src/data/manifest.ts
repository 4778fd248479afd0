/**
 * A benchmark manifest: the user's datasets declared by name, in YAML or JSON, with the
 * budgets a comparison gives each. Paths are relative to the manifest. Every problem is bad
 * input naming the file and the field (`bench.yaml: datasets.ava.val.gt: file not found`).
 *
 *   downstream: ava                      # default: the only localisation set
 *   upstream: [kinetics]                 # default: every classification set, in order
 *   batch: 32
 *   datasets:
 *     ava:
 *       kind: localisation               # AVA format
 *       labelmap: ava/labelmap.pbtxt
 *       preset: activitynet-2019         # the evaluation protocol (default)
 *       train: { gt: ava/train.csv }     # its keyframes are the training examples
 *       val: { gt: ava/val.csv, exclusions: ava/val_excluded.csv, proposals: ava/val_dets.csv }
 *       clips: ava-clips/                # optional: <split>_clips.npy, uint8 [N, T, H, W, C], row i = example i
 *     kinetics:
 *       kind: classification
 *       classes: kinetics/classes.csv    # or a count: 700
 *       train: { list: kinetics/train.csv }   # or { size: 545317 }: a plan before the data is here
 *     synth:
 *       export: my-export/synth-ava      # a `data export` directory is a dataset as it is
 *   budgets:
 *     ava: { epochs: 20 }                # or { examples: 4200000 }, or a plain number of examples
 *     kinetics: { examples: 16000000 }
 *   upstreamTotal: 64000                 # instead of per-upstream budgets: one total, dealt out
 *                                        # equally over the upstream sets a protocol trains on
 *
 * The embedded benchmark is one such manifest (src/data/embedded.yaml, EMBEDDED_MANIFEST).
 *
 * Training example ids: a localisation set's are its train keyframes sorted by video id, then
 * timestamp (written out for trainers as `train_keyframes.csv`); a classification set's are the
 * rows of its train list, in order (after a header line).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Split } from './datasets.js';
import { DATASET_FORMAT } from './dataset-files.js';
import { InputError } from './input-error.js';
import { readNpyHeader, type NpyHeader } from './npy.js';
import { EMBEDDED_DATASETS } from './benchmarks.js';

export const MANIFEST_FORMAT = 'cft-bench-manifest/1';

/** Where a declared dataset's data is. */
export type DatasetSource =
  | { readonly kind: 'embedded'; readonly name: string }
  | { readonly kind: 'export'; readonly dir: string }
  | { readonly kind: 'files'; readonly files: Readonly<Record<string, string>>; readonly clips: string | null };

export interface DeclaredDataset {
  readonly name: string;
  readonly kind: 'localisation' | 'classification';
  /** Examples per split (train: what the plan draws example ids from); null: the split is not declared. */
  readonly sizes: Readonly<Partial<Record<Split, number>>>;
  readonly source: DatasetSource;
  /** The evaluation preset (localisation). */
  readonly preset: string | null;
  /** A classification set's class count when declared as a number (`classes: 700`). */
  readonly classCount?: number;
}

export type DeclaredBudget = { readonly examples: number } | { readonly epochs: number };

export interface Manifest {
  /** The manifest file ('(built in)' for the embedded benchmark). */
  readonly path: string;
  readonly datasets: Readonly<Record<string, DeclaredDataset>>;
  readonly downstream: string;
  readonly upstream: readonly string[];
  readonly budgets: Readonly<Record<string, DeclaredBudget>>;
  /** One budget of upstream examples for every protocol, dealt out equally over the upstream sets it trains on (instead of a budget per upstream set). */
  readonly upstreamTotal: number | null;
  readonly batch: number | null;
}

/** The embedded benchmark's manifest: what `compare` runs without --manifest (beside this module in the sources and the package). */
export const EMBEDDED_MANIFEST = fileURLToPath(new URL('../../src/data/embedded.yaml', import.meta.url));

const SPLITS: readonly Split[] = ['train', 'val', 'test'];
const NAME = /^[A-Za-z0-9][\w.-]*$/;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads and checks a manifest; every file it names must exist (sizes of files are counted here). */
export function readManifest(path: string): Manifest {
  if (!existsSync(path)) throw new InputError(path, null, 'file not found');
  let doc: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    doc = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new InputError(path, null, `not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  const fail = (field: string, why: string): never => {
    throw new InputError(path, null, `${field}: ${why}`);
  };
  if (!isObj(doc)) return fail('(top level)', 'expected a mapping with `datasets:`');
  known(doc, ['format', 'downstream', 'upstream', 'batch', 'datasets', 'budgets', 'upstreamTotal'], '', fail);
  if (doc['format'] !== undefined && doc['format'] !== MANIFEST_FORMAT) fail('format', `must be ${MANIFEST_FORMAT} (or left out)`);
  const base = dirname(resolve(path));
  if (!isObj(doc['datasets']) || Object.keys(doc['datasets']).length === 0) fail('datasets', 'missing or empty (declare each dataset by name)');
  const datasets: Record<string, DeclaredDataset> = {};
  for (const [name, raw] of Object.entries(doc['datasets'] as Obj)) {
    if (!NAME.test(name)) fail(`datasets.${name}`, 'a name is letters, digits, `_`, `-` or `.`, starting with a letter or digit');
    datasets[name] = declaredDataset(name, raw, base, (f, why) => fail(`datasets.${name}${f === '' ? '' : `.${f}`}`, why));
  }
  const names = Object.keys(datasets);
  const loc = names.filter((n) => datasets[n]!.kind === 'localisation');
  const cls = names.filter((n) => datasets[n]!.kind === 'classification');
  let downstream = doc['downstream'];
  if (downstream === undefined) {
    if (loc.length !== 1) fail('downstream', loc.length === 0 ? 'no localisation dataset is declared' : `several localisation datasets (${loc.join(', ')}): name one`);
    downstream = loc[0];
  }
  if (typeof downstream !== 'string' || datasets[downstream] === undefined) fail('downstream', `${JSON.stringify(downstream)} is not a declared dataset (${names.join(', ')})`);
  if (datasets[downstream as string]!.kind !== 'localisation') fail('downstream', `${downstream} is a classification set; the downstream set is a localisation set`);
  let upstream = doc['upstream'] ?? cls;
  if (typeof upstream === 'string') upstream = [upstream];
  if (!Array.isArray(upstream)) fail('upstream', 'expected a list of dataset names');
  for (const [i, u] of (upstream as unknown[]).entries()) {
    if (typeof u !== 'string' || datasets[u] === undefined) fail(`upstream[${i}]`, `${JSON.stringify(u)} is not a declared dataset (${names.join(', ')})`);
    if (datasets[u as string]!.kind !== 'classification') fail(`upstream[${i}]`, `${u} is a localisation set; upstream sets are classification sets`);
  }
  if (new Set(upstream as string[]).size !== (upstream as string[]).length) fail('upstream', 'a dataset is named twice');
  const batch = doc['batch'];
  if (batch !== undefined && !(Number.isInteger(batch) && (batch as number) > 0 && (batch as number) <= 65536)) fail('batch', `expected a whole number from 1 to 65536 (got ${JSON.stringify(batch)})`);
  const budgets: Record<string, DeclaredBudget> = {};
  if (doc['budgets'] !== undefined) {
    if (!isObj(doc['budgets'])) fail('budgets', 'expected a mapping {dataset: budget}');
    for (const [name, b] of Object.entries(doc['budgets'] as Obj)) budgets[name] = declaredBudget(b, (why) => fail(`budgets.${name}`, why), names, name);
  }
  const total = doc['upstreamTotal'];
  if (total !== undefined) {
    if (!(Number.isInteger(total) && (total as number) > 0)) fail('upstreamTotal', `expected a whole number of examples > 0 (got ${JSON.stringify(total)})`);
    const own = (upstream as string[]).filter((u) => budgets[u] !== undefined);
    if (own.length > 0) fail('upstreamTotal', `and budgets.${own[0]}: give each upstream set its own budget, or one upstream total, not both`);
  }
  return { path, datasets, downstream: downstream as string, upstream: upstream as string[], budgets, upstreamTotal: (total as number | undefined) ?? null, batch: (batch as number | undefined) ?? null };
}

/** A budget: `{examples: N}`, `{epochs: E}`, or a plain N (examples). Its dataset must be declared. */
export function declaredBudget(b: unknown, fail: (why: string) => never, names: readonly string[], name?: string): DeclaredBudget {
  if (name !== undefined && !names.includes(name)) fail(`unknown dataset (declared: ${names.join(', ')})`);
  const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (typeof b === 'number') {
    if (!(Number.isInteger(b) && b > 0)) fail(`expected a whole number of examples > 0 (got ${b})`);
    return { examples: b };
  }
  if (!isObj(b)) return fail('expected {examples: N} or {epochs: E}');
  const keys = Object.keys(b);
  if (keys.length !== 1 || (keys[0] !== 'examples' && keys[0] !== 'epochs')) fail(`expected exactly one of examples, epochs (got ${keys.join(', ') || 'nothing'})`);
  if (b['examples'] !== undefined) {
    if (!(Number.isInteger(b['examples']) && positive(b['examples']))) fail(`examples: expected a whole number > 0 (got ${JSON.stringify(b['examples'])})`);
    return { examples: b['examples'] as number };
  }
  if (!positive(b['epochs'])) fail(`epochs: expected a number > 0 (got ${JSON.stringify(b['epochs'])})`);
  return { epochs: b['epochs'] as number };
}

function known(o: Obj, keys: readonly string[], prefix: string, fail: (field: string, why: string) => never): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${prefix}${k}`, `unknown field (expected: ${keys.join(', ')})`);
}

function declaredDataset(name: string, raw: unknown, base: string, fail: (field: string, why: string) => never): DeclaredDataset {
  if (!isObj(raw)) return fail('', 'expected a mapping (kind, files or export)');
  const file = (field: string, v: unknown, dir = false): string => {
    if (typeof v !== 'string' || v === '') return fail(field, 'expected a path');
    const p = resolve(base, v);
    if (!existsSync(p)) fail(field, `${dir ? 'folder' : 'file'} not found (${p})`);
    if (statSync(p).isDirectory() !== dir) fail(field, `expected a ${dir ? 'folder' : 'file'} (${p})`);
    return p;
  };
  if (raw['embedded'] !== undefined) {
    known(raw, ['embedded', 'kind'], '', fail);
    const e = raw['embedded'];
    if (typeof e !== 'string' || !(e in EMBEDDED_DATASETS)) fail('embedded', `unknown embedded dataset ${JSON.stringify(e)} (${Object.keys(EMBEDDED_DATASETS).join(', ')})`);
    const kind = e === 'synth-ava' ? 'localisation' : 'classification';
    if (raw['kind'] !== undefined && raw['kind'] !== kind) fail('kind', `${e} is a ${kind} set`);
    return { name, kind, sizes: {}, source: { kind: 'embedded', name: e as string }, preset: kind === 'localisation' ? 'activitynet-2019' : null };
  }
  if (raw['export'] !== undefined) {
    known(raw, ['export', 'kind'], '', fail);
    const dir = file('export', raw['export'], true);
    const metaPath = resolve(dir, 'dataset.json');
    if (!existsSync(metaPath)) fail('export', `${metaPath}: file not found (a \`data export\` folder has dataset.json)`);
    let meta: { format?: unknown; kind?: unknown; sizes?: unknown };
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as typeof meta;
    } catch (err) {
      return fail('export', `${metaPath}: not valid JSON (${(err as Error).message})`);
    }
    if (meta.format !== DATASET_FORMAT) fail('export', `${metaPath}: format must be ${DATASET_FORMAT}`);
    if (meta.kind !== 'localisation' && meta.kind !== 'classification') fail('export', `${metaPath}: kind must be localisation or classification`);
    if (raw['kind'] !== undefined && raw['kind'] !== meta.kind) fail('kind', `${raw['kind']}, but the export folder holds a ${meta.kind} set`);
    const sizes = isObj(meta.sizes) ? (meta.sizes as Partial<Record<Split, number>>) : {};
    return { name, kind: meta.kind, sizes, source: { kind: 'export', dir }, preset: meta.kind === 'localisation' ? 'activitynet-2019' : null };
  }
  const kind = raw['kind'];
  if (kind !== 'localisation' && kind !== 'classification') return fail('kind', `expected localisation (AVA format) or classification (got ${JSON.stringify(kind)})`);
  const files: Record<string, string> = {};
  const sizes: Partial<Record<Split, number>> = {};
  let preset: string | null = null;
  let clips: string | null = null;
  let classCount: number | undefined;
  if (kind === 'localisation') {
    known(raw, ['kind', 'labelmap', 'preset', 'train', 'val', 'test', 'clips'], '', fail);
    files['labelmap'] = file('labelmap', raw['labelmap']);
    // the preset's name (checked against the evaluator's presets where the manifest is used)
    preset = raw['preset'] === undefined ? 'activitynet-2019' : String(raw['preset']);
    if (raw['clips'] !== undefined) clips = file('clips', raw['clips'], true);
  } else {
    known(raw, ['kind', 'classes', 'train', 'val', 'test', 'clips'], '', fail);
    const c = raw['classes'];
    if (typeof c === 'number') {
      if (!(Number.isInteger(c) && c > 1)) fail('classes', `expected a class count > 1 or a classes file (got ${c})`);
      classCount = c;
    } else files['classes'] = file('classes', c);
    if (raw['clips'] !== undefined) clips = file('clips', raw['clips'], true);
  }
  const splitFields = kind === 'localisation' ? ['gt', 'exclusions', 'proposals', 'size'] : ['list', 'size'];
  const main = kind === 'localisation' ? 'gt' : 'list';
  for (const split of SPLITS) {
    const s = raw[split];
    if (s === undefined) continue;
    if (!isObj(s)) fail(split, `expected a mapping (${splitFields.join(', ')})`);
    const o = s as Obj;
    known(o, splitFields, `${split}.`, fail);
    for (const f of splitFields.filter((x) => x !== 'size' && o[x] !== undefined)) files[`${split}.${f}`] = file(`${split}.${f}`, o[f]);
    const declared = o['size'];
    if (declared !== undefined && !(Number.isInteger(declared) && (declared as number) > 0)) fail(`${split}.size`, `expected a whole number of examples > 0 (got ${JSON.stringify(declared)})`);
    const counted = files[`${split}.${main}`] !== undefined ? (kind === 'localisation' ? countKeyframes(files[`${split}.${main}`]!) : countListRows(files[`${split}.${main}`]!)) : undefined;
    if (counted === undefined && declared === undefined) fail(split, `give ${main} (a file) or size (a count, to plan before the data is here)`);
    if (counted !== undefined && declared !== undefined && counted !== declared) fail(`${split}.size`, `${declared}, but ${files[`${split}.${main}`]} has ${counted} ${kind === 'localisation' ? 'keyframes' : 'rows'}`);
    sizes[split] = (counted ?? declared) as number;
  }
  if (sizes.train === undefined) fail('train', `missing (the training examples: ${main} or size)`);
  if (clips !== null) checkClips(clips, sizes, (why) => fail('clips', why));
  return { name, kind, sizes, source: { kind: 'files', files, clips }, preset, ...(classCount !== undefined ? { classCount } : {}) };
}

/**
 * A `clips:` folder holds `<split>_clips.npy` for every declared split: uint8 [N, T, H, W, C],
 * row i the pixels of example id i (the `data export` layout), N the split's size, one shape.
 */
function checkClips(dir: string, sizes: Partial<Record<Split, number>>, fail: (why: string) => never): void {
  let shape: string | null = null;
  for (const split of SPLITS.filter((x) => sizes[x] !== undefined)) {
    const p = resolve(dir, `${split}_clips.npy`);
    if (!existsSync(p)) fail(`${split}_clips.npy: file not found in ${dir} (the ${split} split is declared)`);
    let h: NpyHeader;
    try {
      h = readNpyHeader(p);
    } catch (err) {
      return fail(`${split}_clips.npy: ${(err as Error).message}`);
    }
    if (h.dtype !== '|u1' || h.shape.length !== 5) fail(`${split}_clips.npy: expected uint8 [examples, frames, height, width, channels], got ${h.dtype} [${h.shape.join(', ')}]`);
    if (h.shape[0] !== sizes[split]) fail(`${split}_clips.npy: ${h.shape[0]} clips, but the ${split} split has ${sizes[split]} examples (row i = example id i)`);
    const s = h.shape.slice(1).join(',');
    if (shape !== null && s !== shape) fail(`${split}_clips.npy: clips of [${s}], the other splits' are [${shape}]`);
    shape = s;
  }
}

/** Distinct `video,timestamp` keyframes of an AVA CSV (the ids of a localisation set's examples). */
function countKeyframes(path: string): number {
  const keys = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line === '') continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0) continue; // malformed rows are the evaluator's to report, with their line
    keys.add(`${line.slice(0, c1)},${Number(line.slice(c1 + 1, c2))}`);
  }
  return keys.size;
}

/** Rows of a classification list after its header line. */
function countListRows(path: string): number {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l !== '');
  return Math.max(0, lines.length - 1);
}

/** A budget in examples: epochs × the train size, in whole batches. */
export function budgetExamples(b: DeclaredBudget, trainSize: number, batch: number): number {
  const examples = 'examples' in b ? b.examples : b.epochs * trainSize;
  return Math.max(1, Math.round(examples / batch)) * batch;
}
