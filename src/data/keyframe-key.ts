/**
 * Keyframe keys (spec §2): `video_id + "," + normalised timestamp`. The video id is verbatim
 * (case-sensitive, untrimmed); the timestamp goes through Python `int()` and `%04d` (2019) or
 * `Decimal()` and `%.6f` (2020+), so `902`, `0902` and ` 902` name one keyframe.
 */
import type { KeyFormat } from '../metrics/presets.js';
import { formatPyDecimal6, formatPyInt04, parsePyInt } from './python-syntax.js';

/** The normalised timestamp, or `undefined` where the official reader would raise. */
export function normaliseTimestamp(ts: string, format: KeyFormat): string | undefined {
  if (format === 'decimal6') return formatPyDecimal6(ts);
  const n = parsePyInt(ts);
  return n === undefined ? undefined : formatPyInt04(n);
}

/** Insertion-ordered table of keyframe keys: key string ↔ dense index. */
export class KeyTable {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  /** Index of `key`, adding it at the end if new. */
  intern(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.length;
      this.keys.push(key);
      this.index.set(key, i);
    }
    return i;
  }

  get(key: string): number | undefined {
    return this.index.get(key);
  }

  has(key: string): boolean {
    return this.index.has(key);
  }
}
