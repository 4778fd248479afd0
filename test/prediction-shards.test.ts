/**
 * Sharded predictions (one file per inference rank): N shards score exactly as the unsharded
 * file, with DistributedSampler-style padding (rows repeated in another shard) counted once;
 * shards that disagree on a row's score, and bad rows in a shard, are errors naming the shard
 * file and line. Data: the bundled real-AVA slice (examples/ava-slice).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, readJson, tempDir } from './helpers/cli.js';

const SLICE = new URL('../examples/ava-slice/', import.meta.url).pathname;
const GT = join(SLICE, 'gt.csv');
const lines = gunzipSync(readFileSync(join(SLICE, 'pred.csv.gz'))).toString('utf8').trimEnd().split('\n');
const keyframe = (line: string) => line.split(',').slice(0, 2).join(',');

/** Splits the slice's predictions into 3 shards by keyframe; padding repeats whole keyframes in later shards. */
function shards() {
  const keys = [...new Set(lines.map(keyframe))];
  const third = Math.ceil(keys.length / 3);
  const part = (i: number) => new Set(keys.slice(i * third, (i + 1) * third));
  const rows = [0, 1, 2].map((i) => lines.filter((l) => part(i).has(keyframe(l))));
  const padding1 = lines.filter((l) => keyframe(l) === keys[0]); // rank 1 re-runs the first sample
  const padding2 = lines.filter((l) => keyframe(l) === keys[third + 1]); // rank 2 one of rank 1's
  return { rows: [rows[0]!, [...rows[1]!, ...padding1], [...padding2, ...rows[2]!]], padded: padding1.length + padding2.length };
}

const evalArgs = (pred: string[], out: string) => ['eval', '--gt', GT, '--labelmap', LABEL_MAP, '--pred', ...pred, '--out', out, '--json'];

describe('eval --pred with shards', { timeout: 60_000 }, () => {
  const dir = tempDir();
  const { rows, padded } = shards();
  const files = rows.map((r, i) => join(dir, `rank-${i}.csv${i === 1 ? '.gz' : ''}`));
  rows.forEach((r, i) => writeFileSync(files[i]!, i === 1 ? gzipSync(r.join('\n') + '\n') : r.join('\n') + '\n'));

  it('N shards with padding score exactly as the unsharded file; repeats are counted once and reported', async () => {
    const whole = await cli(evalArgs([join(SLICE, 'pred.csv.gz')], join(dir, 'whole')));
    expect(whole.code, whole.stderr).toBe(0);
    const sharded = await cli(evalArgs(files, join(dir, 'sharded')));
    expect(sharded.code, sharded.stderr).toBe(0);
    const a = JSON.parse(whole.stdout);
    const b = JSON.parse(sharded.stdout);
    expect(padded).toBeGreaterThan(0);
    expect(b.mAP).toBe(a.mAP);
    expect(b.perClass).toEqual(a.perClass);
    expect(b.counts.predictions.rowsRead).toBe(a.counts.predictions.rowsRead);
    expect(b.shards).toEqual({ files, lines: lines.length + padded, duplicateRows: padded, sharedKeyframes: 2 });
    expect(b.inputs.filter((f: { role: string }) => f.role === 'predictions').map((f: { path: string }) => f.path)).toEqual(files);
    // without the dedupe the padding would count twice: the plain concatenation scores differently
    const concat = join(dir, 'concat.csv');
    writeFileSync(concat, rows.flat().join('\n') + '\n');
    const c = JSON.parse((await cli(evalArgs([concat], join(dir, 'concat')))).stdout);
    expect(c.mAP).not.toBe(a.mAP);
  });

  it('a quoted glob expands to the shards, in sorted order', async () => {
    const r = await cli(evalArgs([join(dir, 'rank-*')], join(dir, 'glob')));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).shards.files).toEqual(files);
    const none = await cli(evalArgs([join(dir, 'nothing-*.csv')], join(dir, 'none')));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no file matches this pattern');
  });

  it('shards that disagree on a score: exit 2 naming both files and lines, no report', async () => {
    const bad = join(dir, 'disagree');
    const changed = rows[0]!.slice(0, 3).map((l, i) => (i === 2 ? l.replace(/,[^,]*$/, ',0.123456') : l));
    const extra = join(dir, 'rank-3-disagrees.csv');
    writeFileSync(extra, changed.join('\n') + '\n');
    const r = await cli(evalArgs([files[0]!, extra], bad));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${extra}:3: same keyframe, box and class as ${files[0]}:3, but score 0.123456 there`);
    expect(() => readFileSync(join(bad, 'result.json'))).toThrow();
  });

  it('a malformed row in a shard is reported at its own file and line', async () => {
    const broken = [...rows[2]!];
    const at = broken.length - 2; // past the padding rows, in rank 2's own keyframes
    broken[at] = broken[at]!.replace(/,[^,]*$/, ',nan');
    const f = join(dir, 'rank-2-broken.csv');
    writeFileSync(f, broken.join('\n') + '\n');
    const r = await cli(evalArgs([files[0]!, files[1]!, f], join(dir, 'broken')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${at + 1}: .*score`));
  });
});
