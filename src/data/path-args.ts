/**
 * Paths named on a command line, with quoted globs expanded (sorted, so the order — and anything
 * merged from the files — does not depend on the file system). A pattern that matches nothing,
 * or an empty path, is bad input naming the option.
 */
import { isAbsolute } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { InputError } from './input-error.js';

export function expandPathArgs(args: readonly string[], option: string, opts: { onlyFiles: boolean }): string[] {
  return args.flatMap((a) => {
    if (a.trim() === '') throw new InputError(option, null, 'an empty path');
    if (!isDynamicPattern(a)) return [a];
    const found = globSync(a, { onlyFiles: opts.onlyFiles, expandDirectories: false, absolute: isAbsolute(a) }).sort();
    if (found.length === 0) throw new InputError(a, null, `no ${opts.onlyFiles ? 'file' : 'file or folder'} matches this pattern`);
    return found;
  });
}
