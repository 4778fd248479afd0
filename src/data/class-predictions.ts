/**
 * A classification set's predictions as a trainer writes them (docs/external-trainer.md §4):
 * CSV with the header `id,label`, then one row per example id of the split asked for (ids
 * 0..n-1, any order), label = the predicted class index. Read strictly: cft-bench scores these
 * itself, so a row it cannot place is an error, never a silent miss.
 */
import { readFileSync } from 'node:fs';
import { InputError } from './input-error.js';

/** Predicted class per example id (index = id), for ids 0..examples-1 of a set with `classes` classes. */
export function readClassPredictions(path: string, examples: number, classes: number): Int32Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(path, null, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message);
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[0]?.trim() !== 'id,label') throw new InputError(path, 1, `expected the header "id,label", got ${JSON.stringify(lines[0] ?? '')}`);
  const predicted = new Int32Array(examples).fill(-1);
  const int = (s: string | undefined) => (s !== undefined && /^\s*\d+\s*$/.test(s) ? Number(s) : NaN);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.split(',');
    if (f.length !== 2) throw new InputError(path, i + 1, `expected 2 fields (id,label), got ${f.length}`);
    const id = int(f[0]);
    const label = int(f[1]);
    if (!(id < examples)) throw new InputError(path, i + 1, `id ${JSON.stringify(f[0])} is not an example id of the split (0..${examples - 1})`);
    if (!(label < classes)) throw new InputError(path, i + 1, `label ${JSON.stringify(f[1])} is not a class index (0..${classes - 1})`);
    if (predicted[id] !== -1) throw new InputError(path, i + 1, `id ${id} predicted twice`);
    predicted[id] = label;
  }
  const missing = predicted.indexOf(-1);
  if (missing >= 0) throw new InputError(path, null, `no prediction for id ${missing} (${predicted.filter((p) => p === -1).length} of ${examples} ids missing; every id 0..${examples - 1} needs one)`);
  return predicted;
}
