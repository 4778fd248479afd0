/**
 * Reads the predictions in one byte range of a file into per-keyframe box lists: the unit of
 * work of the parallel reader (one per worker thread) and of the sequential path. Plain data
 * out, so it crosses a worker boundary by structured clone with its buffers transferred.
 */
import { AvaCsvScanner, type ScanCounts } from './ava-csv-scanner.js';
import { RowStore } from './row-store.js';
import { scanRangeSync, scanFile } from './scan-file.js';
import { KeyframeTopK } from '../metrics/keyframe-topk.js';
import { groupRows, type KeyframeBoxes } from '../metrics/keyframe-boxes.js';
import type { EvalPreset } from '../metrics/presets.js';

export interface PredictionReadConfig {
  readonly preset: EvalPreset;
  readonly whitelist: Uint8Array;
  readonly skipBadRows: boolean;
}

export interface PredictionChunk {
  /** Keyframes with whitelisted rows, in first-appearance order, with their boxes in reader order. */
  readonly boxes: KeyframeBoxes;
  readonly counts: ScanCounts;
}

function makeReader(config: PredictionReadConfig) {
  const sink = config.preset.cap > 0 ? new KeyframeTopK(config.preset.cap) : new RowStore();
  const scanner = new AvaCsvScanner({ kind: 'predictions', ...config }, sink);
  const finish = (): PredictionChunk => {
    const names = scanner.keys.keys;
    const boxes = sink instanceof KeyframeTopK ? sink.toBoxes(names) : groupRows(sink, names);
    return { boxes, counts: scanner.counts };
  };
  return { scanner, finish };
}

/** Bytes [start, end) of a plain file; RowError line numbers are relative to `start`. */
export function readPredictionRange(path: string, start: number, end: number, config: PredictionReadConfig): PredictionChunk {
  const { scanner, finish } = makeReader(config);
  scanRangeSync(path, scanner, start, end);
  return finish();
}

/** A whole file (plain or gzip), sequentially; errors are InputErrors with absolute lines. */
export async function readPredictionFile(path: string, config: PredictionReadConfig): Promise<PredictionChunk> {
  const { scanner, finish } = makeReader(config);
  await scanFile(path, scanner);
  return finish();
}
