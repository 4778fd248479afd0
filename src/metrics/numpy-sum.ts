/**
 * numpy 1.24 `np.sum` of a 1-D float64 array (spec §9.4): blocks of 8192 added left to right
 * from 0, each block summed pairwise (8 interleaved accumulators up to 128 elements). The
 * official AP is this sum of per-point terms and its mAP a `nanmean`; matching the order makes
 * results bit-identical instead of merely within 1e-14.
 */

const BLOCK = 8192;

function pairwise(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[start]!, r1 = a[start + 1]!, r2 = a[start + 2]!, r3 = a[start + 3]!;
    let r4 = a[start + 4]!, r5 = a[start + 5]!, r6 = a[start + 6]!, r7 = a[start + 7]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const p = start + i;
      r0 += a[p]!;
      r1 += a[p + 1]!;
      r2 += a[p + 2]!;
      r3 += a[p + 3]!;
      r4 += a[p + 4]!;
      r5 += a[p + 5]!;
      r6 += a[p + 6]!;
      r7 += a[p + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** `np.sum(a)` for a 1-D float64 array. */
export function numpySum(a: ArrayLike<number>): number {
  let total = 0;
  for (let start = 0; start < a.length; start += BLOCK) {
    total += pairwise(a, start, Math.min(BLOCK, a.length - start));
  }
  return total;
}

/** `np.nanmean(a)`: NaN → 0, numpy sum, divided by the count of non-NaN values (NaN if none). */
export function numpyNanMean(a: ArrayLike<number>): number {
  const filled = new Float64Array(a.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x === x) {
      filled[i] = x;
      count++;
    }
  }
  return count === 0 ? NaN : numpySum(filled) / count;
}
