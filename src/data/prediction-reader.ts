/**
 * Reads a prediction file into per-keyframe box lists, in parallel worker threads when the
 * file is large. Results are bit-identical to a sequential read:
 *
 * - the file is split at line starts where the keyframe key changes, so in the usual layout
 *   (each keyframe's rows together) no keyframe spans two ranges; each range's per-keyframe
 *   heap then sees exactly the rows, in exactly the order, that the sequential reader would;
 * - keyframe order is first appearance: range order, then order within the range;
 * - if some keyframe does have rows in two ranges (an interleaved file), the parallel result is
 *   discarded and the file is read sequentially.
 */
import { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { BAD_ROW_REASONS, type BadRowReason, type ScanCounts } from './ava-csv-scanner.js';
import { InputError } from './input-error.js';
import { readPredictionFile, type PredictionChunk, type PredictionReadConfig } from './prediction-chunk.js';
import { checkInputFile, countLinesBefore, isGzipFile } from './scan-file.js';
import type { KeyframeBoxes } from '../metrics/keyframe-boxes.js';

/** Below this size a sequential read beats starting workers. */
const PARALLEL_MIN_BYTES = 32 << 20;

export interface PredictionReadOptions extends PredictionReadConfig {
  /** Worker threads to use (1 = read in this thread). */
  readonly workers: number;
}

/** Per-keyframe boxes in parts (one per reader thread, in file order; no keyframe in two parts). */
export interface PredictionRead {
  readonly parts: KeyframeBoxes[];
  readonly counts: ScanCounts;
}

export async function readPredictions(path: string, opts: PredictionReadOptions): Promise<PredictionRead> {
  checkInputFile(path);
  const size = statSync(path).size;
  if (opts.workers <= 1 || size < PARALLEL_MIN_BYTES || isGzipFile(path)) return sequential(path, opts);
  const bounds = splitPoints(path, size, opts.workers);
  const results = await Promise.all(bounds.slice(0, -1).map((start, i) => runWorker(path, start, bounds[i + 1]!, opts)));
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if ('rowError' in r) throw new InputError(path, countLinesBefore(path, bounds[i]!) + r.rowError.line, r.rowError.message);
  }
  const chunks = results.map((r) => (r as { chunk: PredictionChunk }).chunk);
  const seen = new Set<string>();
  for (const c of chunks) {
    for (const k of c.boxes.keys) {
      if (seen.has(k)) return sequential(path, opts); // interleaved keyframes
      seen.add(k);
    }
  }
  return { parts: chunks.map((c) => c.boxes), counts: sumCounts(chunks.map((c) => c.counts)) };
}

async function sequential(path: string, opts: PredictionReadOptions): Promise<PredictionRead> {
  const chunk = await readPredictionFile(path, opts);
  return { parts: [chunk.boxes], counts: chunk.counts };
}

type WorkerReply =
  | { chunk: PredictionChunk }
  | { rowError: { reason: BadRowReason; message: string; line: number } };

function runWorker(path: string, start: number, end: number, opts: PredictionReadOptions): Promise<WorkerReply> {
  // Under vitest/tsx the sources are .ts: let the worker load them through tsx too.
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(isTs ? './prediction-worker.ts' : './prediction-worker.js', import.meta.url);
  const worker = new Worker(url, {
    execArgv: isTs ? ['--import', 'tsx'] : [],
    workerData: { path, start, end, preset: opts.preset.name, whitelist: opts.whitelist, skipBadRows: opts.skipBadRows },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (msg: WorkerReply | { fatal: string }) => {
      void worker.terminate();
      if ('fatal' in msg) reject(new Error(`prediction reader worker failed: ${msg.fatal}`));
      else resolve(msg);
    });
    worker.once('error', reject);
  });
}

/** Byte offsets [0, b1, ..., size]: near-equal ranges, each boundary at a line where the key changes. */
function splitPoints(path: string, size: number, parts: number): number[] {
  const bounds = [0];
  const fd = openSync(path, 'r');
  try {
    const window = Buffer.allocUnsafe(1 << 20);
    for (let p = 1; p < parts; p++) {
      const target = Math.floor((size * p) / parts);
      const got = readSync(fd, window, 0, window.length, target);
      const b = boundaryIn(window.subarray(0, got));
      const at = b < 0 ? -1 : target + b;
      if (at > bounds[bounds.length - 1]! && at < size) bounds.push(at);
    }
  } finally {
    closeSync(fd);
  }
  bounds.push(size);
  return bounds;
}

/** Offset in `w` of the first line start whose `video,timestamp` prefix differs from the previous line's. */
function boundaryIn(w: Buffer): number {
  let lineStart = w.indexOf(10) + 1; // skip the partial line we landed in
  if (lineStart <= 0) return -1;
  let prevKey: Buffer | null = null;
  while (lineStart < w.length) {
    const nl = w.indexOf(10, lineStart);
    if (nl < 0) return -1;
    const c1 = w.indexOf(44, lineStart);
    const c2 = c1 < 0 ? -1 : w.indexOf(44, c1 + 1);
    const key = w.subarray(lineStart, c2 < 0 || c2 > nl ? nl : c2);
    if (prevKey !== null && !key.equals(prevKey)) return lineStart;
    prevKey = key;
    lineStart = nl + 1;
  }
  return -1;
}

function sumCounts(all: ScanCounts[]): ScanCounts {
  const bad = Object.fromEntries(BAD_ROW_REASONS.map((r) => [r, all.reduce((s, c) => s + c.bad[r], 0)])) as Record<BadRowReason, number>;
  return {
    rows: all.reduce((s, c) => s + c.rows, 0),
    notInLabelMap: all.reduce((s, c) => s + c.notInLabelMap, 0),
    twoColumn: all.reduce((s, c) => s + c.twoColumn, 0),
    bad,
  };
}
