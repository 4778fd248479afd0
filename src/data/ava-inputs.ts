/**
 * Reads the four AVA evaluation inputs (label map, GT, predictions, exclusions) into the
 * plain per-keyframe data the frame-mAP evaluator takes, with row counts by drop reason and
 * file provenance (size, sha256). GT is read on this thread while worker threads read the
 * predictions.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { AvaCsvScanner, type ScanCounts } from './ava-csv-scanner.js';
import { readLabelMap, type LabelMap } from './label-map.js';
import { readPredictions } from './prediction-reader.js';
import { RowStore } from './row-store.js';
import { checkInputFile, scanFile } from './scan-file.js';
import { groupRows } from '../metrics/keyframe-boxes.js';
import type { FrameMapInputs } from '../metrics/frame-map.js';
import type { EvalPreset } from '../metrics/presets.js';

export interface EvalFilePaths {
  readonly gt: string;
  readonly pred: string;
  readonly labelMap: string;
  readonly exclusions?: string;
}

export interface InputFileInfo {
  readonly role: 'gt' | 'predictions' | 'labelmap' | 'exclusions';
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ReadCounts {
  readonly gt: ScanCounts;
  readonly predictions: ScanCounts;
  readonly exclusions: ScanCounts | null;
}

export interface LoadedInputs {
  readonly inputs: FrameMapInputs;
  readonly files: InputFileInfo[];
  readonly counts: ReadCounts;
}

export interface ReadOptions {
  readonly skipBadRows: boolean;
  readonly workers: number;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function readEvalInputs(paths: EvalFilePaths, preset: EvalPreset, opts: ReadOptions): Promise<LoadedInputs> {
  const labelMap: LabelMap = readLabelMap(paths.labelMap);
  checkInputFile(paths.gt);
  checkInputFile(paths.pred);
  if (paths.exclusions !== undefined) checkInputFile(paths.exclusions, true);

  const config = { preset, whitelist: labelMap.whitelist, skipBadRows: opts.skipBadRows };
  const predictions = readPredictions(paths.pred, { ...config, workers: opts.workers });
  const hashes = Promise.all([paths.gt, paths.pred, paths.labelMap, paths.exclusions].map((p) => (p === undefined ? '' : sha256File(p))));
  predictions.catch(() => undefined); // reported below, after GT errors (which come first in line order of work)
  hashes.catch(() => undefined);

  const gtRows = new RowStore();
  const gtScanner = new AvaCsvScanner({ kind: 'ground-truth', ...config }, gtRows);
  await scanFile(paths.gt, gtScanner);
  let exclusionCounts: ScanCounts | null = null;
  const excluded = new Set<string>();
  if (paths.exclusions !== undefined) {
    const ex = new AvaCsvScanner({ kind: 'exclusions', ...config, skipBadRows: opts.skipBadRows }, null);
    await scanFile(paths.exclusions, ex);
    for (const k of ex.keys.keys) excluded.add(k);
    exclusionCounts = ex.counts;
  }
  const pred = await predictions;
  const [gtSha, predSha, lmSha, exSha] = await hashes;
  const info = (role: InputFileInfo['role'], path: string, sha256: string): InputFileInfo => ({ role, path, bytes: statSync(path).size, sha256 });
  const files = [info('gt', paths.gt, gtSha!), info('predictions', paths.pred, predSha!), info('labelmap', paths.labelMap, lmSha!)];
  if (paths.exclusions !== undefined) files.push(info('exclusions', paths.exclusions, exSha!));
  return {
    inputs: {
      labelMap,
      gt: groupRows(gtRows, gtScanner.keys.keys),
      gtFileKeys: new Set(gtScanner.keys.keys),
      det: pred.parts,
      excluded,
    },
    files,
    counts: { gt: gtScanner.counts, predictions: pred.counts, exclusions: exclusionCounts },
  };
}
