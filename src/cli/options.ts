/**
 * Every option value of every command is checked here, once, at parse time (commander
 * argParsers): a value that is not what the option means — `abc`, `NaN`, `Infinity`, `-5`,
 * `1e400`, an empty string, an empty list — is a usage error (exit 2) before anything runs.
 * A NaN that slips through becomes a comparison that is silently false (`NaN < 0`), which is
 * how a gate passes a regression; so nothing numeric reaches a command unchecked.
 */
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseSampler } from '../protocols/sampler.js';

/** A finite decimal number from `text` ('' is not 0, '0x10' is not 16), or null. */
function finite(text: string): number | null {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

const range = (min: number, max: number) => (max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`);

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const v = finite(text);
    if (v === null || !Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(`expected an integer ${range(min, max)}.`);
    return v;
  };
}

/** A finite number > 0 (≥ 0 with `zero`), at most `max`. */
export function positive(opts: { zero?: boolean; max?: number } = {}): (text: string) => number {
  const max = opts.max ?? Number.MAX_VALUE;
  return (text) => {
    const v = finite(text);
    if (v === null || v < 0 || (v === 0 && !opts.zero) || v > max) throw new InvalidArgumentError(`expected a finite number ${opts.zero ? '≥' : '>'} 0${max < Number.MAX_VALUE ? ` and ≤ ${max}` : ''}.`);
    return v;
  };
}

/** A comma-separated, non-empty list of learning rates: finite numbers > 0, at most 1,000,000 (duplicates are one value). */
export function positiveList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new InvalidArgumentError('expected a comma-separated list of numbers > 0, with no empty entries.');
  const one = positive({ max: 1e6 });
  return [...new Set(parts.map(one))];
}

/** A comma-separated, non-empty list of names (no empty entries). */
export function nameList(text: string): string[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError('expected a comma-separated list of names, with no empty entries.');
  return parts;
}

/** A path that must not be empty. */
export function path(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('expected a path, got an empty string.');
  return text;
}

/** An output directory: not empty, and not an existing file (checked before any work starts). */
export function outDir(text: string): string {
  path(text);
  if (existsSync(text) && !statSync(text).isDirectory()) throw new InvalidArgumentError(`${text} exists and is not a directory.`);
  return text;
}

/** An output file: not empty, and not an existing directory. */
export function outFile(text: string): string {
  path(text);
  if (existsSync(text) && statSync(text).isDirectory()) throw new InvalidArgumentError(`${text} is a directory; a file is expected.`);
  return text;
}

/** A repeatable option's collector: each value through `parse`. */
export function repeatable<T>(parse: (text: string) => T): (text: string, acc?: T[]) => T[] {
  return (text, acc = []) => [...acc, parse(text)];
}

/** A sampler spec (sampler.ts), kept as its text. */
export function sampler(text: string): string {
  try {
    parseSampler(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return text;
}
