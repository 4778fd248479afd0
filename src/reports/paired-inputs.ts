/**
 * The two sides of a paired comparison (`check`, `diff`): reads an `infer` result (per-keyframe
 * evidence inline) or an `eval` result (evidence in its sidecar, checked against the sha256 the
 * result records), and says why two results cannot be compared keyframe by keyframe.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expandPathArgs } from '../data/path-args.js';
import { InputError } from '../data/input-error.js';
import type { Split } from '../data/datasets.js';
import type { RankedMatches } from '../metrics/bootstrap.js';
import { apOfRanking } from '../metrics/average-precision.js';
import { readKeyframeSidecar } from './keyframe-data.js';
import { EVAL_SCHEMA_VERSION, type EvalResultDoc } from './result-doc.js';

/** An `infer` result: the eval document plus the variant (its evidence in a sidecar, as eval's). */
export interface VariantResultDoc extends EvalResultDoc {
  readonly variant: {
    readonly model: string;
    readonly sha256: string;
    readonly contract: string;
    /** The dataset's name (an embedded benchmark's, or the one in a dataset directory's dataset.json). */
    readonly benchmark: string;
    /** A dataset directory the model ran on: its path relative to the result's folder (absent: an embedded benchmark). */
    readonly datasetDir?: string;
    readonly split: Split;
  };
}

/** One side of a paired comparison (`check`, `diff`): an `infer` result (evidence inline) or an `eval` result (evidence in its sidecar). */
export interface PairedSide {
  readonly path: string;
  readonly doc: EvalResultDoc & Partial<Pick<VariantResultDoc, 'variant'>>;
  /** Each class's detections in rank order and GT per keyframe: what paired bootstraps read. */
  readonly ranked: RankedMatches;
}

/**
 * Reads a result.json (or the directory holding it) of `infer` or `eval`, and trusts none of
 * it unverified: its shape is checked, its evidence sidecar must match the sha256 it records,
 * and every AP and mAP it states must be what that evidence gives — an edited number, or a
 * result beside another run's evidence, is refused (InputError), never shown.
 */
export function readPairedSide(arg: string): PairedSide {
  if (/\.onnx$/i.test(arg)) throw new InputError(arg, null, 'an ONNX model can only be the candidate; a baseline is the result of `cft-bench infer` or `eval` (its directory or result.json), e.g. baselines/default');
  const path = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'result.json') : arg;
  if (!existsSync(path)) throw new InputError(path, null, 'file not found (expected the result.json of `cft-bench eval` or `cft-bench infer`, or its directory)');
  let doc: PairedSide['doc'];
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (err) {
    throw new InputError(path, null, `not JSON (${(err as Error).message}); expected the result.json of \`cft-bench eval\` or \`cft-bench infer\``);
  }
  checkShape(path, doc);
  if (doc.evidence === undefined) throw new InputError(path, null, 'no per-keyframe evidence (a result of an older cft-bench?): rerun eval or infer with this cft-bench');
  const side = join(dirname(path), doc.evidence.file);
  if (!existsSync(side)) throw new InputError(side, null, `file not found (named in ${path} as its per-keyframe evidence)`);
  const bytes = readFileSync(side);
  if (createHash('sha256').update(bytes).digest('hex') !== doc.evidence.sha256) throw new InputError(side, null, `does not match the sha256 recorded in ${path}`);
  const ranked = readKeyframeSidecar(side, bytes);
  checkAgainstEvidence(path, doc, ranked);
  return { path, doc, ranked };
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isScore = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1);

/** The fields paired statistics read, with the types they must have. */
function checkShape(path: string, doc: PairedSide['doc']): void {
  const bad = (field: string, why: string): never => {
    throw new InputError(path, null, `${field}: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('(top level)', 'not an object');
  if (doc.kind !== 'frame-map') bad('kind', `${JSON.stringify(doc.kind)}, expected "frame-map" (a result of \`cft-bench eval\` or \`cft-bench infer\`)`);
  if (doc.schemaVersion !== EVAL_SCHEMA_VERSION) bad('schemaVersion', `${JSON.stringify(doc.schemaVersion)}; this cft-bench reads ${EVAL_SCHEMA_VERSION} (rerun eval or infer with it)`);
  if (typeof doc.grouping !== 'object' || doc.grouping === null || typeof doc.grouping.rule !== 'string') bad('grouping', 'missing or not {rule, countsSource}');
  if (!isScore(doc.mAP)) bad('mAP', `${JSON.stringify(doc.mAP)} is not a score in [0, 1]`);
  if (!Array.isArray(doc.perClass) || doc.perClass.length === 0) bad('perClass', 'missing or empty');
  const ids = new Set<number>();
  doc.perClass.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || !isInt(c.id) || ids.has(c.id)) bad(`perClass[${i}].id`, 'missing, not an integer, or repeated');
    if (!isScore(c.ap)) bad(`perClass[${i}].ap`, `${JSON.stringify(c.ap)} is not a score in [0, 1]`);
    if (!isInt(c.numGt) || c.numGt < 0) bad(`perClass[${i}].numGt`, 'not a count');
    ids.add(c.id);
  });
  if (typeof doc.groups !== 'object' || doc.groups === null || Array.isArray(doc.groups)) bad('groups', `${JSON.stringify(doc.groups)} is not an object of groups`);
  for (const [g, v] of Object.entries(doc.groups)) {
    if (typeof v !== 'object' || v === null || !Array.isArray(v.classes) || !v.classes.every((id) => ids.has(id))) bad(`groups.${g}.classes`, 'not a list of the class ids in perClass');
    if (!isScore(v.mAP)) bad(`groups.${g}.mAP`, `${JSON.stringify(v.mAP)} is not a score in [0, 1]`);
  }
  if (!Array.isArray(doc.inputs) || typeof doc.protocol !== 'object' || doc.protocol === null || typeof doc.protocol.labelMap?.sha256 !== 'string') bad('inputs/protocol', 'missing (not a complete result.json)');
  const e = doc.evidence;
  if (e !== undefined && (typeof e !== 'object' || e === null || typeof e.file !== 'string' || e.file.includes('/') || e.file.includes('\\') || typeof e.sha256 !== 'string')) bad('evidence', 'not {file (a name beside result.json), sha256}');
  if (doc.variant !== undefined && (typeof doc.variant.benchmark !== 'string' || !['val', 'test', 'train'].includes(doc.variant.split))) bad('variant', 'not {benchmark, split}');
}

/** Every AP and mAP the document states must be what its evidence gives (1e-9). */
function checkAgainstEvidence(path: string, doc: PairedSide['doc'], ranked: RankedMatches): void {
  const ids = doc.perClass.map((c) => c.id);
  if (ids.length !== ranked.byClass.size || ids.some((id) => !ranked.byClass.has(id))) throw new InputError(path, null, 'its classes are not those of its evidence sidecar (a sidecar of another evaluation?)');
  const same = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9);
  const ap = new Map<number, number | null>();
  for (const c of doc.perClass) {
    const v = apOfRanking(ranked.byClass.get(c.id)!.tp, c.numGt);
    ap.set(c.id, Number.isNaN(v) ? null : v);
    if (!same(c.ap, ap.get(c.id)!) && !(c.ap === null && ranked.byClass.get(c.id)!.kf.length === 0)) {
      throw new InputError(path, null, `perClass id ${c.id}: AP ${c.ap} is not what its evidence gives (${ap.get(c.id)}): the result was edited, or is not this evidence's`);
    }
  }
  const mean = (list: readonly number[]) => {
    const v = list.map((id) => doc.perClass.find((c) => c.id === id)!.ap).filter((x): x is number => x !== null);
    return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
  };
  if (!same(doc.mAP, mean(ids))) throw new InputError(path, null, `mAP ${doc.mAP} is not the mean of its per-class APs (${mean(ids)}): the result was edited`);
  for (const [g, v] of Object.entries(doc.groups)) {
    if (!same(v.mAP, mean(v.classes))) throw new InputError(path, null, `groups.${g}.mAP ${v.mAP} is not the mean of its classes' APs (${mean(v.classes)}): the result was edited`);
  }
}

/** Why two results cannot be compared keyframe by keyframe (null: they can). */
export function incomparable(a: PairedSide, b: PairedSide): string | null {
  if (a.doc.variant !== undefined && b.doc.variant !== undefined) {
    const [x, y] = [a.doc.variant, b.doc.variant];
    if (x.benchmark !== y.benchmark || x.split !== y.split) return `evaluated on ${y.benchmark} ${y.split}, the baseline on ${x.benchmark} ${x.split}`;
    return sameGrouping(a.doc, b.doc) ? null : 'not comparable with the baseline: head/mid/tail grouping differs';
  }
  // GT and label map by content (the same rows written twice compare equal); by bytes for results that predate it
  const same = (role: string) => {
    const [x, y] = [a.doc.inputs.find((f) => f.role === role), b.doc.inputs.find((f) => f.role === role)];
    return x?.contentSha256 !== undefined && y?.contentSha256 !== undefined ? x.contentSha256 === y.contentSha256 : x?.sha256 === y?.sha256;
  };
  const diffs: string[] = [];
  if (!same('gt')) diffs.push('ground truth');
  const { description: _da, ...pa } = a.doc.protocol;
  const { description: _db, ...pb } = b.doc.protocol;
  if (!same('labelmap')) diffs.push('label map');
  if (JSON.stringify(pa.exclusions) !== JSON.stringify(pb.exclusions)) diffs.push('exclusions');
  const rest = (p: typeof pa) => JSON.stringify({ ...p, labelMap: { classes: p.labelMap.classes, maxId: p.labelMap.maxId }, exclusions: null });
  if (rest(pa) !== rest(pb)) diffs.push(`protocol fingerprint (${a.doc.protocol.name} vs ${b.doc.protocol.name})`);
  if (!sameGrouping(a.doc, b.doc)) diffs.push('head/mid/tail grouping');
  return diffs.length === 0 ? null : `not comparable with the baseline: ${diffs.join(', ')} differ`;
}

/** Both results group the same classes under the same names (a Δ per group needs one grouping). */
function sameGrouping(a: EvalResultDoc, b: EvalResultDoc): boolean {
  const of = (d: EvalResultDoc) => JSON.stringify(Object.entries(d.groups).map(([g, v]) => [g, [...v.classes].sort((x, y) => x - y)]).sort());
  return of(a) === of(b);
}

/** Results named on the command line (quoted globs expanded): several are one recipe's training seeds. */
export const expandResultPaths = (args: readonly string[], option: string): string[] => expandPathArgs(args, option, { onlyFiles: false });

/** readPairedSide of every result named (globs expanded). */
export function readPairedSides(args: readonly string[], option: string): PairedSide[] {
  return expandResultPaths(args, option).map(readPairedSide);
}
