/**
 * The two dataset kinds a protocol trains on, as small interfaces over plain data:
 *
 * - classification: clip → one label (upstream sets: synth-kinetics, Kinetics-like files);
 * - localisation: clip + person boxes at the keyframe → multi-label actions per box, plus
 *   "detected person" boxes with detector scores for inference (AVA-like: synth-ava, files).
 *
 * Clips are uint8 [T, H, W, C] (THWC, row-major), the NPY layout of file-backed sets. Examples
 * are addressed by (split, index) and produced on demand, so a dataset never has to be in
 * memory as a whole.
 */

export type Split = 'train' | 'val' | 'test';

export interface ClipShape {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export const clipLength = (s: ClipShape): number => s.frames * s.height * s.width * s.channels;

/** Normalised [x1, y1, x2, y2], (x1, y1) top left. */
export type Box = readonly [number, number, number, number];

export interface ClassificationExample {
  readonly clip: Uint8Array;
  readonly label: number;
}

export interface Detection {
  readonly box: Box;
  /** Person-detector confidence in (0, 1]. */
  readonly score: number;
}

export interface LocalisationExample {
  readonly clip: Uint8Array;
  /** AVA keyframe identity. */
  readonly videoId: string;
  readonly timestamp: number;
  /** GT person boxes at the keyframe and each person's action class ids (label-map ids). */
  readonly boxes: readonly Box[];
  readonly labels: readonly (readonly number[])[];
  /** Boxes of non-persons (distractors): all-negative ROIs for training. */
  readonly negatives: readonly Box[];
  /** Person-detector boxes for inference. */
  readonly detections: readonly Detection[];
}

/** Where cft-bench scores a set declared by its annotation files (declared-files.ts): the user's own GT, exclusions and preset. */
export interface EvaluationFiles {
  readonly preset: string;
  readonly labelMap: string;
  readonly splits: Readonly<Partial<Record<Split, { readonly gt: string; readonly exclusions: string | null }>>>;
}

export interface DatasetInfo {
  readonly name: string;
  readonly description: string;
  readonly shape: ClipShape;
  /** Examples per split (a split absent from the map has none). */
  readonly sizes: Readonly<Partial<Record<Split, number>>>;
}

export interface ClassificationDataset extends DatasetInfo {
  readonly kind: 'classification';
  readonly classes: readonly string[];
  example(split: Split, index: number): ClassificationExample;
  /** Example `index`'s class index alone (no clip): what upstream predictions are scored against. */
  label(split: Split, index: number): number;
}

export interface LocalisationClass {
  readonly id: number;
  readonly name: string;
}

export interface LocalisationDataset extends DatasetInfo {
  readonly kind: 'localisation';
  readonly classes: readonly LocalisationClass[];
  /** Keyframe index within a clip. */
  readonly keyframe: number;
  example(split: Split, index: number): LocalisationExample;
  /** Per-class GT instance counts in the train split (they define head/mid/tail). */
  trainCounts(): Map<number, number>;
  /** A set declared by its annotation files: predictions are scored on these (the user's own GT, exclusions, preset). */
  readonly evaluationFiles?: EvaluationFiles;
}

export type Dataset = ClassificationDataset | LocalisationDataset;
