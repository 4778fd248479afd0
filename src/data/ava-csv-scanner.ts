/**
 * Byte scanner for AVA-format CSV files (GT, predictions, exclusions): bytes in, one
 * `RowSink.accept(...)` call per whitelisted row out, no per-row objects.
 *
 * Why not a CSV library: prediction files have ~20M rows (1.2 GB) and the evaluator must read
 * them in seconds; fast-csv manages ~84k rows/s here, this scanner a few million. It must
 * also accept exactly what the official Python reader accepts (spec §1): `csv.reader` field
 * splitting, universal newlines, `float()`/`int()` number syntax, and the official order of
 * checks (coordinates and class id are parsed before the label-map filter, the score after).
 *
 * Fast path: a line without `"` is split on commas, and plain decimal numbers are lexed
 * directly from bytes (Clinger's exact case: an integer mantissa < 2^53 divided by an exactly
 * representable 10^k is correctly rounded, so this equals Python's float()). Anything else
 * (exponents, `_`, whitespace, `inf`, quotes, long mantissas) falls back to the Python-rule
 * functions in python-syntax.ts.
 */
import { splitCsvRecord } from './csv-record.js';
import { KeyTable, normaliseTimestamp } from './keyframe-key.js';
import { parsePyFloat, parsePyInt } from './python-syntax.js';
import type { EvalPreset } from '../metrics/presets.js';

export type RowKind = 'ground-truth' | 'predictions' | 'exclusions';

export const BAD_ROW_REASONS = ['field-count', 'timestamp', 'number', 'nan-score', 'inverted-box', 'quoting'] as const;
export type BadRowReason = (typeof BAD_ROW_REASONS)[number];

/** A row the official reader would reject (or we reject on purpose), with its place in the scanned range. */
export class RowError extends Error {
  constructor(
    readonly reason: BadRowReason,
    message: string,
    /** 1-based line number relative to the start of the scanned range. */
    readonly line: number,
    /** Byte offset of the line start, relative to the start of the scanned range. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface RowSink {
  /** One whitelisted row. `score` is the detection score, or the GT person id (1.0 if absent). */
  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void;
}

export interface ScanOptions {
  readonly kind: RowKind;
  readonly preset: EvalPreset;
  /** `whitelist[id] === 1` for label-map ids. */
  readonly whitelist: Uint8Array;
  /** Skip rejected rows (counted by reason) instead of throwing RowError. */
  readonly skipBadRows: boolean;
}

export interface ScanCounts {
  rows: number;
  notInLabelMap: number;
  twoColumn: number;
  bad: Record<BadRowReason, number>;
}

const MAX_FIELDS = 16;
const MAX_CACHED_KEY = 512;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const TWO_POW_53 = 9007199254740992;
// ignoreBOM: keep a leading BOM as text, as Python's utf-8 reader does (it becomes part of the first video id)
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class AvaCsvScanner {
  readonly keys = new KeyTable();
  readonly counts: ScanCounts = {
    rows: 0,
    notInLabelMap: 0,
    twoColumn: 0,
    bad: { 'field-count': 0, timestamp: 0, number: 0, 'nan-score': 0, 'inverted-box': 0, quoting: 0 },
  };
  /** Lines consumed so far (1-based number of the next line is `lines + 1`). */
  lines = 0;
  /** Bytes consumed so far, relative to the range start. */
  consumed = 0;

  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  private readonly prevKey = new Uint8Array(MAX_CACHED_KEY);
  private prevKeyLen = -1;
  private prevKeyIndex = -1;
  private readonly isGt: boolean;
  private readonly isExclusions: boolean;

  constructor(
    private readonly opts: ScanOptions,
    private readonly sink: RowSink | null,
  ) {
    this.isGt = opts.kind === 'ground-truth';
    this.isExclusions = opts.kind === 'exclusions';
  }

  /**
   * Scans complete lines of `b[0, end)`. Returns the index of the first byte not consumed (the
   * start of an incomplete last line, to be carried over) unless `final`, when everything is
   * consumed. Throws RowError on a rejected row unless `skipBadRows`.
   */
  scan(b: Uint8Array, end: number, final: boolean): number {
    const starts = this.starts;
    const ends = this.ends;
    let pos = 0;
    while (pos < end) {
      // Fast path: the common line shape, parsed in one pass; -1 = use the general path.
      let fast: number;
      try {
        fast = this.fastLine(b, pos, end, final);
      } catch (err) {
        fast = this.handle(err, pos);
        if (fast >= 0) {
          pos = fast;
          continue;
        }
      }
      if (fast === -2) break; // incomplete line: wait for more bytes
      if (fast >= 0) {
        pos = fast;
        continue;
      }
      let nf = 0;
      let fs = pos;
      let quoted = false;
      let i = pos;
      for (; i < end; i++) {
        const c = b[i]!;
        if (c === 44) {
          if (nf < MAX_FIELDS) {
            starts[nf] = fs;
            ends[nf] = i;
          }
          nf++;
          fs = i + 1;
        } else if (c === 10 || c === 13) break;
        else if (c === 34) quoted = true;
      }
      let next: number;
      if (i === end) {
        if (!final) break; // incomplete line: wait for more bytes
        next = end;
      } else if (b[i] === 13) {
        if (i + 1 === end && !final) break; // may be the \r of a \r\n split across chunks
        next = i + 1 < end && b[i + 1] === 10 ? i + 2 : i + 1;
      } else next = i + 1;
      if (nf < MAX_FIELDS) {
        starts[nf] = fs;
        ends[nf] = i;
      }
      nf = i === pos ? 0 : nf + 1; // Python's csv yields [] for an empty line
      this.lines++;
      try {
        if (quoted) this.rowFromStrings(splitCsvRecord(utf8.decode(b.subarray(pos, i))));
        else this.rowFromBytes(b, pos, nf);
      } catch (err) {
        this.handle(err, pos);
      }
      pos = next;
    }
    this.consumed += pos;
    return pos;
  }

  /**
   * A RowError from the line starting at `pos` (already counted in `lines`): rethrown with its
   * place, or counted when skipping. Returns the start of the next line for the fast path
   * (which throws only once it has found the line's end, kept in `lineEnd`), else -1.
   */
  private handle(err: unknown, pos: number): number {
    if (!(err instanceof RowError)) throw err;
    if (!this.opts.skipBadRows) throw new RowError(err.reason, err.message, this.lines, this.consumed + pos);
    this.counts.bad[err.reason]++;
    return this.lineEnd;
  }

  // Result slots of the lexers below (V8 keeps these monomorphic; no tuples allocated per field).
  private q = 0;
  private sawDot = false;
  private lineEnd = -1;

  /** Plain `-?digits[.digits]` at b[i..], exactly rounded; NaN if not plain. Sets `q` to the first byte after it. */
  private lexNum(b: Uint8Array, i: number, end: number): number {
    let neg = false;
    if (i < end && b[i] === 45) {
      neg = true;
      i++;
    }
    let mant = 0;
    let digits = 0;
    let dotAt = -1;
    for (; i < end; i++) {
      const d = b[i]! - 48;
      if (d >= 0 && d <= 9) {
        mant = mant * 10 + d;
        digits++;
      } else if (d === -2 && dotAt < 0) dotAt = digits;
      else break;
    }
    this.q = i;
    this.sawDot = dotAt >= 0;
    if (digits === 0 || mant >= TWO_POW_53) return NaN;
    const frac = dotAt < 0 ? 0 : digits - dotAt;
    if (frac > 22) return NaN;
    const v = frac === 0 ? mant : mant / POW10[frac]!;
    return neg ? -v : v;
  }

  /**
   * One line of the shape `id,ts,num,num,num,num,int[,num]` with plain numbers and no quotes,
   * in a single pass. Returns the next line's start; -1 if the line needs the general path
   * (nothing has been changed then); -2 if the line is incomplete and not `final`.
   */
  private fastLine(b: Uint8Array, pos: number, end: number, final: boolean): number {
    const more = final ? -1 : -2;
    let i = pos;
    let keyEnd = -1;
    // Same keyframe as the previous line (the usual case): its exact key bytes, then a comma.
    const pkLen = this.prevKeyLen;
    if (pkLen > 0 && pos + pkLen < end && b[pos + pkLen] === 44) {
      const pk = this.prevKey;
      let j = 0;
      while (j < pkLen && b[pos + j] === pk[j]) j++;
      if (j === pkLen) keyEnd = pos + pkLen;
    }
    if (keyEnd < 0) {
      for (; ; i++) {
        if (i >= end) return more;
        const c = b[i]!;
        if (c === 44) break;
        if (c === 10 || c === 13 || c === 34) return -1;
      }
      i++;
      for (; ; i++) {
        if (i >= end) return more;
        const c = b[i]!;
        if (c === 44) break;
        if (c === 10 || c === 13 || c === 34) return -1;
      }
      keyEnd = i;
    }
    i = keyEnd + 1;
    const x1 = this.lexNum(b, i, end);
    if (x1 !== x1 || b[this.q] !== 44) return this.q >= end ? more : -1;
    const y1 = this.lexNum(b, this.q + 1, end);
    if (y1 !== y1 || b[this.q] !== 44) return this.q >= end ? more : -1;
    const x2 = this.lexNum(b, this.q + 1, end);
    if (x2 !== x2 || b[this.q] !== 44) return this.q >= end ? more : -1;
    const y2 = this.lexNum(b, this.q + 1, end);
    if (y2 !== y2 || b[this.q] !== 44) return this.q >= end ? more : -1;
    const cls = this.lexNum(b, this.q + 1, end);
    i = this.q;
    if (cls !== cls || this.sawDot || b[i] === 46) return i >= end ? more : -1;
    let nf = 7;
    let last = 1.0;
    const whitelisted = cls >= 0 && cls < this.opts.whitelist.length && this.opts.whitelist[cls] === 1;
    if (i < end && b[i] === 44) {
      nf = 8;
      last = this.lexNum(b, i + 1, end);
      i = this.q;
      if (last !== last) return i >= end ? more : -1;
    }
    // the line must end here
    let next: number;
    if (i >= end) {
      if (!final) return -2;
      next = end;
    } else if (b[i] === 10) next = i + 1;
    else if (b[i] === 13) {
      if (i + 1 >= end && !final) return -2;
      next = i + 1 < end && b[i + 1] === 10 ? i + 2 : i + 1;
    } else return -1;
    if (this.isExclusions) return -1;
    // Commit: from here on this line is consumed (errors are about this line).
    this.lines++;
    this.counts.rows++;
    this.lineEnd = next;
    const key = this.keyAt(b, pos, keyEnd);
    if (!whitelisted) {
      this.counts.notInLabelMap++;
      return next;
    }
    if (nf === 8 && this.isGt && !this.opts.preset.parsePersonId) last = 1.0;
    this.emit(key, cls, x1, y1, x2, y2, last, nf);
    return next;
  }

  /** Keyframe key index of the line whose `video,timestamp` bytes are b[lineStart, keyEnd). */
  private keyAt(b: Uint8Array, lineStart: number, keyEnd: number): number {
    const keyLen = keyEnd - lineStart;
    if (keyLen === this.prevKeyLen) {
      const pk = this.prevKey;
      let j = 0;
      while (j < keyLen && pk[j] === b[lineStart + j]) j++;
      if (j === keyLen) return this.prevKeyIndex;
    }
    const comma = b.indexOf(44, lineStart);
    const key = this.internKey(utf8.decode(b.subarray(lineStart, comma)), utf8.decode(b.subarray(comma + 1, keyEnd)));
    if (keyLen <= MAX_CACHED_KEY) {
      this.prevKey.set(b.subarray(lineStart, keyEnd));
      this.prevKeyLen = keyLen;
      this.prevKeyIndex = key;
    }
    return key;
  }

  private fail(reason: BadRowReason, message: string): never {
    throw new RowError(reason, message, 0, 0); // line/offset filled in by scan()
  }

  private checkFieldCount(nf: number): void {
    const two = this.isExclusions || (this.opts.preset.twoColumnRows && !this.isExclusions);
    const ok = this.isExclusions ? nf === 2 : nf === 7 || nf === 8 || (two && nf === 2);
    if (!ok) {
      const want = this.isExclusions ? '2' : this.opts.preset.twoColumnRows ? '2, 7 or 8' : '7 or 8';
      this.fail('field-count', nf === 0 ? `empty line (expected ${want} fields)` : `expected ${want} fields, got ${nf}`);
    }
  }

  private rowFromBytes(b: Uint8Array, lineStart: number, nf: number): void {
    this.counts.rows++;
    this.checkFieldCount(nf);
    const starts = this.starts;
    const ends = this.ends;
    const key = this.keyAt(b, lineStart, ends[1]!);
    if (nf === 2) {
      if (!this.isExclusions) this.counts.twoColumn++;
      return;
    }
    const x1 = this.floatAt(b, starts[2]!, ends[2]!, 'x1');
    const y1 = this.floatAt(b, starts[3]!, ends[3]!, 'y1');
    const x2 = this.floatAt(b, starts[4]!, ends[4]!, 'x2');
    const y2 = this.floatAt(b, starts[5]!, ends[5]!, 'y2');
    let cls = this.lexNum(b, starts[6]!, ends[6]!);
    if (cls !== cls || this.sawDot || this.q !== ends[6]) cls = this.slowInt(utf8.decode(b.subarray(starts[6]!, ends[6]!)), 'action_id');
    if (cls < 0 || cls >= this.opts.whitelist.length || this.opts.whitelist[cls] !== 1) {
      this.counts.notInLabelMap++;
      return;
    }
    let last = 1.0;
    if (nf === 8 && (!this.isGt || this.opts.preset.parsePersonId)) {
      last = this.floatAt(b, starts[7]!, ends[7]!, this.isGt ? 'person_id' : 'score');
    }
    this.emit(key, cls, x1, y1, x2, y2, last, nf);
  }

  private rowFromStrings(fields: string[] | undefined): void {
    this.counts.rows++;
    if (fields === undefined) this.fail('quoting', 'a quoted field runs past the end of the line (line breaks inside fields are not supported)');
    const nf = fields.length;
    this.checkFieldCount(nf);
    this.prevKeyLen = -1;
    const key = this.internKey(fields[0]!, fields[1]!);
    if (nf === 2) {
      if (!this.isExclusions) this.counts.twoColumn++;
      return;
    }
    const x1 = this.slowFloat(fields[2]!, 'x1');
    const y1 = this.slowFloat(fields[3]!, 'y1');
    const x2 = this.slowFloat(fields[4]!, 'x2');
    const y2 = this.slowFloat(fields[5]!, 'y2');
    const cls = this.slowInt(fields[6]!, 'action_id');
    if (cls < 0 || cls >= this.opts.whitelist.length || this.opts.whitelist[cls] !== 1) {
      this.counts.notInLabelMap++;
      return;
    }
    let last = 1.0;
    if (nf === 8 && (!this.isGt || this.opts.preset.parsePersonId)) {
      last = this.slowFloat(fields[7]!, this.isGt ? 'person_id' : 'score');
    }
    this.emit(key, cls, x1, y1, x2, y2, last, nf);
  }

  private emit(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, last: number, nf: number): void {
    const preset = this.opts.preset;
    if (this.isGt) {
      if (x2 < x1 || y2 < y1) this.fail('inverted-box', `inverted ground-truth box (x1=${x1}, y1=${y1}, x2=${x2}, y2=${y2})`);
    } else {
      if (nf === 7 && preset.requireScoreColumn) this.fail('field-count', `expected 8 fields (this protocol has no default score), got 7`);
      if (Number.isNaN(last)) this.fail('nan-score', 'score is NaN');
      if (preset.invalidDetections === 'keep-reject-inverted' && (x2 < x1 || y2 < y1)) {
        this.fail('inverted-box', `inverted detection box (x1=${x1}, y1=${y1}, x2=${x2}, y2=${y2}); ${preset.name} aborts on it`);
      }
    }
    this.sink?.accept(key, cls, x1, y1, x2, y2, last);
  }

  private internKey(videoId: string, ts: string): number {
    const norm = normaliseTimestamp(ts, this.opts.preset.keyFormat);
    if (norm === undefined) {
      const want = this.opts.preset.keyFormat === 'int4' ? 'an integer' : 'a decimal number';
      this.fail('timestamp', `timestamp ${JSON.stringify(ts)} is not ${want}`);
    }
    return this.keys.intern(`${videoId},${norm}`);
  }

  private floatAt(b: Uint8Array, s: number, e: number, name: string): number {
    const v = this.lexNum(b, s, e);
    return v === v && this.q === e ? v : this.slowFloat(utf8.decode(b.subarray(s, e)), name);
  }

  private slowFloat(text: string, name: string): number {
    const v = parsePyFloat(text);
    if (v === undefined) this.fail('number', `${name} ${JSON.stringify(text)} is not a number`);
    return v;
  }

  private slowInt(text: string, name: string): number {
    const v = parsePyInt(text);
    if (v === undefined) this.fail('number', `${name} ${JSON.stringify(text)} is not an integer`);
    return v;
  }
}
