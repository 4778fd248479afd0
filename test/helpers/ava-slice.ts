/** The bundled real-AVA slice (examples/ava-slice) and degraded copies of its predictions, for paired-comparison tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cli, LABEL_MAP } from './cli.js';
import { expect } from 'vitest';

const SLICE = new URL('../../examples/ava-slice/', import.meta.url).pathname;
export const GT = join(SLICE, 'gt.csv');
export const PRED = join(SLICE, 'pred.csv.gz');
// The slice has no training counts: group by the evaluated GT counts so the tail (classes with
// < 30 GT boxes, 78 boxes in all) is large enough for a paired CI to see a change.
export const GROUPS = ['--groups', 'thresholds=30,300'];
const predLines = gunzipSync(readFileSync(PRED)).toString('utf8').trimEnd().split('\n');

export function gtCounts(): Map<number, number> {
  const n = new Map<number, number>();
  for (const l of readFileSync(GT, 'utf8').trimEnd().split('\n')) {
    const c = Number(l.split(',')[6]);
    n.set(c, (n.get(c) ?? 0) + 1);
  }
  return n;
}

/** The predictions with `edit` applied to the score column of rows of the `classes`. */
export function withScores(classes: Set<number>, edit: (scores: string[]) => string[]): string {
  const rows = predLines.map((l) => l.split(','));
  const byClass = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const c = Number(r[6]);
    if (classes.has(c)) byClass.set(c, [...(byClass.get(c) ?? []), i]);
  });
  for (const idx of byClass.values()) {
    const edited = edit(idx.map((i) => rows[i]![7]!));
    idx.forEach((i, k) => (rows[i]![7] = edited[k]!));
  }
  return rows.map((r) => r.join(',')).join('\n') + '\n';
}

/** Deterministic Fisher–Yates (LCG), so the degraded candidate is the same on every run. */
export function shuffled<T>(xs: T[], seed = 1): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Classes with fewer than 30 GT boxes in the slice: the tail under GROUPS. */
export function tailClasses(): Set<number> {
  const counts = gtCounts();
  return new Set([...Array(81).keys()].filter((c) => c > 0 && (counts.get(c) ?? 0) < 30));
}

/** `cft-bench eval` of `pred` into `dir/name` (GROUPS grouping); returns the output directory. */
export async function evalSlice(dir: string, name: string, pred: string, extra: string[] = [], gt = GT, labelMap = LABEL_MAP): Promise<string> {
  const out = join(dir, name);
  const r = await cli(['eval', '--gt', gt, '--labelmap', labelMap, '--pred', pred, ...GROUPS, ...extra, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}
