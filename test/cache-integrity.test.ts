/**
 * The compare cache is never trusted blindly (issue 17, rows 2 and 3): a cached run or
 * pretraining checkpoint that does not verify — an edited AP, another run's result.json, a
 * prediction file cut at a line boundary, checkpoint weights zeroed at the same size — is set
 * aside (named) and redone, and the leaderboard is the clean one; a cache moved elsewhere still
 * reads; two processes sharing a cache make every run once; interrupted runs leave no debris.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, spawnCli, tempDir } from './helpers/cli.js';

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const PROTOCOLS = 'downstream-only,pretrain-finetune,cofinetune';
const args = (out: string, cache: string) => ['compare', '--quick', '--budget-scale', '0.2', '--protocols', PROTOCOLS, '--resamples', '40', '--workers', '1', '--out', out, '--cache', cache];
/** The leaderboard's numbers (wall seconds are measurements, not results). */
const board = (out: string) => (JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).leaderboard as { protocol: string; mAP: unknown; head: unknown; tail: unknown; valMAP: number }[]).map((r) => [r.protocol, r.mAP, r.head, r.tail, r.valMAP]);
const runDirs = (cache: string) => readdirSync(join(cache, 'runs')).filter((n) => /^[0-9a-f]{20}$/.test(n));
/** The cached run of `protocol` (by the spec its result.json records). */
const runOf = (cache: string, protocol: string) => join(cache, 'runs', runDirs(cache).find((h) => JSON.parse(readFileSync(join(cache, 'runs', h, 'result.json'), 'utf8')).spec.protocol === protocol)!);

describe('the compare cache verifies what it reads', { timeout: 600_000 }, () => {
  const dir = tempDir();
  const cache = join(dir, 'cache');
  const out = join(dir, 'out');
  let clean: unknown;

  it('a clean run, then a rerun that reuses every run with the same numbers', async () => {
    const first = await cli(args(out, cache));
    expect(first.code, first.stderr).toBe(0);
    clean = board(out);
    const again = await cli(args(out, cache));
    expect(again.stderr).toMatch(/3 run\(s\) reused from the cache/);
    expect(board(out)).toEqual(clean);
  });

  const tampers: [string, () => string, RegExp][] = [
    [
      'an AP edited in a cached result.json',
      () => {
        const run = runOf(cache, 'cofinetune');
        const p = join(run, 'result.json');
        writeFileSync(p, readFileSync(p, 'utf8').replace(/"mAP": 0\.\d+/, '"mAP": 0.99'));
        return run;
      },
      /result\.json was changed after it was written/,
    ],
    [
      "another run's result.json copied over",
      () => {
        const run = runOf(cache, 'downstream-only');
        copyFileSync(join(runOf(cache, 'cofinetune'), 'result.json'), join(run, 'result.json'));
        return run;
      },
      /is not one of its files|does not match its sha256|copied from another run|does not give its hash/,
    ],
    [
      'a prediction file cut at a line boundary',
      () => {
        const run = runOf(cache, 'pretrain-finetune');
        const p = join(run, 'test', 'test_predictions.csv');
        const lines = readFileSync(p, 'utf8').split('\n');
        writeFileSync(p, lines.slice(0, Math.floor(lines.length / 2)).join('\n') + '\n');
        return run;
      },
      /test\/test_predictions\.csv does not match its sha256/,
    ],
    [
      'pretraining checkpoint weights zeroed at the same size',
      () => {
        const ckpt = join(cache, 'pretrain', readdirSync(join(cache, 'pretrain')).find((n) => /^[0-9a-f]{20}$/.test(n))!);
        const w = join(ckpt, 'model', 'weights.bin');
        writeFileSync(w, Buffer.alloc(statSync(w).size));
        // the runs that used it are redone too, so the checkpoint is read again
        for (const p of ['pretrain-finetune']) renameSync(runOf(cache, p), join(dir, `${p}-moved-away`));
        return ckpt;
      },
      /model\/weights\.bin does not match its sha256/,
    ],
  ];

  it.each(tampers)('%s: set aside (named), redone, same leaderboard', async (_name, tamper, why) => {
    const entry = tamper();
    // a process of its own: a checkpoint is read (and set aside) in a worker, whose stderr is the process's
    const r = await spawnCli(args(out, cache));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toContain(`${entry}:`);
    expect(r.stderr).toMatch(/set aside as .*quarantine.* and redone/);
    expect(board(out)).toEqual(clean);
  });

  it('a cache moved elsewhere (another mount point) still reads: paths are relative to it', async () => {
    const moved = join(dir, 'moved-cache');
    renameSync(cache, moved);
    const r = await cli(args(out, moved));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 run\(s\) reused from the cache/);
    expect(board(out)).toEqual(clean);
    const stored = readFileSync(join(runOf(moved, 'cofinetune'), 'result.json'), 'utf8');
    expect(stored).not.toContain(dir);
  });
});

describe('two compare processes sharing one cache', { timeout: 600_000 }, () => {
  it('make every run once (claims), read only their own files, and print the same leaderboard', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const [a, b] = await Promise.all([spawnCli(args(join(dir, 'a'), cache)), spawnCli(args(join(dir, 'b'), cache))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const made = (a.stderr + b.stderr).match(/ {2}done: /g) ?? [];
    expect(made.length).toBe(3); // three runs in the matrix, each trained by one of the two
    expect(board(join(dir, 'a'))).toEqual(board(join(dir, 'b')));
    expect(readdirSync(join(cache, 'runs')).filter((n) => !/^[0-9a-f]{20}$/.test(n))).toEqual([]); // no lock, no partial left
  });
});

describe('an interrupted compare', { timeout: 600_000 }, () => {
  it('killing only the parent stops its workers at once, and the next run cleans the debris and finishes', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args(join(dir, 'out'), cache).map((a) => (a === '0.2' ? '2' : a))], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/steps \(\d+%\)/.test(stderr)) (clearInterval(t), resolve());
      }, 100);
    });
    const workers = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readProc(p).includes('job-worker') && readStatus(p).ppid === child.pid);
    expect(workers.length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && workers.some(running)) await new Promise((r) => setTimeout(r, 50));
    expect(workers.filter(running)).toEqual([]);
    expect(readdirSync(join(cache, 'runs')).some((n) => n.endsWith('.partial'))).toBe(true); // what the kill interrupted
    const r = await cli(args(join(dir, 'out'), cache));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(cache, 'runs')).filter((n) => !/^[0-9a-f]{20}$/.test(n))).toEqual([]);
    expect(existsSync(join(dir, 'out', 'leaderboard.md'))).toBe(true);
  });
});

const readProc = (pid: string) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
const readStatus = (pid: string) => {
  try {
    return { ppid: Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) };
  } catch {
    return { ppid: -1 };
  }
};
/** Alive and not a zombie. */
const running = (pid: string) => {
  try {
    return !/State:\s+[ZX]/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};
