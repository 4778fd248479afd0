/**
 * Readers for the small AVA evaluation inputs (GT, exclusions) and file provenance. The
 * prediction file, the big one, is read by prediction-chunk.ts (in ranges, possibly in
 * worker threads).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { AvaCsvScanner, BAD_ROW_REASONS, type BadRowReason, type ScanCounts } from './ava-csv-scanner.js';
import { RowStore } from './row-store.js';
import { checkInputFile, scanFile } from './scan-file.js';
import { groupRows, type KeyframeBoxes } from '../metrics/keyframe-boxes.js';
import type { EvalPreset } from '../metrics/presets.js';

export interface EvalFilePaths {
  readonly gt: string;
  /** One prediction file, or several shards of one (prediction-shards.ts). */
  readonly pred: string | readonly string[];
  readonly labelMap: string;
  readonly exclusions?: string;
}

export interface InputFileInfo {
  readonly role: 'gt' | 'predictions' | 'labelmap' | 'exclusions';
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /**
   * SHA-256 of what was read, for the GT (its keyframes and label-map rows as parsed, in file
   * order) and the label map (its classes, id and name, by id): the same data written twice
   * (`0.250` vs `0.25`, `0902` vs `902`, comments, spacing) compares equal. GT order is
   * content: the official matching breaks IoU ties by it, and reordered rows can change an AP.
   */
  readonly contentSha256?: string;
}

export interface ReaderConfig {
  readonly preset: EvalPreset;
  readonly whitelist: Uint8Array;
  readonly skipBadRows: boolean;
}

export interface GroundTruthRead {
  /** Whitelisted GT rows per keyframe, file order within each keyframe. */
  readonly boxes: KeyframeBoxes;
  /** Every key in the file, any row kind. */
  readonly fileKeys: string[];
  readonly counts: ScanCounts;
}

export async function readGroundTruth(path: string, config: ReaderConfig): Promise<GroundTruthRead> {
  checkInputFile(path);
  const rows = new RowStore(1 << 16);
  const scanner = new AvaCsvScanner({ kind: 'ground-truth', ...config }, rows);
  await scanFile(path, scanner);
  return { boxes: groupRows(rows, scanner.keys.keys), fileKeys: scanner.keys.keys, counts: scanner.counts };
}

/** The GT's content digest (InputFileInfo.contentSha256): keyframes and their boxes as parsed, in the order the evaluator reads them. */
export function groundTruthDigest(gt: GroundTruthRead): string {
  const b = gt.boxes;
  const hash = createHash('sha256');
  const keyIndex = new Map(b.keys.map((k, i) => [k, i]));
  for (const key of gt.fileKeys) {
    hash.update(`${key}\n`);
    const i = keyIndex.get(key);
    if (i === undefined) continue;
    for (let r = b.start[i]!; r < b.start[i + 1]!; r++) hash.update(`${b.cls[r]},${b.x1[r]},${b.y1[r]},${b.x2[r]},${b.y2[r]}\n`);
  }
  return hash.digest('hex');
}

/** The label map's content digest (InputFileInfo.contentSha256). */
export function labelMapDigest(classes: readonly { readonly id: number; readonly name: string }[]): string {
  return createHash('sha256').update(JSON.stringify([...classes].sort((a, b) => a.id - b.id).map((c) => [c.id, c.name]))).digest('hex');
}

export async function readExclusions(path: string, config: ReaderConfig): Promise<{ keys: string[]; counts: ScanCounts }> {
  checkInputFile(path, true);
  const scanner = new AvaCsvScanner({ kind: 'exclusions', ...config }, null);
  await scanFile(path, scanner, true);
  return { keys: scanner.keys.keys, counts: scanner.counts };
}

/**
 * SHA-256 of a file. Reads synchronously into one reused buffer, yielding to the event loop
 * between chunks: a stream allocates a fresh buffer per chunk, which on a 1.2 GB prediction
 * file cost ~0.9 s of page-fault (sys) time here.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let pos = 0; ; ) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) break;
      hash.update(buf.subarray(0, got));
      pos += got;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export async function describeFile(role: InputFileInfo['role'], path: string): Promise<InputFileInfo> {
  return { role, path, bytes: statSync(path).size, sha256: await sha256File(path) };
}

export function sumCounts(all: readonly ScanCounts[]): ScanCounts {
  const bad = Object.fromEntries(BAD_ROW_REASONS.map((r) => [r, all.reduce((s, c) => s + c.bad[r], 0)])) as Record<BadRowReason, number>;
  return {
    rows: all.reduce((s, c) => s + c.rows, 0),
    notInLabelMap: all.reduce((s, c) => s + c.notInLabelMap, 0),
    twoColumn: all.reduce((s, c) => s + c.twoColumn, 0),
    bad,
  };
}
