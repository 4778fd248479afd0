/**
 * Atomic report output: every file is written to a temporary name in its target directory and
 * renamed into place, so a reader (or an interrupted run) never sees a half-written file.
 * Callers build every file's content first and write only when all of it is ready.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a set of files into `dir` (each atomically), after all contents exist. */
export function writeReportFiles(dir: string, files: Record<string, string | Uint8Array>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    writeFileAtomic(path, content);
    return path;
  });
}
