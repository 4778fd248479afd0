/**
 * Sharded predictions — one AVA CSV per inference rank — merged into one file the evaluator
 * reads as it would the unsharded predictions.
 *
 * Distributed inference loses or repeats samples when merging (DistributedSampler pads the
 * last ranks with repeated samples). Rules:
 *   - a row repeated exactly in another shard (same keyframe, box, class and score) is kept
 *     once and counted (`duplicateRows`);
 *   - the same keyframe, box and class with a different score in another shard is an
 *     InputError naming both files and lines (the shards disagree: no honest merge exists);
 *   - repeats within one shard stay, as the official evaluator would read that file.
 * The merged file is the shards concatenated in the order given, minus the repeats, so N
 * shards score exactly as their concatenation without the padding.
 *
 * Memory follows the overlap, not the size: pass 1 collects each shard's keyframes, pass 2
 * checks row by row only the keyframes that occur in more than one shard.
 */
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { splitCsvRecord } from './csv-record.js';
import { InputError } from './input-error.js';
import { checkInputFile, gzipError, isGzipFile } from './scan-file.js';

export interface ShardSummary {
  readonly files: readonly string[];
  /** Lines read over all shards. */
  readonly lines: number;
  /** Rows repeated exactly in another shard, counted once. */
  readonly duplicateRows: number;
  /** Keyframes with rows in more than one shard. */
  readonly sharedKeyframes: number;
}

export interface MergedPredictions {
  /** The merged file (a temp file; `dispose` removes it). */
  readonly path: string;
  readonly summary: ShardSummary;
  /** Where line `line` (1-based) of the merged file came from. */
  origin(line: number): { path: string; line: number };
  /** An InputError about the merged file, restated about the shard line it came from. */
  remap(err: unknown): unknown;
  dispose(): void;
}

async function* lines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input = isGzipFile(path) ? raw.pipe(createGunzip()) : raw;
  try {
    yield* createInterface({ input, crlfDelay: Infinity });
  } catch (err) {
    throw gzipError(path, err);
  }
}

interface ParsedRow {
  keyframe: string;
  row: string;
  score: number;
}

/** Keyframe and box+class key of a prediction line, or null for a line the evaluator will judge itself. */
function parse(line: string): ParsedRow | null {
  const f = line.includes('"') ? splitCsvRecord(line) : line.split(',');
  if (f === undefined || f.length !== 8) return null;
  const n = (s: string) => {
    const v = Number(s.trim());
    return Number.isNaN(v) ? s.trim() : String(v);
  };
  const keyframe = `${f[0]!.trim()},${n(f[1]!)}`;
  return { keyframe, row: `${keyframe},${f.slice(2, 7).map(n).join(',')}`, score: Number(f[7]!.trim()) };
}

export async function mergePredictionShards(paths: readonly string[]): Promise<MergedPredictions> {
  for (const p of paths) checkInputFile(p);
  // pass 1: in how many shards each keyframe occurs
  const shardsOf = new Map<string, number>();
  for (const p of paths) {
    const seen = new Set<string>();
    for await (const line of lines(p)) {
      const r = parse(line);
      if (r !== null) seen.add(r.keyframe);
    }
    for (const k of seen) shardsOf.set(k, (shardsOf.get(k) ?? 0) + 1);
  }
  const shared = new Set([...shardsOf].filter(([, n]) => n > 1).map(([k]) => k));

  // pass 2: concatenate, dropping exact repeats across shards; origin kept as runs of lines
  const dir = mkdtempSync(join(tmpdir(), 'cft-bench-shards-'));
  const out = join(dir, 'predictions.csv');
  const fd = openSync(out, 'w');
  const runs: { merged: number; file: number; line: number }[] = [];
  const firstSeen = new Map<string, { file: number; line: number; score: number }>();
  let merged = 0;
  let total = 0;
  let duplicates = 0;
  let buffer: string[] = [];
  let buffered = 0;
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
    buffered = 0;
  };
  try {
    for (const [file, p] of paths.entries()) {
      let lineNo = 0;
      let contiguous = false;
      for await (const line of lines(p)) {
        lineNo++;
        total++;
        const r = parse(line);
        if (r !== null && shared.has(r.keyframe)) {
          const first = firstSeen.get(r.row);
          if (first === undefined) firstSeen.set(r.row, { file, line: lineNo, score: r.score });
          else if (first.file !== file) {
            if (first.score === r.score || (Number.isNaN(first.score) && Number.isNaN(r.score))) {
              duplicates++;
              contiguous = false;
              continue;
            }
            throw new InputError(p, lineNo, `same keyframe, box and class as ${paths[first.file]}:${first.line}, but score ${r.score} there ${first.score}: the shards disagree`);
          }
        }
        merged++;
        if (!contiguous) runs.push({ merged, file, line: lineNo });
        contiguous = true;
        buffer.push(line, '\n');
        buffered += line.length + 1;
        if (buffered > 1 << 20) flush();
      }
    }
    flush();
  } catch (err) {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  closeSync(fd);
  if (merged === 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new InputError(paths.join(', '), null, 'the prediction shards are all empty');
  }

  const origin = (line: number) => {
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[mid]!.merged <= line) lo = mid;
      else hi = mid - 1;
    }
    const r = runs[lo]!;
    return { path: paths[r.file]!, line: r.line + (line - r.merged) };
  };
  return {
    path: out,
    summary: { files: [...paths], lines: total, duplicateRows: duplicates, sharedKeyframes: shared.size },
    origin,
    remap: (err) => {
      if (!(err instanceof InputError) || err.path !== out) return err;
      if (err.line === null) return new InputError(paths.join(', '), null, err.detail);
      const o = origin(err.line);
      return new InputError(o.path, o.line, err.detail);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
