/**
 * numpy 1.24 `np.argsort(v)` (default kind: introsort, not stable), spec §9.3. The official
 * evaluator ranks each class's detections with `np.argsort(scores)[::-1]`, so among tied
 * scores the official order is this algorithm's artefact; reproducing it is what makes
 * tie-heavy inputs come out bit-identical. Port of numpy/core/src/npysort/quicksort.cpp
 * (`aquicksort_`) and heapsort.cpp (`aheapsort_`), float64 with NaN sorted last.
 *
 * numpy compares v[tosort[i]]; here the values are moved along with the indices (`val[i]`
 * always equals v[idx[i]]), which performs the identical sequence of comparisons and swaps
 * without the indirection.
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
  const idx = new Int32Array(num);
  for (let i = 0; i < num; i++) idx[i] = i;
  if (num < 2) return idx;
  const val = Float64Array.from(v);
  function swap(a: number, b: number): void {
    const t = idx[a]!;
    idx[a] = idx[b]!;
    idx[b] = t;
    const u = val[a]!;
    val[a] = val[b]!;
    val[b] = u;
  }
  // numpy's PYA_QS_STACK bound: 2 entries per level, at most 2·log2(n) + 2 levels
  const stack = new Int32Array(128);
  const depths = new Int32Array(64);
  let sp = 0;
  let dp = 0;
  let pl = 0;
  let pr = num - 1;
  let cdepth = (31 - Math.clz32(num)) * 2; // npy_get_msb(num) * 2
  for (;;) {
    if (cdepth < 0) {
      heapsortRange(val, idx, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (lt(val[pm]!, val[pl]!)) swap(pm, pl);
        if (lt(val[pr]!, val[pm]!)) swap(pr, pm);
        if (lt(val[pm]!, val[pl]!)) swap(pm, pl);
        const vp = val[pm]!;
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (lt(val[pi]!, vp));
          do --pj;
          while (lt(vp, val[pj]!));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // push the larger partition, continue with the smaller
        if (pi - pl < pr - pi) {
          stack[sp++] = pi + 1;
          stack[sp++] = pr;
          pr = pi - 1;
        } else {
          stack[sp++] = pl;
          stack[sp++] = pi - 1;
          pl = pi + 1;
        }
        depths[dp++] = --cdepth;
      }
      // insertion sort (stable: moves left only past strictly greater values)
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = idx[pi]!;
        const vp = val[pi]!;
        let pj = pi;
        while (pj > pl && lt(vp, val[pj - 1]!)) {
          idx[pj] = idx[pj - 1]!;
          val[pj] = val[pj - 1]!;
          pj--;
        }
        idx[pj] = vi;
        val[pj] = vp;
      }
    }
    if (sp === 0) break;
    pr = stack[--sp]!;
    pl = stack[--sp]!;
    cdepth = depths[--dp]!;
  }
  return idx;
}

/** numpy `aheapsort_` on [start, start + n) (1-based heap positions k ↦ start + k - 1). */
function heapsortRange(val: Float64Array, idx: Int32Array, start: number, n: number): void {
  const o = start - 1;
  const sift = (l: number, size: number, ti: number, tv: number) => {
    let i = l;
    let j = l << 1;
    while (j <= size) {
      if (j < size && lt(val[o + j]!, val[o + j + 1]!)) j += 1;
      if (!lt(tv, val[o + j]!)) break;
      idx[o + i] = idx[o + j]!;
      val[o + i] = val[o + j]!;
      i = j;
      j += j;
    }
    idx[o + i] = ti;
    val[o + i] = tv;
  };
  for (let l = n >> 1; l > 0; --l) sift(l, n, idx[o + l]!, val[o + l]!);
  for (; n > 1; ) {
    const ti = idx[o + n]!;
    const tv = val[o + n]!;
    idx[o + n] = idx[o + 1]!;
    val[o + n] = val[o + 1]!;
    n -= 1;
    sift(1, n, ti, tv);
  }
}
