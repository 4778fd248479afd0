/**
 * Sealed directories: how a run's results and a pretraining checkpoint are cached, so that a
 * cached number is never trusted blindly and never half-written.
 *
 * - stage:   a run writes into its own private sibling directory (`<final>.<pid>-<r>.partial`),
 *            never into the shared one, and reads back only its own files;
 * - seal:    its record (result.json / state.json) lists the sha256 of every other file in the
 *            directory and of its own content (`integrity`), with paths relative to the
 *            directory, so a cache moved or mounted elsewhere still reads;
 * - publish: the staged directory is renamed into place in one step (whole or absent);
 * - verify:  on every read the record must parse, match its seal, and every file its hash;
 *            anything else is damage: the entry is moved to `<root>/quarantine/` (named in a
 *            message) and the work is redone, rather than failing every later run;
 * - claim:   `<final>.lock` (created exclusively, refreshed while held) tells concurrent
 *            processes sharing a cache that a run is being made, so it is made once.
 *
 * Stale `.partial` directories (atomic-write.ts cleanStale) and locks of processes that died are
 * cleaned by the next process.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { cleanStale, pidAlive, tempTag, writeFileAtomic } from '../reports/atomic-write.js';

export interface Seal {
  /** Relative path → sha256 of every file in the directory but the record itself. */
  readonly files: Record<string, string>;
  /** sha256 of the record's canonical JSON without this field. */
  readonly content: string;
}

/** JSON with object keys sorted at every level: equal data, equal text (undefined members left out, as JSON does). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (relative(dir, p) !== skip) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Writes `record` (plus its seal) as `dir/<name>`: call last, when every other file is in place. */
export function sealDir<T extends object>(dir: string, name: string, record: T): T & { integrity: Seal } {
  const files = Object.fromEntries(filesUnder(dir, name).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
  // sealed as it will read back (JSON has no undefined, NaN or Infinity)
  const plain = JSON.parse(JSON.stringify(record)) as T;
  const sealed = { ...plain, integrity: { files, content: sha256(canonicalJson(plain)) } };
  writeFileAtomic(join(dir, name), JSON.stringify(sealed, null, 2) + '\n');
  return sealed;
}

export type DirState<T> = { readonly kind: 'missing' } | { readonly kind: 'damaged'; readonly why: string } | { readonly kind: 'ok'; readonly record: T };

/** Reads and verifies a sealed directory's record (see the module comment). */
export function readSealedDir<T>(dir: string, name: string): DirState<T> {
  const path = join(dir, name);
  if (!existsSync(path)) return { kind: existsSync(dir) ? 'damaged' : 'missing', ...(existsSync(dir) ? { why: `${name} is missing` } : {}) } as DirState<T>;
  let doc: { integrity?: Seal } & Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (err) {
    return { kind: 'damaged', why: `${name} is not JSON (${(err as Error).message})` };
  }
  const seal = doc?.integrity;
  if (typeof seal !== 'object' || seal === null || typeof seal.files !== 'object' || typeof seal.content !== 'string') return { kind: 'damaged', why: `${name} has no integrity seal (written by an older cft-bench?)` };
  const { integrity: _, ...record } = doc;
  if (sha256(canonicalJson(record)) !== seal.content) return { kind: 'damaged', why: `${name} was changed after it was written (its content does not match its seal)` };
  const present = filesUnder(dir, name);
  for (const f of present) if (seal.files[f] === undefined) return { kind: 'damaged', why: `${f} is not one of its files` };
  for (const [f, want] of Object.entries(seal.files)) {
    const p = join(dir, f);
    if (!existsSync(p)) return { kind: 'damaged', why: `${f} is missing` };
    if (sha256(readFileSync(p)) !== want) return { kind: 'damaged', why: `${f} does not match its sha256 (changed, truncated or replaced)` };
  }
  return { kind: 'ok', record: record as T };
}

/** Moves a damaged entry to `<root>/quarantine/<name>-<time>` (with the reason) and says so on stderr. */
export function quarantine(dir: string, why: string, root = dirname(dir)): string {
  const q = join(root, 'quarantine');
  mkdirSync(q, { recursive: true });
  const to = join(q, `${basename(dir)}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  try {
    renameSync(dir, to);
  } catch {
    return dir; // another process moved it first
  }
  try {
    writeFileAtomic(join(to, 'QUARANTINED.txt'), `${why}\n`);
  } catch {
    /* the move is what matters */
  }
  process.stderr.write(`cft-bench: ${dir}: ${why}; set aside as ${to} and redone\n`);
  return to;
}

/** A private staging directory beside `final` (same file system, so publishing is one rename). */
export function stageDir(final: string): string {
  mkdirSync(dirname(final), { recursive: true });
  cleanStale(dirname(final));
  const dir = `${final}.${tempTag()}.partial`;
  mkdirSync(dir);
  return dir;
}

/**
 * Renames `staged` to `final`. If `final` exists: `keep` (a cache: another process finished the
 * same run first) keeps it and discards ours; `replace` (an output folder) swaps ours in.
 */
export function publishDir(staged: string, final: string, policy: 'keep' | 'replace'): void {
  if (existsSync(final)) {
    if (policy === 'keep') {
      rmSync(staged, { recursive: true, force: true });
      return;
    }
    const old = `${final}.${tempTag()}.partial`;
    renameSync(final, old);
    renameSync(staged, final);
    rmSync(old, { recursive: true, force: true });
    return;
  }
  renameSync(staged, final);
}

/** A lock not refreshed for this long belongs to a process that died (on any host of a cluster). */
export const LOCK_STALE_MS = 10 * 60_000;
const LOCK_REFRESH_MS = 60_000;

/**
 * Creates `lock` holding `text`, or returns false when it exists. The text is written to a
 * private file first and hard-linked into place, so a lock is never seen empty: with an
 * exclusive open and a later write, another process could read the empty file in between,
 * judge it the debris of a dead process and take the run over, and both would make it.
 * link(2) is atomic on local file systems and NFS alike.
 */
function createLock(lock: string, text: string): boolean {
  const tmp = `${lock}.${tempTag()}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Claims `final` for this process: returns a release function, or null while another live
 * process holds it. A lock of a dead process (same host), or one not refreshed for
 * LOCK_STALE_MS (any host), is taken over.
 */
export function claim(final: string): (() => void) | null {
  const lock = `${final}.lock`;
  mkdirSync(dirname(final), { recursive: true });
  // the token makes this lock's text unique, so a take-over and a release can tell it from a newer one
  const text = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), token: tempTag() }) + '\n';
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createLock(lock, text)) {
      const timer = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(lock, now, now);
        } catch {
          /* released or removed */
        }
      }, LOCK_REFRESH_MS).unref();
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        // only our own lock: one taken over meanwhile (we were judged stale) belongs to its new owner
        if (readText(lock) === text) rmSync(lock, { force: true });
        heldLocks.delete(release);
      };
      heldLocks.add(release);
      return release;
    }
    const seen = readText(lock);
    if (seen === null) continue; // released since: try again
    let owner: { pid?: number; host?: string } = {};
    let age: number;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released since
    }
    try {
      owner = JSON.parse(seen) as typeof owner;
    } catch {
      /* damaged: only its age can say it is stale */
    }
    const dead = (owner.host === hostname() && typeof owner.pid === 'number' && !pidAlive(owner.pid)) || age > LOCK_STALE_MS;
    if (!dead) return null;
    // Take over by moving the lock aside first, then checking it was the one judged dead: another
    // process may have taken it over and made a fresh lock in between, which is put back.
    const aside = `${lock}.${tempTag()}.tmp`;
    try {
      renameSync(lock, aside);
    } catch {
      continue; // gone since
    }
    const moved = readText(aside);
    if (moved !== seen) {
      try {
        linkSync(aside, lock);
      } catch {
        /* a third process made one meanwhile: it holds the claim */
      }
      rmSync(aside, { force: true });
      return null;
    }
    rmSync(aside, { force: true });
  }
  return null;
}

/** Locks this process holds: released when it exits, however it exits (signals included). */
const heldLocks = new Set<() => void>();
process.once('exit', () => {
  for (const r of [...heldLocks]) r();
});
