/**
 * The eval result document (`result.json`): everything a report shows, as plain JSON with a
 * schema version. Reports (CSV, Markdown, terminal) only read a ResultDoc; they never
 * recompute. NaN (a class without GT) is written as null, as in the parity fixtures.
 *
 * No timestamps or timings inside: the same inputs give a byte-identical document.
 */
import type { ShardSummary } from '../data/prediction-shards.js';
import type { InputFileInfo } from '../data/ava-inputs.js';
import type { FrameMapRun } from '../metrics/evaluator.js';
import type { GroupScore } from '../metrics/class-groups.js';

export const EVAL_SCHEMA_VERSION = 1;

export type CountsSource = 'train-gt' | 'class-counts' | 'evaluated-gt' | 'group-file';

export interface ProtocolFingerprint {
  readonly name: string;
  readonly description: string;
  readonly labelMap: { readonly sha256: string; readonly classes: number; readonly maxId: number };
  readonly keyFormat: string;
  readonly exclusions: { readonly policy: string; readonly sha256: string | null; readonly keyframes: number };
  readonly negativeKeyframes: string;
  readonly cap: number | null;
  readonly iouThreshold: number;
  readonly ties: 'exact' | 'bounds';
  readonly tieRule: string;
  readonly detectionOrder: string;
  readonly groundTruthOrder: string;
  readonly float32: boolean;
  readonly classWithoutDetections: string;
}

export interface PerClassRow {
  readonly id: number;
  readonly name: string;
  readonly group: string;
  readonly trainCount: number | null;
  readonly numGt: number;
  readonly numDets: number;
  readonly numTp: number;
  readonly ap: number | null;
  readonly apMin?: number | null;
  readonly apMax?: number | null;
}

export interface EvalResultDoc {
  readonly schemaVersion: number;
  readonly kind: 'frame-map';
  readonly tool: { readonly name: 'cft-bench'; readonly version: string };
  readonly protocol: ProtocolFingerprint;
  readonly inputs: readonly InputFileInfo[];
  /** The per-keyframe evidence for paired statistics (`check`, `diff`), in a sidecar file next to this one. */
  readonly evidence?: { readonly file: string; readonly format: string; readonly sha256: string; readonly bytes: number };
  /** Present when the predictions came as several shards: how they merged. */
  readonly shards?: ShardSummary;
  readonly mAP: number | null;
  readonly mAPRange?: readonly [number | null, number | null];
  readonly groups: Record<string, { readonly mAP: number | null; readonly classes: number[]; readonly classesWithGt: number }>;
  readonly grouping: { readonly rule: string; readonly countsSource: CountsSource; readonly countsPath: string | null; readonly note: string | null };
  readonly perClass: readonly PerClassRow[];
  readonly counts: {
    readonly gt: Record<string, number>;
    readonly predictions: Record<string, number>;
    readonly exclusions: Record<string, number> | null;
    readonly keyframes: Record<string, number>;
  };
}

export interface GroupingInfo {
  readonly rule: string;
  readonly countsSource: CountsSource;
  readonly countsPath: string | null;
  readonly note: string | null;
  readonly groupOf: ReadonlyMap<number, string>;
  readonly trainCounts: ReadonlyMap<number, number> | null;
  readonly scores: readonly GroupScore[];
}

const num = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);

export function buildEvalResultDoc(run: FrameMapRun, grouping: GroupingInfo, ties: 'exact' | 'bounds', version: string): EvalResultDoc {
  const p = run.preset;
  const lm = run.files.find((f) => f.role === 'labelmap')!;
  const ex = run.files.find((f) => f.role === 'exclusions');
  const c = run.counts;
  const bad = (b: Record<string, number>) => Object.fromEntries(Object.entries(b).map(([k, v]) => [`badRows.${k}`, v]));
  const fate = run.evaluation.fate;
  return {
    schemaVersion: EVAL_SCHEMA_VERSION,
    kind: 'frame-map',
    tool: { name: 'cft-bench', version },
    protocol: {
      name: p.name,
      description: p.description,
      labelMap: { sha256: lm.sha256, classes: run.labelMap.classes.length, maxId: run.labelMap.maxId },
      keyFormat: p.keyFormat === 'int4' ? 'video,%04d (integer timestamps)' : 'video,%.6f (decimal timestamps)',
      exclusions: { policy: ex === undefined ? 'none given' : p.exclusions, sha256: ex?.sha256 ?? null, keyframes: run.exclusionKeys },
      negativeKeyframes: p.negativeKeyframes,
      cap: p.cap > 0 ? p.cap : null,
      iouThreshold: p.iouThreshold,
      ties,
      tieRule: 'official: np.argsort (numpy 1.24 introsort) reversed' + (ties === 'bounds' ? '; bounds: FPs-first .. TPs-first' : ''),
      detectionOrder: p.detectionOrder,
      groundTruthOrder: p.groundTruthOrder,
      float32: p.float32,
      classWithoutDetections: p.classWithoutDetections,
    },
    inputs: run.files,
    ...(run.shards !== null ? { shards: run.shards } : {}),
    mAP: num(run.summary.mAP),
    ...(run.summary.mAPRange ? { mAPRange: [num(run.summary.mAPRange[0]), num(run.summary.mAPRange[1])] as const } : {}),
    groups: Object.fromEntries(grouping.scores.map((g) => [g.name, { mAP: num(g.mAP), classes: g.classes, classesWithGt: g.classesWithGt }])),
    grouping: { rule: grouping.rule, countsSource: grouping.countsSource, countsPath: grouping.countsPath, note: grouping.note },
    perClass: run.summary.classes.map((k) => ({
      id: k.id,
      name: k.name,
      group: grouping.groupOf.get(k.id)!,
      trainCount: grouping.trainCounts?.get(k.id) ?? null,
      numGt: k.numGt,
      numDets: k.numDets,
      numTp: k.numTp,
      ap: num(k.ap),
      ...(ties === 'bounds' ? { apMin: num(k.apMin), apMax: num(k.apMax) } : {}),
    })),
    counts: {
      gt: { rowsRead: c.gt.rows, notInLabelMap: c.gt.notInLabelMap, twoColumnRows: c.gt.twoColumn, excludedKeyframe: run.evaluation.gtRowsExcluded, ...bad(c.gt.bad) },
      predictions: {
        rowsRead: c.predictions.rows,
        notInLabelMap: c.predictions.notInLabelMap,
        twoColumnRows: c.predictions.twoColumn,
        overCap: c.overCap,
        excludedKeyframe: fate.excludedKeyframe,
        ignoredKeyframe: fate.ignoredKeyframe,
        invalidBox: fate.invalidBox,
        belowScoreFloor: fate.belowScoreFloor,
        scored: run.evaluation.matches.length,
        scoredOnNegativeKeyframes: fate.negativeKeyframe,
        ...bad(c.predictions.bad),
      },
      exclusions: c.exclusions === null ? null : { rowsRead: c.exclusions.rows, ...bad(c.exclusions.bad) },
      keyframes: { gtScored: run.evaluation.gtKeyframes, detectionsScored: run.evaluation.detKeyframes },
    },
  };
}
