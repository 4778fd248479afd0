/**
 * Whole outputs: a file is written to a temporary name beside it and renamed into place; a
 * report folder is built complete in a staging folder beside it and swapped in, so a reader (or
 * an interrupted or concurrent run) sees the old folder or the new one — never a new leaderboard
 * beside an old result.json, never a stale file of an earlier run. Temporaries of processes
 * that died are removed by the next write in the same folder.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../data/input-error.js';

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const created = mkdirSync(dirname(path), { recursive: true });
  cleanStale(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${tempTag()}.tmp`);
  try {
    writeFile(tmp, content, path);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (created !== undefined) rmSync(created, { recursive: true, force: true }); // no empty folders left either
    throw err;
  }
}

/** writeFileSync, with `target` named in a failure that names no path (a write(2) of a full disk names none). */
function writeFile(path: string, content: string | Uint8Array, target: string): void {
  try {
    writeFileSync(path, content);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && e.path === undefined) e.path = target;
    throw err;
  }
}

/** Files a report folder of cft-bench holds one of (a folder with none of them is not replaced). */
const REPORT_MARKERS = ['result.json', 'leaderboard.json', 'leaderboard.md', 'diff.json', 'summary.md', 'dataset.json', 'plans.json'];

/**
 * Refuses an output folder that exists and is neither empty nor a cft-bench report: replacing
 * it whole would delete files that are not ours.
 */
export function checkReplaceable(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError(dir, null, 'exists and is not a directory');
  const names = readdirSync(dir);
  if (names.length > 0 && !names.some((n) => REPORT_MARKERS.includes(n))) throw new InputError(dir, null, 'a folder that is not a cft-bench report and not empty: refusing to replace it (choose another --out)');
}

/**
 * Writes `files` (name → content; names may hold subfolders) as the whole content of `dir`:
 * staged beside it, then swapped in. Returns the paths written.
 */
export function writeReportFiles(dir: string, files: Record<string, string | Uint8Array>): string[] {
  const { stage, created } = stageFor(dir);
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(stage, name)), { recursive: true });
      writeFile(join(stage, name), content, join(dir, name));
    }
    swap(stage, dir);
  } catch (err) {
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return Object.keys(files).map((name) => join(dir, name));
}

/**
 * The same for a folder whose files are made by `fill(stage)` (e.g. an evaluation that writes
 * its AVA files as it goes): `fill` writes into the staging folder it is given, then the whole
 * folder is swapped in. Nothing is left if `fill` throws.
 */
export async function writeReportDir<T>(dir: string, fill: (stage: string) => Promise<T>): Promise<T> {
  const { stage, created } = stageFor(dir);
  try {
    const out = await fill(stage);
    swap(stage, dir);
    return out;
  } catch (err) {
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A staging folder beside `dir`, and the first parent folder made for it (removed again if the write fails). */
function stageFor(dir: string): { stage: string; created: string | undefined } {
  checkReplaceable(dir);
  const parent = dirname(dir);
  const created = mkdirSync(parent, { recursive: true });
  cleanStale(parent);
  const stage = join(parent, `.${basename(dir)}.${tempTag()}.partial`);
  mkdirSync(stage);
  return { stage, created };
}

/** Puts the complete `stage` in place of `dir` (the old folder, if any, is moved aside first and removed). */
function swap(stage: string, dir: string): void {
  if (existsSync(dir)) {
    const old = join(dirname(dir), `.${basename(dir)}.${tempTag()}.partial`);
    renameSync(dir, old);
    renameSync(stage, dir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(stage, dir);
}

const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);

/**
 * The tag in every temporary name: `<pid>-<host>-<random>`. A temporary whose process is gone
 * is debris; the host part keeps a process from judging (and deleting) another node's
 * temporaries in a cache shared across a cluster.
 */
export function tempTag(): string {
  return `${process.pid}-${HOST}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Whether process `pid` (of this host) still runs: a zombie (exited, not yet reaped) does not. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: "pid (comm) S ..." — state Z or X is a process that has exited
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return true; // no /proc: kill(0) is all we can know
  }
}

/** Removes `*.partial` folders and `*.tmp` files in `dir` left by processes of this host that are gone. */
export function cleanStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /\.(\d+)-([0-9a-f]{6})-\w+\.(?:partial|tmp)$/.exec(n);
    if (m !== null && m[2] === HOST && !pidAlive(Number(m[1]))) rmSync(join(dir, n), { recursive: true, force: true });
  }
}
