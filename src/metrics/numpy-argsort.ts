/**
 * numpy 1.24 `np.argsort(v)` (default kind: introsort, not stable), spec §9.3. The official
 * evaluator ranks each class's detections with `np.argsort(scores)[::-1]`, so among tied
 * scores the official order is this algorithm's artefact; reproducing it is what makes
 * tie-heavy inputs come out bit-identical. Port of numpy/core/src/npysort/quicksort.cpp
 * (`aquicksort_`) and heapsort.cpp (`aheapsort_`), float64 with NaN sorted last.
 */

// numpy npysort_common.h: ranges with more than 16 elements (pr - pl > 15) are partitioned.
const SMALL_QUICKSORT = 15;

// numpy's DOUBLE_LT: a < b, or b is NaN and a is not.
function lt(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** Indices that sort `v` ascending, exactly as numpy 1.24's default argsort orders them. */
export function numpyArgsort(v: Float64Array): Int32Array {
  const num = v.length;
  const tosort = new Int32Array(num);
  for (let i = 0; i < num; i++) tosort[i] = i;
  if (num < 2) return tosort;
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = (31 - Math.clz32(num)) * 2; // npy_get_msb(num) * 2
  const swap = (a: number, b: number) => {
    const t = tosort[a]!;
    tosort[a] = tosort[b]!;
    tosort[b] = t;
  };
  for (;;) {
    if (cdepth < 0) {
      aheapsort(v, tosort, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (lt(v[tosort[pm]!]!, v[tosort[pl]!]!)) swap(pm, pl);
        if (lt(v[tosort[pr]!]!, v[tosort[pm]!]!)) swap(pr, pm);
        if (lt(v[tosort[pm]!]!, v[tosort[pl]!]!)) swap(pm, pl);
        const vp = v[tosort[pm]!]!;
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (lt(v[tosort[pi]!]!, vp));
          do --pj;
          while (lt(vp, v[tosort[pj]!]!));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        const pk = pr - 1;
        swap(pi, pk);
        // push the larger partition, continue with the smaller
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      // insertion sort (stable: moves left only past strictly greater values)
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = tosort[pi]!;
        const vp = v[vi]!;
        let pj = pi;
        let pk = pi - 1;
        while (pj > pl && lt(vp, v[tosort[pk]!]!)) tosort[pj--] = tosort[pk--]!;
        tosort[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depths.pop()!;
  }
  return tosort;
}

/** numpy `aheapsort_` on tosort[start, start + n) (1-based heap indexing, as in numpy). */
function aheapsort(v: Float64Array, tosort: Int32Array, start: number, n: number): void {
  const a = (k: number) => tosort[start + k - 1]!;
  const setA = (k: number, val: number) => {
    tosort[start + k - 1] = val;
  };
  let tmp: number;
  let i: number;
  let j: number;
  let l: number;
  for (l = n >> 1; l > 0; --l) {
    tmp = a(l);
    for (i = l, j = l << 1; j <= n; ) {
      if (j < n && lt(v[a(j)]!, v[a(j + 1)]!)) j += 1;
      if (lt(v[tmp]!, v[a(j)]!)) {
        setA(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    setA(i, tmp);
  }
  for (; n > 1; ) {
    tmp = a(n);
    setA(n, a(1));
    n -= 1;
    for (i = 1, j = 2; j <= n; ) {
      if (j < n && lt(v[a(j)]!, v[a(j + 1)]!)) j++;
      if (lt(v[tmp]!, v[a(j)]!)) {
        setA(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    setA(i, tmp);
  }
}
