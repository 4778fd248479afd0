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
