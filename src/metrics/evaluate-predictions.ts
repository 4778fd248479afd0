/**
 * Frame-mAP of a model's predictions on a localisation dataset split, through exactly the
 * path `cft-bench eval` takes: the GT, label map and predictions are written as AVA files into
 * `dir` (kept, so anyone can re-run `cft-bench eval` on them) and evaluated from there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groundTruthCsv, labelMapPbtxt, predictionsCsv, type PredictionRow } from '../data/ava-writer.js';
import type { LocalisationDataset, Split } from '../data/datasets.js';
import { evaluateFiles, type FrameMapRun } from './evaluator.js';
import { getPreset } from './presets.js';

export interface EvaluatedPredictions {
  readonly run: FrameMapRun;
  readonly files: { gt: string; pred: string; labelMap: string };
}

export async function evaluatePredictions(dataset: LocalisationDataset, split: Split, rows: readonly PredictionRow[], dir: string, protocol = 'activitynet-2019'): Promise<EvaluatedPredictions> {
  mkdirSync(dir, { recursive: true });
  const pred = join(dir, `${split}_predictions.csv`);
  writeFileSync(pred, predictionsCsv(rows));
  return evaluatePredictionFile(dataset, split, pred, dir, protocol);
}

/** The same for a prediction file written by someone else (an external trainer): bad rows are InputErrors naming its lines. */
export async function evaluatePredictionFile(dataset: LocalisationDataset, split: Split, pred: string, dir: string, protocol = 'activitynet-2019'): Promise<EvaluatedPredictions> {
  mkdirSync(dir, { recursive: true });
  // a set declared by its files: scored on the user's own GT, exclusions and preset, as they are
  const own = dataset.evaluationFiles;
  const split_ = own?.splits[split];
  if (own !== undefined && split_ !== undefined) {
    const files = { gt: split_.gt, pred, labelMap: own.labelMap };
    const run = await evaluateFiles({ ...files, ...(split_.exclusions !== null ? { exclusions: split_.exclusions } : {}) }, getPreset(own.preset), { workers: 1 });
    return { run, files };
  }
  const files = { gt: join(dir, `${split}_gt.csv`), pred, labelMap: join(dir, 'labelmap.pbtxt') };
  writeFileSync(files.gt, groundTruthCsv(dataset, split));
  writeFileSync(files.labelMap, labelMapPbtxt(dataset.classes));
  const run = await evaluateFiles(files, getPreset(protocol), { workers: 1 });
  return { run, files };
}
