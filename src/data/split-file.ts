/**
 * Splits a large AVA CSV into byte ranges for parallel reading, each boundary placed at a
 * line start where the keyframe key (`video,timestamp` bytes) changes, so that in the usual
 * layout (a keyframe's rows together) no keyframe spans two ranges.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Byte offsets [0, b1, ..., size] of near-equal ranges. */
export function splitAtKeyframes(path: string, size: number, parts: number): number[] {
  const bounds = [0];
  const fd = openSync(path, 'r');
  try {
    const window = Buffer.allocUnsafe(1 << 20);
    for (let p = 1; p < parts; p++) {
      const target = Math.floor((size * p) / parts);
      const got = readSync(fd, window, 0, window.length, target);
      const b = keyChangeIn(window.subarray(0, got));
      const at = b < 0 ? -1 : target + b;
      if (at > bounds[bounds.length - 1]! && at < size) bounds.push(at);
    }
  } finally {
    closeSync(fd);
  }
  bounds.push(size);
  return bounds;
}

/** Offset in `w` of the first line start whose `video,timestamp` prefix differs from the previous line's. */
function keyChangeIn(w: Buffer): number {
  let lineStart = w.indexOf(10) + 1; // skip the partial line we landed in
  if (lineStart <= 0) return -1;
  let prevKey: Buffer | null = null;
  while (lineStart < w.length) {
    const nl = w.indexOf(10, lineStart);
    if (nl < 0) return -1;
    const c1 = w.indexOf(44, lineStart);
    const c2 = c1 < 0 ? -1 : w.indexOf(44, c1 + 1);
    const key = w.subarray(lineStart, c2 < 0 || c2 > nl ? nl : c2);
    if (prevKey !== null && !key.equals(prevKey)) return lineStart;
    prevKey = key;
    lineStart = nl + 1;
  }
  return -1;
}
