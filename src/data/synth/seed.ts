/**
 * Per-example seeds: (benchmark seed, dataset, split, index) → uint32, by FNV-1a over the
 * text then a splitmix32 finaliser. Any example can be generated alone, in any order.
 */
export function seedFor(seed: number, ...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = `${seed}|${parts.join('|')}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
