/**
 * AVA label map (pbtxt), parsed line by line exactly as the official `read_labelmap` does
 * (spec §1.4): a line starting with two spaces and `name:` sets the current name (text between
 * the first pair of quotes); a line starting with two spaces and `id:` or `label_id:` emits
 * (id, current name). No protobuf parser: the one-line `item { name: "x" id: 1 }` form yields
 * no classes, as it does officially (and is then rejected here with a clear message).
 */
import { readFileSync } from 'node:fs';
import { InputError } from './input-error.js';
import { checkInputFile } from './scan-file.js';
import { parsePyInt } from './python-syntax.js';

export interface LabelClass {
  readonly id: number;
  readonly name: string;
}

export interface LabelMap {
  /** Classes in file order. */
  readonly classes: readonly LabelClass[];
  /** Largest id: the official evaluator reports classes 1..maxId. */
  readonly maxId: number;
  /** `whitelist[id] === 1` for ids in the map. */
  readonly whitelist: Uint8Array;
}

/** The largest class id accepted (AVA has 80, Kinetics 700). */
export const MAX_CLASS_ID = 100_000;

export function parseLabelMap(text: string, path = '<label map>'): LabelMap {
  const classes: LabelClass[] = [];
  const seen = new Map<number, number>();
  let name = '';
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    if (line.startsWith('  name:')) {
      const parts = line.split('"');
      if (parts.length < 2) throw new InputError(path, i + 1, 'name line has no quoted name');
      name = parts[1]!;
    } else if (line.startsWith('  id:') || line.startsWith('  label_id:')) {
      const tokens = line.trim().split(' ');
      const id = parsePyInt(tokens[tokens.length - 1]!);
      if (id === undefined) throw new InputError(path, i + 1, `class id ${JSON.stringify(tokens[tokens.length - 1])} is not an integer`);
      if (id < 1) throw new InputError(path, i + 1, `class id ${id} must be >= 1`);
      // per-class tables are indexed by id (as the official evaluator's 1..maxId mean): keep them small
      if (id > MAX_CLASS_ID) throw new InputError(path, i + 1, `class id ${id} is above ${MAX_CLASS_ID.toLocaleString('en')}, the largest this evaluator indexes; renumber the classes`);
      const prev = seen.get(id);
      if (prev !== undefined) throw new InputError(path, i + 1, `duplicate class id ${id} (first on line ${prev})`);
      seen.set(id, i + 1);
      classes.push({ id, name });
    }
  });
  if (classes.length === 0) {
    throw new InputError(path, null, 'no classes found (each item needs `  name: "..."` then `  id: N` on their own lines, indented by two spaces)');
  }
  const maxId = Math.max(...classes.map((c) => c.id));
  const whitelist = new Uint8Array(maxId + 1);
  for (const c of classes) whitelist[c.id] = 1;
  return { classes, maxId, whitelist };
}

export function readLabelMap(path: string): LabelMap {
  checkInputFile(path);
  return parseLabelMap(readFileSync(path, 'utf8'), path);
}
