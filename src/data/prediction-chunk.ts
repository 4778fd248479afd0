/**
 * Reads the predictions in one byte range of a file (or a whole file, plain or gzip) into
 * per-keyframe box lists: capped presets keep the official per-keyframe top-K heap, uncapped
 * ones every row. Plain data out, so it crosses a worker-thread boundary.
 */
import { AvaCsvScanner, type ScanCounts } from './ava-csv-scanner.js';
import type { ReaderConfig } from './ava-inputs.js';
import { RowStore } from './row-store.js';
import { scanFile, scanRangeSync } from './scan-file.js';
import { KeyframeTopK } from '../metrics/keyframe-topk.js';
import { groupRows, type KeyframeBoxes } from '../metrics/keyframe-boxes.js';

export interface PredictionChunk {
  /** Keyframes with whitelisted rows, in first-appearance order. */
  readonly keys: readonly string[];
  readonly counts: ScanCounts;
  /**
   * Their boxes in reader order, as consecutive runs of keyframes (in `keys` order), built as
   * they are consumed: match one before taking the next, and the reader's heaps and the boxes
   * are never all in memory at once. Call once.
   */
  readonly boxes: () => Iterable<KeyframeBoxes>;
}

function makeReader(config: ReaderConfig) {
  const sink = config.preset.cap > 0 ? new KeyframeTopK(config.preset.cap) : new RowStore(1 << 16);
  const scanner = new AvaCsvScanner({ kind: 'predictions', ...config }, sink);
  const finish = (): PredictionChunk => {
    const names = scanner.keys.keys;
    if (sink instanceof KeyframeTopK) return { keys: sink.keys(names), counts: scanner.counts, boxes: () => sink.drain(names) };
    const all = groupRows(sink, names);
    return { keys: all.keys, counts: scanner.counts, boxes: () => [all] };
  };
  return { scanner, finish };
}

/** Bytes [start, end) of a plain file; RowError line numbers are relative to `start`. */
export function readPredictionRange(path: string, start: number, end: number, config: ReaderConfig): PredictionChunk {
  const { scanner, finish } = makeReader(config);
  scanRangeSync(path, scanner, start, end);
  return finish();
}

/** A whole file (plain or gzip), sequentially; errors are InputErrors with absolute lines. */
export async function readPredictionFile(path: string, config: ReaderConfig): Promise<PredictionChunk> {
  const { scanner, finish } = makeReader(config);
  await scanFile(path, scanner);
  return finish();
}
