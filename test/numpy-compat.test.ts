/**
 * The numpy ports against numpy 1.24.2's own output (test/fixtures/numpy-1.24.json, made by
 * make-numpy-fixtures.py): argsort order index for index, and sums/nanmeans bit for bit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numpyArgsort } from '../src/metrics/numpy-argsort.js';
import { numpyNanMean, numpySum } from '../src/metrics/numpy-sum.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/numpy-1.24.json', import.meta.url), 'utf8'));
interface ArgsortCase { values: (number | null)[]; nan: boolean[]; order: number[] }
interface SumCase { values: number[]; sum: number }
interface NanMeanCase { values: (number | null)[]; nanmean: number }
const argsortCases: [number, number, ArgsortCase][] = fx.argsort.map((c: ArgsortCase, i: number) => [i, c.values.length, c]);
const sumCases: [number, SumCase][] = fx.sum.map((c: SumCase) => [c.values.length, c]);
const nanMeanCases: [number, NanMeanCase][] = fx.nanmean.map((c: NanMeanCase) => [c.values.length, c]);
const toArray = (values: (number | null)[], nan?: boolean[]) => Float64Array.from(values, (x, i) => (x === null || nan?.[i] ? NaN : x));

describe('numpy 1.24 argsort (introsort) port', () => {
  it.each(argsortCases)('case %i (n=%i)', (_i, _n, c) => {
    const v = toArray(c.values, c.nan);
    expect(Array.from(numpyArgsort(v))).toEqual(c.order);
  });
});

describe('numpy 1.24 sum / nanmean ports', () => {
  it.each(sumCases)('np.sum of %i values, bit for bit', (_n, c) => {
    expect(numpySum(c.values)).toBe(c.sum);
  });
  it('naive left-to-right summation differs from numpy on some fixture (the port is not vacuous)', () => {
    const naive = (a: number[]) => a.reduce((s, x) => s + x, 0);
    expect(sumCases.some(([, c]) => naive(c.values) !== c.sum)).toBe(true);
  });
  it.each(nanMeanCases)('np.nanmean of %i values, bit for bit', (_n, c) => {
    expect(numpyNanMean(toArray(c.values))).toBe(c.nanmean);
  });
});

describe('radix sort of float64 scores', () => {
  it('equals the built-in sort, small and large, negatives and signed zeros included', async () => {
    const { sortFloat64 } = await import('../src/metrics/radix-sort.js');
    const { Rng } = await import('../src/data/rng.js');
    const rng = new Rng(5);
    for (const n of [0, 1, 100, 5000, 70000]) {
      const v = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? -0 : i % 89 === 0 ? 0 : rng.normal(0, 1) * 10 ** rng.int(-5, 5)));
      const want = Float64Array.from(v).sort();
      const got = sortFloat64(v);
      expect(Array.from(got).map((x) => (Object.is(x, -0) ? '-0' : x))).toEqual(Array.from(want).map((x) => (Object.is(x, -0) ? '-0' : x)));
    }
  });
});
