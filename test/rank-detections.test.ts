/**
 * rank-detections: the radix ranking with its TP/FP-tie fallback gives exactly the statistics of
 * the official `np.argsort(scores)[::-1]` ranking — plain AP, and AP under bootstrap keyframe
 * multiplicities — on tie-heavy data, above and below the radix size threshold.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/data/rng.js';
import { averagePrecision } from '../src/metrics/average-precision.js';
import { weightedMap, type RankedMatches } from '../src/metrics/bootstrap.js';
import { numpyArgsort } from '../src/metrics/numpy-argsort.js';
import { argsortFloat64, rankByClass } from '../src/metrics/rank-detections.js';

function table(n: number, keyframes: number, levels: number, seed: number) {
  const rng = new Rng(seed);
  const keyframe = Int32Array.from({ length: n }, () => rng.int(0, keyframes));
  const cls = Int32Array.from({ length: n }, () => rng.int(1, 4));
  // few distinct scores: many ties, TP/FP ties included; a -0 among them
  const score = Float64Array.from({ length: n }, () => (levels === 0 ? rng.random() : rng.int(0, levels) / levels));
  score[0] = -0;
  const tp = Uint8Array.from({ length: n }, () => (rng.random() < 0.3 ? 1 : 0));
  return { length: n, keyframe, cls, score, tp };
}

describe('rank-detections', () => {
  it('argsortFloat64 sorts ascending and stably, above and below the radix threshold', () => {
    for (const n of [100, 10_000]) {
      // -0 and +0 are not compared here: the radix order puts -0 first, a comparison sort keeps them in index order
      const v = Float64Array.from({ length: n }, (_, i) => Math.round(Math.sin(i) * 50) / 7 + 0 - (i % 3 === 0 ? 1e-300 : 0));
      const got = argsortFloat64(v);
      const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
      expect(Array.from(got)).toEqual(want);
    }
  });

  for (const [n, levels] of [[600, 7], [9000, 13], [9000, 0]] as const) {
    it(`${n} detections, ${levels === 0 ? 'no ties' : `${levels} score levels`}: same AP as the official ranking, with and without multiplicities`, () => {
      const keyframes = 400;
      const m = table(n, keyframes, levels, n + levels);
      const ids = [1, 2, 3];
      const ranked = rankByClass(m, ids);
      const gt = new Map(ids.map((id) => [id, Float64Array.from({ length: keyframes }, (_, k) => (k * id + 1) % 3)]));
      // the official ranking, directly
      const official = new Map(
        ids.map((id) => {
          const rows = [...Array(n).keys()].filter((i) => m.cls[i] === id);
          const order = numpyArgsort(Float64Array.from(rows, (i) => m.score[i]!));
          const r = Array.from(order).reverse().map((j) => rows[j]!);
          return [id, { kf: Int32Array.from(r, (i) => m.keyframe[i]!), tp: Uint8Array.from(r, (i) => m.tp[i]!) }];
        }),
      );
      for (const id of ids) {
        const rows = [...Array(n).keys()].filter((i) => m.cls[i] === id);
        const numGt = gt.get(id)!.reduce((a, b) => a + b, 0);
        const ap = averagePrecision(Float64Array.from(rows, (i) => m.score[i]!), Uint8Array.from(rows, (i) => m.tp[i]!), numGt);
        // (weightedMap sums left to right, the official AP pairwise as numpy: equal to rounding)
        expect(weightedMap({ keys: [], byClass: ranked, gt }, [id], new Float64Array(keyframes).fill(1))).toBeCloseTo(ap, 12);
      }
      const a: RankedMatches = { keys: [], byClass: ranked, gt };
      const b: RankedMatches = { keys: [], byClass: official, gt };
      const rng = new Rng(5);
      for (let r = 0; r < 20; r++) {
        const w = new Float64Array(keyframes);
        for (let i = 0; i < keyframes; i++) w[rng.int(0, keyframes)]!++;
        for (const id of ids) expect(weightedMap(a, [id], w)).toBe(weightedMap(b, [id], w));
      }
    });
  }
});
