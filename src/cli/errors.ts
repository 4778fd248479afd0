/**
 * Exit codes, stable for scripts and CI: 0 ok; 1 a regression (`check`); 2 bad input or
 * usage; 3 an internal error (a bug: please report it).
 */
export const EXIT = { ok: 0, regression: 1, badInput: 2, internal: 3 } as const;

/** A usage error found after option parsing (conflicting options, bad values). */
export class UsageError extends Error {
  override name = 'UsageError';
}
