import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { LOCK_STALE_MS, claim } from '../src/protocols/sealed-dir.js';
import { tempDir } from './helpers/cli.js';

const SEALED_DIR = new URL('../src/protocols/sealed-dir.ts', import.meta.url).pathname;

/** A pid no process has: larger than Linux's pid_max. */
const DEAD_PID = 2 ** 22 + 1;

describe('claim: one maker per run among processes sharing a cache', () => {
  it('a lock held by another live process is respected, even while its text is still being written', () => {
    const dir = tempDir();
    const final = join(dir, 'run');
    writeFileSync(`${final}.lock`, ''); // an exclusive open before the write: the window two makers used to slip through
    expect(claim(final)).toBeNull();
    writeFileSync(`${final}.lock`, JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(claim(final)).toBeNull();
  });

  it('a lock of a dead process, or one not refreshed for LOCK_STALE_MS, is taken over; release removes only its own lock', () => {
    const dir = tempDir();
    const dead = join(dir, 'a');
    writeFileSync(`${dead}.lock`, JSON.stringify({ pid: DEAD_PID, host: hostname() }));
    const release = claim(dead);
    expect(release).not.toBeNull();
    expect(JSON.parse(readFileSync(`${dead}.lock`, 'utf8')).pid).toBe(process.pid);
    release!();
    expect(existsSync(`${dead}.lock`)).toBe(false);

    const stale = join(dir, 'b');
    writeFileSync(`${stale}.lock`, JSON.stringify({ pid: 1, host: 'another-node' }));
    expect(claim(stale)).toBeNull(); // fresh: its owner on another host may be working
    const past = new Date(Date.now() - LOCK_STALE_MS - 60_000);
    utimesSync(`${stale}.lock`, past, past);
    const mine = claim(stale);
    expect(mine).not.toBeNull();
    // judged stale while it was only slow: the lock was taken over by another process meanwhile
    const theirs = JSON.stringify({ pid: 1, host: 'another-node', token: 'newer' });
    writeFileSync(`${stale}.lock`, theirs);
    mine!();
    expect(readFileSync(`${stale}.lock`, 'utf8')).toBe(theirs);
  });

  it('processes claiming the same runs at the same moment: each run is claimed by exactly one', async () => {
    const dir = tempDir();
    const runs = 200;
    const script = join(dir, 'claimer.ts');
    // each process says "ready" once loaded, claims on "go" and holds its claims until stdin closes
    writeFileSync(
      script,
      `import { claim } from ${JSON.stringify(SEALED_DIR)};
       process.stdout.write('ready\\n');
       process.stdin.once('data', () => {
         const won: number[] = [];
         for (let i = 0; i < ${runs}; i++) if (claim(${JSON.stringify(dir)} + '/run' + i) !== null) won.push(i);
         process.stdout.write(JSON.stringify(won) + '\\n');
         process.stdin.once('end', () => process.exit(0)).resume();
       });`,
    );
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const lines = children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
    const line = async (it: AsyncIterator<string>) => String((await it.next()).value);
    expect(await Promise.all(lines.map(line))).toEqual(children.map(() => 'ready'));
    for (const c of children) c.stdin!.write('go\n');
    const won = (await Promise.all(lines.map(line))).map((l) => JSON.parse(l) as number[]);
    await Promise.all(children.map((c) => new Promise((r) => (c.on('close', r), c.stdin!.end()))));
    const makers = new Array<number>(runs).fill(0);
    for (const w of won) for (const i of w) makers[i]!++;
    expect(makers.filter((m) => m !== 1)).toEqual([]);
    // released at exit: nothing left for the next process to clean
    expect(Array.from({ length: runs }, (_, i) => existsSync(join(dir, `run${i}.lock`))).some(Boolean)).toBe(false);
  });
});
