/**
 * Bad input, reported as `path:line: what is wrong` (exit code 2 in the CLI). Thrown before
 * any output file is touched.
 */
export class InputError extends Error {
  constructor(
    readonly path: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(line === null ? `${path}: ${detail}` : `${path}:${line}: ${detail}`);
    this.name = 'InputError';
  }
}
