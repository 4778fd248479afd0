/**
 * A full disk (ENOSPC) on an output: exit 2 naming the path and the reason, no partial report,
 * and nothing left on the full device that a later read could trip on. A small tmpfs is
 * mounted for the purpose, which needs root (CI runs as root); elsewhere the test is skipped
 * and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, tempDir } from './helpers/cli.js';
import { GT, PRED } from './helpers/ava-slice.js';

const mnt = join(tempDir(), 'full-disk');
mkdirSync(mnt);
// 48 KiB: less than an eval report of the bundled slice (its evidence sidecar alone is ~58 KB)
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', mnt]).status === 0;

describe.skipIf(!mounted)('a full disk (skipped unless root can mount a small tmpfs)', { timeout: 120_000 }, () => {
  beforeAll(() => expect(readdirSync(mnt)).toEqual([]));
  afterAll(() => {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it.each([
    ['eval', (out: string) => ['eval', '--gt', GT, '--pred', PRED, '--labelmap', LABEL_MAP, '--out', out]],
    ['data show', (out: string) => ['data', 'show', '--count', '64', '--out', join(out, 'sheet.png')]],
  ])('%s: exit 2 naming the path and ENOSPC; nothing left on the device', async (_name, args) => {
    const r = await cli(args(join(mnt, 'report')));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^cft-bench: ${mnt}/\\S+: \\w+: no space left on the device \\(ENOSPC\\); no report was written`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(mnt)).toEqual([]);
  });
});
