/**
 * The two sides of a paired comparison (`check`, `diff`): reads an `infer` result (per-keyframe
 * evidence inline) or an `eval` result (evidence in its sidecar, checked against the sha256 the
 * result records), and says why two results cannot be compared keyframe by keyframe.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../data/input-error.js';
import type { Split } from '../data/datasets.js';
import { rankMatches, type RankedMatches } from '../metrics/bootstrap.js';
import { readKeyframeSidecar, unpackKeyframes, type PackedKeyframes } from './keyframe-data.js';
import type { EvalResultDoc } from './result-doc.js';

/** An `infer` result: the eval document plus the variant and its per-keyframe evidence. */
export interface VariantResultDoc extends EvalResultDoc {
  readonly variant: { readonly model: string; readonly sha256: string; readonly contract: string; readonly benchmark: string; readonly split: Split };
  readonly perKeyframe: PackedKeyframes;
}

/** One side of a paired comparison (`check`, `diff`): an `infer` result (evidence inline) or an `eval` result (evidence in its sidecar). */
export interface PairedSide {
  readonly path: string;
  readonly doc: EvalResultDoc & Partial<Pick<VariantResultDoc, 'variant'>>;
  /** Each class's detections in rank order and GT per keyframe: what paired bootstraps read. */
  readonly ranked: RankedMatches;
}

/** Reads a result.json (or the directory holding it) of `infer` or `eval`. */
export function readPairedSide(arg: string): PairedSide {
  const path = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'result.json') : arg;
  if (!existsSync(path)) throw new InputError(path, null, 'file not found');
  let doc: PairedSide['doc'] & { perKeyframe?: PackedKeyframes };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (err) {
    throw new InputError(path, null, `not JSON (${(err as Error).message})`);
  }
  if (doc.perKeyframe !== undefined) return { path, doc, ranked: rankMatches(unpackKeyframes(doc.perKeyframe), doc.perClass.map((c) => c.id)) };
  if (doc.kind === 'frame-map' && doc.evidence !== undefined) {
    const side = join(dirname(path), doc.evidence.file);
    if (!existsSync(side)) throw new InputError(side, null, `file not found (named in ${path} as its per-keyframe evidence)`);
    const bytes = readFileSync(side);
    if (createHash('sha256').update(bytes).digest('hex') !== doc.evidence.sha256) throw new InputError(side, null, `does not match the sha256 recorded in ${path}`);
    return { path, doc, ranked: readKeyframeSidecar(side, bytes) };
  }
  throw new InputError(path, null, 'not a `cft-bench eval` or `cft-bench infer` result with per-keyframe evidence (rerun eval or infer with this cft-bench)');
}

/** Why two results cannot be compared keyframe by keyframe (null: they can). */
export function incomparable(a: PairedSide, b: PairedSide): string | null {
  if (a.doc.variant !== undefined && b.doc.variant !== undefined) {
    const [x, y] = [a.doc.variant, b.doc.variant];
    return x.benchmark === y.benchmark && x.split === y.split ? null : `evaluated on ${y.benchmark} ${y.split}, the baseline on ${x.benchmark} ${x.split}`;
  }
  const sha = (d: EvalResultDoc, role: string) => d.inputs.find((f) => f.role === role)?.sha256 ?? null;
  const diffs: string[] = [];
  if (sha(a.doc, 'gt') !== sha(b.doc, 'gt')) diffs.push('ground truth');
  const { description: _da, ...pa } = a.doc.protocol;
  const { description: _db, ...pb } = b.doc.protocol;
  if (pa.labelMap.sha256 !== pb.labelMap.sha256) diffs.push('label map');
  if (JSON.stringify(pa.exclusions) !== JSON.stringify(pb.exclusions)) diffs.push('exclusions');
  const rest = (p: typeof pa) => JSON.stringify({ ...p, labelMap: null, exclusions: null });
  if (rest(pa) !== rest(pb)) diffs.push(`protocol fingerprint (${a.doc.protocol.name} vs ${b.doc.protocol.name})`);
  return diffs.length === 0 ? null : `not comparable with the baseline: ${diffs.join(', ')} differ`;
}
