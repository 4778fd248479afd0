/**
 * Parity with the official ActivityNet evaluator (three versions) and the community tools, on
 * every case in ../shared/data/ava-parity: mAP and every per-class AP within 1e-12, and the
 * counts (num_gt, num_dets, num_tp) exactly. Variants that reject the input must be rejected.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/data/input-error.js';
import { evaluateFiles } from '../../src/metrics/evaluator.js';
import { getPreset } from '../../src/metrics/presets.js';

const CASES = join(import.meta.dirname, '../../../shared/data/ava-parity/cases');
const TOL = 1e-12;

const VARIANT_PRESET: Record<string, string> = {
  official_2019: 'activitynet-2019',
  official_head: 'activitynet',
  official_2018: 'activitynet-2018',
};

function input(dir: string, name: string): string {
  return existsSync(join(dir, name)) ? join(dir, name) : join(dir, `${name}.gz`);
}

function paths(dir: string) {
  return {
    gt: input(dir, 'gt.csv'),
    pred: input(dir, 'pred.csv'),
    labelMap: join(dir, 'labelmap.pbtxt'),
    exclusions: join(dir, 'exclusions.csv'),
  };
}

const caseNames = existsSync(CASES) ? readdirSync(CASES).sort() : [];

describe.skipIf(caseNames.length === 0)('AVA parity fixtures (skipped only when ../shared is absent)', () => {
  for (const name of caseNames) {
    const dir = join(CASES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    for (const [variant, result] of Object.entries<any>(expected.results)) {
      const preset = getPreset(VARIANT_PRESET[variant]!);
      it(`${name} / ${variant} (${preset.name})`, async () => {
        if (result.error !== undefined) {
          await expect(evaluateFiles(paths(dir), preset, { workers: 1 })).rejects.toBeInstanceOf(InputError);
          return;
        }
        const run = await evaluateFiles(paths(dir), preset, { workers: 1 });
        expect(Math.abs(run.summary.mAP - result.mAP)).toBeLessThanOrEqual(TOL);
        expect(run.evaluation.gtKeyframes).toBe(result.num_gt_images);
        expect(run.evaluation.detKeyframes).toBe(result.num_det_images);
        for (const c of run.summary.classes) {
          const want = result.per_class[String(c.id)];
          expect(want, `class ${c.id}`).toBeDefined();
          expect(c.name).toBe(want.name);
          if (want.ap === null) expect(c.ap, `class ${c.id} ap`).toBeNaN();
          else expect(Math.abs(c.ap - want.ap), `class ${c.id} ap ${c.ap} vs ${want.ap}`).toBeLessThanOrEqual(TOL);
          expect([c.numGt, c.numDets, c.numTp], `class ${c.id} counts`).toEqual([want.num_gt, want.num_dets, want.num_tp]);
        }
      });
    }
    for (const tool of ['mmaction2', 'slowfast'] as const) {
      const community = expected.community?.[tool];
      if (community === undefined) continue;
      it(`${name} / ${tool}`, async () => {
        const p = paths(dir);
        const run = () => evaluateFiles(community.exclusions_used === false ? { ...p, exclusions: undefined } : p, getPreset(tool), { workers: 1 });
        if (community.error !== undefined) {
          await expect(run()).rejects.toBeInstanceOf(InputError);
          return;
        }
        const r = await run();
        expect(Math.abs(r.summary.mAP - community.mAP), `mAP ${r.summary.mAP} vs ${community.mAP}`).toBeLessThanOrEqual(TOL);
        const ours = new Map(r.summary.classes.map((c) => [String(c.id), c.ap]));
        expect(r.summary.classes.filter((c) => !Number.isNaN(c.ap)).length).toBe(community.classes_in_mean);
        for (const [id, ap] of Object.entries<number | null>(community.per_class_ap)) {
          if (ap === null) expect(ours.get(id), `class ${id}`).toBeNaN();
          else expect(Math.abs(ours.get(id)! - ap), `class ${id}: ${ours.get(id)} vs ${ap}`).toBeLessThanOrEqual(TOL);
        }
      });
    }
    const cross = expected.cross_checks?.official_2019;
    if (cross?.mAP_range_over_tie_orders !== undefined) {
      it(`${name} / tie bounds`, async () => {
        const r = await evaluateFiles(paths(dir), getPreset('activitynet-2019'), { workers: 1, tieBounds: true });
        const [lo, hi] = cross.mAP_range_over_tie_orders;
        expect(Math.abs(r.summary.mAPRange![0] - lo)).toBeLessThanOrEqual(TOL);
        expect(Math.abs(r.summary.mAPRange![1] - hi)).toBeLessThanOrEqual(TOL);
        for (const c of r.summary.classes) {
          const fp = cross.tie_policies.fp_first.per_class_ap[String(c.id)];
          const tp = cross.tie_policies.tp_first.per_class_ap[String(c.id)];
          if (fp === null || fp === undefined) continue;
          expect(Math.abs(c.apMin! - fp)).toBeLessThanOrEqual(TOL);
          expect(Math.abs(c.apMax! - tp)).toBeLessThanOrEqual(TOL);
        }
      });
    }
  }
});
