/**
 * The frame-mAP evaluator end to end on files: read (src/data) → evaluate → accumulate →
 * summarize (frame-map.ts). This is the programmatic entry the CLI and tests use.
 */
import { readEvalInputs, type EvalFilePaths, type LoadedInputs } from '../data/ava-inputs.js';
import { accumulate, evaluate, summarize, type Evaluation, type FrameMapSummary } from './frame-map.js';
import type { EvalPreset } from './presets.js';

export interface EvaluatorOptions {
  readonly tieBounds?: boolean;
  readonly skipBadRows?: boolean;
  /** Worker threads for reading large prediction files (default 2). */
  readonly workers?: number;
}

export interface FrameMapRun {
  readonly preset: EvalPreset;
  readonly loaded: LoadedInputs;
  readonly evaluation: Evaluation;
  readonly summary: FrameMapSummary;
  /** Wall-clock seconds per phase. */
  readonly timings: { read: number; evaluate: number; accumulate: number };
}

export async function evaluateFiles(paths: EvalFilePaths, preset: EvalPreset, opts: EvaluatorOptions = {}): Promise<FrameMapRun> {
  const t0 = performance.now();
  const loaded = await readEvalInputs(paths, preset, { skipBadRows: opts.skipBadRows ?? false, workers: opts.workers ?? 2 });
  const t1 = performance.now();
  const evaluation = evaluate(loaded.inputs, preset);
  const t2 = performance.now();
  const tieBounds = opts.tieBounds ?? false;
  const classes = accumulate(evaluation, loaded.inputs, preset, tieBounds);
  const summary = summarize(classes, loaded.inputs.labelMap.maxId, tieBounds);
  const t3 = performance.now();
  return { preset, loaded, evaluation, summary, timings: { read: (t1 - t0) / 1e3, evaluate: (t2 - t1) / 1e3, accumulate: (t3 - t2) / 1e3 } };
}
