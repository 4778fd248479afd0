/**
 * Per-class training-instance counts (they define head/mid/tail) and explicit class→group
 * files. Small files, so parsed with fast-csv; every row error names `path:line`.
 *
 *   --train-gt train.csv       AVA-format GT: one instance per whitelisted row
 *   --class-counts counts.csv  header `id,count` (a `name` column is allowed and ignored)
 *   --groups file=groups.csv   header `id,group`
 */
import { readFileSync } from 'node:fs';
import { parseString } from 'fast-csv';
import { AvaCsvScanner } from './ava-csv-scanner.js';
import { InputError } from './input-error.js';
import type { LabelMap } from './label-map.js';
import { checkInputFile, scanFile } from './scan-file.js';
import { parsePyInt } from './python-syntax.js';
import type { RowSink } from './ava-csv-scanner.js';
import type { EvalPreset } from '../metrics/presets.js';

/** Class id → count. */
export type ClassCounts = Map<number, number>;

/** Counts GT rows per class in an AVA-format file (parsed with the same rules as evaluation GT). */
export async function countTrainingGt(path: string, labelMap: LabelMap, preset: EvalPreset, skipBadRows: boolean): Promise<ClassCounts> {
  checkInputFile(path);
  const counts: ClassCounts = new Map(labelMap.classes.map((c) => [c.id, 0]));
  const sink: RowSink = {
    accept: (_key, cls) => {
      counts.set(cls, counts.get(cls)! + 1);
    },
  };
  await scanFile(path, new AvaCsvScanner({ kind: 'ground-truth', preset, whitelist: labelMap.whitelist, skipBadRows }, sink));
  return counts;
}

interface CsvRecord {
  line: number;
  row: Record<string, string>;
}

/** Rows of a small headed CSV; line numbers count the header as line 1. */
async function readHeadedCsv(path: string, required: readonly string[]): Promise<CsvRecord[]> {
  checkInputFile(path);
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let line = 1;
  await new Promise<void>((resolve, reject) => {
    parseString(text, { headers: (h) => h.map((x) => x?.trim().toLowerCase()), ignoreEmpty: true, strictColumnHandling: true })
      .on('error', (err) => reject(new InputError(path, null, `not a valid CSV (${err.message})`)))
      .on('headers', (headers: string[]) => {
        const missing = required.filter((r) => !headers.includes(r));
        if (missing.length > 0) reject(new InputError(path, 1, `header must have columns ${required.join(', ')} (missing ${missing.join(', ')})`));
      })
      .on('data-invalid', (_row, rowNumber: number) => reject(new InputError(path, rowNumber + 1, 'wrong number of fields')))
      .on('data', (row: Record<string, string>) => records.push({ line: ++line, row }))
      .on('end', () => resolve());
  });
  if (records.length === 0) throw new InputError(path, null, 'no data rows');
  return records;
}

function classIdAt(path: string, rec: CsvRecord, labelMap: LabelMap, seen: Set<number>): number {
  const id = parsePyInt(rec.row['id'] ?? '');
  if (id === undefined) throw new InputError(path, rec.line, `class id ${JSON.stringify(rec.row['id'])} is not an integer`);
  if (id < 0 || id >= labelMap.whitelist.length || labelMap.whitelist[id] !== 1) throw new InputError(path, rec.line, `class id ${id} is not in the label map`);
  if (seen.has(id)) throw new InputError(path, rec.line, `duplicate class id ${id}`);
  seen.add(id);
  return id;
}

/** `id,count` CSV. Label-map classes missing from the file count 0. */
export async function readClassCounts(path: string, labelMap: LabelMap): Promise<ClassCounts> {
  const counts: ClassCounts = new Map(labelMap.classes.map((c) => [c.id, 0]));
  const seen = new Set<number>();
  for (const rec of await readHeadedCsv(path, ['id', 'count'])) {
    const id = classIdAt(path, rec, labelMap, seen);
    const n = Number(rec.row['count']);
    if (!Number.isInteger(n) || n < 0) throw new InputError(path, rec.line, `count ${JSON.stringify(rec.row['count'])} is not a non-negative integer`);
    counts.set(id, n);
  }
  return counts;
}

/** `id,group` CSV: an explicit class → group mapping. Every label-map class must be listed. */
export async function readGroupFile(path: string, labelMap: LabelMap): Promise<Map<number, string>> {
  const groups = new Map<number, string>();
  const seen = new Set<number>();
  for (const rec of await readHeadedCsv(path, ['id', 'group'])) {
    const id = classIdAt(path, rec, labelMap, seen);
    const g = (rec.row['group'] ?? '').trim();
    if (g === '') throw new InputError(path, rec.line, 'empty group name');
    groups.set(id, g);
  }
  const missing = labelMap.classes.filter((c) => !groups.has(c.id)).map((c) => c.id);
  if (missing.length > 0) throw new InputError(path, null, `classes missing from the group file: ${missing.join(', ')}`);
  return groups;
}
