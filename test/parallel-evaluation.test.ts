/**
 * The parallel evaluator gives bit-identical results to one thread: on a grouped file, on an
 * interleaved file (keyframes spanning the split: sequential fallback), and errors in the
 * second part name the absolute line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateFiles } from '../src/metrics/evaluator.js';
import { getPreset } from '../src/metrics/presets.js';
import { generateAvaScale } from '../bench/generate-ava-scale.js';
import { LABEL_MAP, tempDir } from './helpers/cli.js';
import { InputError } from '../src/data/input-error.js';

const dir = tempDir();
const paths = generateAvaScale(dir, 2, 40, 99);
const small = { minParallelBytes: 0 };

async function both(pred: string, preset = 'activitynet-2019') {
  const p = { gt: paths.gt, pred, labelMap: LABEL_MAP, exclusions: paths.exclusions };
  const one = await evaluateFiles(p, getPreset(preset), { workers: 1 });
  const two = await evaluateFiles(p, getPreset(preset), { workers: 2, ...small });
  return { one, two };
}

describe('parallel evaluation', () => {
  it.each(['activitynet-2019', 'activitynet', 'mmaction2'])('is identical to sequential (%s)', async (preset) => {
    const { one, two } = await both(paths.pred, preset);
    expect(two.summary.mAP).toBe(one.summary.mAP);
    expect(two.summary.classes).toEqual(one.summary.classes);
    expect(two.evaluation.keys).toEqual(one.evaluation.keys);
    expect(two.counts).toEqual(one.counts);
  });

  it('falls back to sequential when keyframes are interleaved across the split', async () => {
    const lines = readFileSync(paths.pred, 'utf8').trimEnd().split('\n');
    const half = Math.floor(lines.length / 2);
    const mixed: string[] = [];
    for (let i = 0; i < half; i++) mixed.push(lines[i]!, lines[half + i]!);
    const p = join(dir, 'mixed.csv');
    writeFileSync(p, mixed.join('\n') + '\n');
    const { one, two } = await both(p);
    expect(two.summary.classes).toEqual(one.summary.classes);
    expect(one.summary.mAP).toBeGreaterThan(0.05);
  });

  it('an error in the second part names its absolute line', async () => {
    const lines = readFileSync(paths.pred, 'utf8').trimEnd().split('\n');
    const at = lines.length - 3;
    lines[at] = lines[at]!.replace(/,[^,]*$/, ',oops');
    const p = join(dir, 'bad.csv');
    writeFileSync(p, lines.join('\n') + '\n');
    const err = await evaluateFiles({ gt: paths.gt, pred: p, labelMap: LABEL_MAP }, getPreset('activitynet-2019'), { workers: 2, ...small }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).line).toBe(at + 1);
  });
});
