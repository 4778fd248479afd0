/**
 * Evaluation presets: each is plain data describing one evaluator's behaviour (spec:
 * ../shared/docs/ava-protocol.md, § numbers below). Code reads these fields; it never
 * branches on a preset's name.
 *
 * | field                | activitynet-2019 | activitynet (head) | activitynet-2018 | mmaction2       | slowfast  |
 * |----------------------|------------------|--------------------|------------------|-----------------|-----------|
 * | keyFormat            | int4             | decimal6           | int4             | int4            | int4      |
 * | twoColumnRows        | reject           | accept             | reject           | reject          | reject    |
 * | exclusions           | yes              | no                 | yes              | matching only   | yes       |
 * | cap (per keyframe)   | 50               | 50                 | none             | none            | none      |
 * | detOrder             | heap             | heap               | per-class argsort| stable desc     | file      |
 * | gtOrder              | heap by pid      | heap by pid        | file             | stable by pid   | file      |
 * | negative keyframes   | false positives  | only if key in GT  | false positives  | ignored         | false pos.|
 */

/** How a timestamp becomes part of a keyframe key (§2). */
export type KeyFormat = 'int4' | 'decimal6';

/**
 * Order of one keyframe's detections before greedy matching (§4.2, §9.2):
 * - `heap`: Python heapq top-K array, then a stable sort by descending score (official);
 * - `class-argsort`: file order, then per class numpy argsort reversed (2018's NMS step);
 * - `stable-desc`: file order, stable sort by descending score (MMAction2);
 * - `file`: file order (SlowFast).
 */
export type DetectionOrder = 'heap' | 'class-argsort' | 'stable-desc' | 'file';

/** Order of one keyframe's GT boxes (§4.1): by person id (heap or stable), or file order. */
export type GroundTruthOrder = 'heap-person-id' | 'stable-person-id' | 'file';

/**
 * Which detection keyframes are scored (§5):
 * - `all-false-positive`: every detection keyframe; without GT its detections are FPs (2019);
 * - `keys-in-gt-file`: only keys that appear anywhere in the GT file (head);
 * - `gt-keyframes`: only keyframes with whitelisted GT (MMAction2).
 */
export type NegativeKeyframes = 'all-false-positive' | 'keys-in-gt-file' | 'gt-keyframes';

export interface EvalPreset {
  readonly name: string;
  readonly description: string;
  readonly keyFormat: KeyFormat;
  /** Accept `video,timestamp` rows (GT: evaluated keyframe without boxes; predictions: ignored). */
  readonly twoColumnRows: boolean;
  /** Whether `--exclusions` removes GT and detections; `matching-only` keeps excluded GT in num_gt (MMAction2). */
  readonly exclusions: 'apply' | 'ignore' | 'matching-only';
  /** Top-K detections per keyframe over all classes; 0 = no cap (§4.2). */
  readonly cap: number;
  readonly detectionOrder: DetectionOrder;
  readonly groundTruthOrder: GroundTruthOrder;
  readonly negativeKeyframes: NegativeKeyframes;
  /** Detection rows must have 8 fields (SlowFast indexes row[7]); otherwise 7 gives score 1.0. */
  readonly requireScoreColumn: boolean;
  /** The GT 8th column is parsed with float() (official; SlowFast ignores it). */
  readonly parsePersonId: boolean;
  /** Boxes and scores rounded to float32 before IoU and ranking (MMAction2). */
  readonly float32: boolean;
  /** Invalid (zero-area/inverted) detections: dropped (official) or kept, inverted ones fatal (MMAction2). */
  readonly invalidDetections: 'drop' | 'keep-reject-inverted';
  /** A class with GT but no detections: AP 0 counted in the mean (official), or left out (MMAction2). */
  readonly classWithoutDetections: 'zero' | 'excluded';
  /** Detections with score <= this are dropped (2018's NMS helper filters at -10); -Infinity = none. */
  readonly scoreFloor: number;
  readonly iouThreshold: number;
}

const OFFICIAL_2019: EvalPreset = {
  name: 'activitynet-2019',
  description: 'Official ActivityNet evaluator, 2019 (3fee089): exclusions, integer timestamps, top-50 per keyframe, negative keyframes score false positives',
  keyFormat: 'int4',
  twoColumnRows: false,
  exclusions: 'apply',
  cap: 50,
  detectionOrder: 'heap',
  groundTruthOrder: 'heap-person-id',
  negativeKeyframes: 'all-false-positive',
  requireScoreColumn: false,
  parsePersonId: true,
  float32: false,
  invalidDetections: 'drop',
  classWithoutDetections: 'zero',
  scoreFloor: -Infinity,
  iouThreshold: 0.5,
};

export const EVAL_PRESETS = {
  'activitynet-2019': OFFICIAL_2019,
  activitynet: {
    ...OFFICIAL_2019,
    name: 'activitynet',
    description: 'Official ActivityNet evaluator, current upstream (82304fa): 2-column GT rows, decimal timestamps, no exclusions, detections on keyframes absent from the GT file ignored',
    keyFormat: 'decimal6',
    twoColumnRows: true,
    exclusions: 'ignore',
    negativeKeyframes: 'keys-in-gt-file',
  },
  'activitynet-2018': {
    ...OFFICIAL_2019,
    name: 'activitynet-2018',
    description: 'Official ActivityNet evaluator, 2018 (be7854e): as 2019 without the top-50 cap; per-class score sort, GT in file order',
    cap: 0,
    detectionOrder: 'class-argsort',
    groundTruthOrder: 'file',
    scoreFloor: -10,
  },
  mmaction2: {
    ...OFFICIAL_2019,
    name: 'mmaction2',
    description: 'MMAction2 ava_eval (4d6c934): no cap, float32 boxes/scores, GT keyframes only, excluded GT still counted, classes without detections left out of the mean',
    exclusions: 'matching-only',
    cap: 0,
    detectionOrder: 'stable-desc',
    groundTruthOrder: 'stable-person-id',
    negativeKeyframes: 'gt-keyframes',
    float32: true,
    invalidDetections: 'keep-reject-inverted',
    classWithoutDetections: 'excluded',
  },
  slowfast: {
    ...OFFICIAL_2019,
    name: 'slowfast',
    description: 'SlowFast ava_eval_helper (287ec00): no cap, detections matched in file order (not sorted by score), GT in file order, 8-column detections required',
    cap: 0,
    detectionOrder: 'file',
    groundTruthOrder: 'file',
    requireScoreColumn: true,
    parsePersonId: false,
  },
} as const satisfies Record<string, EvalPreset>;

export type EvalPresetName = keyof typeof EVAL_PRESETS;

export function getPreset(name: string): EvalPreset {
  const preset = (EVAL_PRESETS as Record<string, EvalPreset>)[name];
  if (preset === undefined) {
    throw new Error(`Unknown protocol '${name}'. Available: ${Object.keys(EVAL_PRESETS).join(', ')}`);
  }
  return preset;
}
