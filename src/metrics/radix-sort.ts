/**
 * Ascending sort of float64 values (no NaN) by LSD radix sort on their bit patterns: ~3× faster
 * than V8's built-in TypedArray sort on the 10k–100k-element per-class score arrays of an
 * AVA-scale evaluation. -0 sorts before +0 (callers treat them as equal).
 */

const SMALL = 4096; // below this the 4 × 65536-entry histograms cost more than they save

export function sortFloat64(src: Float64Array): Float64Array {
  const n = src.length;
  if (n < SMALL) return Float64Array.from(src).sort();
  const a = Float64Array.from(src);
  let u = new Uint32Array(a.buffer);
  let w = new Uint32Array(n * 2);
  // map to unsigned keys ordered like the floats (little-endian: word 2i = low, 2i+1 = high)
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + 1]!;
    if (hi & 0x80000000) {
      u[2 * i + 1] = ~hi >>> 0;
      u[2 * i] = ~u[2 * i]! >>> 0;
    } else u[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(u[2 * i + word]! >>> shift) & 0xffff]!++;
    if (count[(u[word]! >>> shift) & 0xffff] === n) continue; // all share this digit
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const to = count[(u[2 * i + word]! >>> shift) & 0xffff]!++;
      w[2 * to] = u[2 * i]!;
      w[2 * to + 1] = u[2 * i + 1]!;
    }
    const t = u;
    u = w;
    w = t;
  }
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + 1]!;
    if (hi & 0x80000000) u[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    else {
      u[2 * i + 1] = ~hi >>> 0;
      u[2 * i] = ~u[2 * i]! >>> 0;
    }
  }
  return new Float64Array(u.buffer, u.byteOffset, n);
}
