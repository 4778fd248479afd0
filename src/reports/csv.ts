/**
 * CSV report tables (written with fast-csv). Text cells that a spreadsheet would evaluate as
 * a formula (starting with =, +, -, @, tab or CR) are prefixed with `'`; numbers are written
 * as numbers. NaN/null → empty cell.
 */
import { writeToString } from 'fast-csv';
import type { EvalResultDoc } from './result-doc.js';

export function safeCsvText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** A number cell: shortest round-trip form, so a reader gets the exact float64 back. */
export function csvNumber(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '' : String(x);
}

export async function toCsv(header: string[], rows: (string | number | null)[][]): Promise<string> {
  return writeToString([header, ...rows.map((r) => r.map((c) => (typeof c === 'string' ? safeCsvText(c) : csvNumber(c))))], { headers: false, includeEndRowDelimiter: true });
}

export async function perClassCsv(doc: EvalResultDoc): Promise<string> {
  const bounds = doc.protocol.ties === 'bounds';
  const header = ['id', 'name', 'group', 'train_count', 'num_gt', 'num_dets', 'num_tp', 'ap', ...(bounds ? ['ap_min', 'ap_max'] : [])];
  const rows = doc.perClass.map((c) => [c.id, c.name, c.group, c.trainCount, c.numGt, c.numDets, c.numTp, c.ap, ...(bounds ? [c.apMin ?? null, c.apMax ?? null] : [])]);
  return toCsv(header, rows);
}
