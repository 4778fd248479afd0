/** Runs the CLI in-process, capturing stdout/stderr; plus small temp-file helpers for tests. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'cft-bench', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

const made = new Set<string>();

/** A new temp dir, removed after the test file (test/helpers/setup.ts): tests leave nothing behind. */
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs the CLI in a process of its own (what worker processes print reaches its stderr); stdout is not kept. */
export function spawnCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export function tempDir(prefix = 'cft-bench-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  made.clear();
}

export const LABEL_MAP = new URL('../../examples/ava-slice/labelmap.pbtxt', import.meta.url).pathname;

/** Writes `files` (name → content) into a new temp dir and returns its path. */
export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
