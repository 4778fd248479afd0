/**
 * The per-keyframe evidence of an evaluation, packed into a result document so paired
 * statistics can be computed later from the document alone (baselines, `check`): every scored
 * detection (keyframe, class, score, TP) and every GT instance (keyframe, class), as base64
 * little-endian typed arrays — compact and exact.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../data/input-error.js';
import type { Evaluation } from '../metrics/frame-map.js';
import { gtPerKeyframe, type RankedMatches } from '../metrics/bootstrap.js';
import { rankByClass, type RankedClass } from '../metrics/rank-detections.js';

export interface PackedKeyframes {
  readonly keys: string[];
  readonly matches: { readonly keyframe: string; readonly cls: string; readonly score: string; readonly tp: string };
  readonly gt: { readonly start: string; readonly cls: string };
}

const b64 = (a: Int32Array | Float64Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function from<T>(text: string, make: (b: ArrayBuffer) => T): T {
  const buf = Buffer.from(text, 'base64');
  return make(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function packKeyframes(ev: Evaluation): PackedKeyframes {
  const m = ev.matches;
  return {
    keys: [...ev.keys],
    matches: { keyframe: b64(m.keyframe), cls: b64(m.cls), score: b64(m.score), tp: b64(m.tp) },
    gt: { start: b64(ev.gtStart), cls: b64(ev.gtCls) },
  };
}

/** The parts of an Evaluation that bootstrap.rankMatches reads. */
export function unpackKeyframes(p: PackedKeyframes): Pick<Evaluation, 'keys' | 'matches' | 'gtStart' | 'gtCls'> {
  const keyframe = from(p.matches.keyframe, (b) => new Int32Array(b));
  return {
    keys: p.keys,
    matches: { length: keyframe.length, keyframe, cls: from(p.matches.cls, (b) => new Int32Array(b)), score: from(p.matches.score, (b) => new Float64Array(b)), tp: from(p.matches.tp, (b) => new Uint8Array(b)) },
    gtStart: from(p.gt.start, (b) => new Int32Array(b)),
    gtCls: from(p.gt.cls, (b) => new Int32Array(b)),
  };
}

/**
 * The same evidence as a gzipped binary sidecar file, what `eval` writes next to result.json
 * (small enough to commit as a baseline). It keeps only what paired statistics read: per class,
 * its detections' keyframe indices in rank order (uint16 when there are ≤ 65,536 keyframes)
 * and their TP flags (bit-packed), and the GT classes per keyframe. No scores: the ranking is
 * computed once, at eval time, in the official order (rank-detections.ts). Layout: a u32
 * header length, a JSON header, then the arrays back to back, little-endian.
 */
export const SIDECAR_FORMAT = 'cft-bench-keyframes/2';
/** The sidecar's name next to an eval result.json. */
export const EVIDENCE_FILE = 'per_keyframe.bin.gz';

interface SidecarHeader {
  readonly format: string;
  readonly keys: string[];
  readonly classes: number[];
  /** Detections per class, in `classes` order. */
  readonly detections: number[];
  readonly gtInstances: number;
  readonly kfBytes: 2 | 4;
  readonly gtClsBytes: 1 | 2 | 4;
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export function keyframeSidecar(ev: Pick<Evaluation, 'keys' | 'matches' | 'gtStart' | 'gtCls'>, classIds: readonly number[], ranked: ReadonlyMap<number, RankedClass> = rankByClass(ev.matches, classIds)): Buffer {
  const total = ev.matches.length;
  const kfBytes = ev.keys.length <= 65536 ? 2 : 4;
  const kf = kfBytes === 2 ? new Uint16Array(total) : new Uint32Array(total);
  const tpBits = new Uint8Array(Math.ceil(total / 8));
  let at = 0;
  const detections = classIds.map((id) => {
    const c = ranked.get(id)!;
    for (let j = 0; j < c.kf.length; j++, at++) {
      kf[at] = c.kf[j]!;
      if (c.tp[j]) tpBits[at >> 3]! |= 1 << (at & 7);
    }
    return c.kf.length;
  });
  if (at !== total) throw new Error(`keyframe sidecar: ${total - at} detections of classes outside the label map`);
  let maxCls = 0;
  for (let j = 0; j < ev.gtCls.length; j++) maxCls = Math.max(maxCls, ev.gtCls[j]!);
  const gtClsBytes = maxCls < 256 ? 1 : maxCls < 65536 ? 2 : 4;
  const gtCls = gtClsBytes === 1 ? Uint8Array.from(ev.gtCls) : gtClsBytes === 2 ? Uint16Array.from(ev.gtCls) : ev.gtCls;
  const header: SidecarHeader = { format: SIDECAR_FORMAT, keys: [...ev.keys], classes: [...classIds], detections, gtInstances: ev.gtCls.length, kfBytes, gtClsBytes };
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  // level 6: level 9 costs seconds on an AVA-val-scale file for a few percent
  return gzipSync(Buffer.concat([len, h, bytesOf(kf), bytesOf(tpBits), bytesOf(ev.gtStart), bytesOf(gtCls)]), { level: 6 });
}

/** The evidence sidecar of an evaluation and the `evidence` entry naming it (with its sha256) in result.json. */
export function evidenceSidecar(run: { evaluation: Pick<Evaluation, 'keys' | 'matches' | 'gtStart' | 'gtCls'>; labelMap: { classes: readonly { id: number }[] }; ranked?: ReadonlyMap<number, RankedClass> }): { bytes: Buffer; evidence: { file: string; format: string; sha256: string; bytes: number } } {
  const bytes = keyframeSidecar(run.evaluation, run.labelMap.classes.map((c) => c.id), run.ranked);
  return { bytes, evidence: { file: EVIDENCE_FILE, format: SIDECAR_FORMAT, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length } };
}

/** Reads a sidecar (`bytes`: its content, when the caller has read it already). */
export function readKeyframeSidecar(path: string, bytes: Buffer = readFileSync(path)): RankedMatches {
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes);
  } catch (err) {
    throw new InputError(path, null, `not a gzipped ${SIDECAR_FORMAT} file (${(err as Error).message})`);
  }
  let h: SidecarHeader;
  try {
    h = JSON.parse(raw.subarray(4, 4 + raw.readUInt32LE(0)).toString('utf8')) as SidecarHeader;
  } catch {
    throw new InputError(path, null, `not a ${SIDECAR_FORMAT} file (bad header)`);
  }
  if (typeof h !== 'object' || h === null) throw new InputError(path, null, `not a ${SIDECAR_FORMAT} file (bad header)`);
  if (h.format !== SIDECAR_FORMAT) throw new InputError(path, null, `format ${JSON.stringify(h.format)}, this cft-bench reads ${SIDECAR_FORMAT} (rerun eval to rewrite it)`);
  // the header says how long every array is: check it against the payload before reading a byte
  // of it (a header that disagrees would otherwise mean huge loops or reads past the end)
  const bad = (why: string): never => {
    throw new InputError(path, null, `damaged ${SIDECAR_FORMAT} file: ${why}`);
  };
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!Array.isArray(h.keys) || !h.keys.every((k) => typeof k === 'string')) bad('keys');
  if (!Array.isArray(h.classes) || !h.classes.every(count) || new Set(h.classes).size !== h.classes.length) bad('classes');
  if (!Array.isArray(h.detections) || h.detections.length !== h.classes.length || !h.detections.every(count)) bad('detections per class');
  if (!count(h.gtInstances) || (h.kfBytes !== 2 && h.kfBytes !== 4) || ![1, 2, 4].includes(h.gtClsBytes)) bad('header sizes');
  let off = 4 + raw.readUInt32LE(0);
  const total = h.detections.reduce((a, b) => a + b, 0);
  const expected = total * h.kfBytes + Math.ceil(total / 8) + (h.keys.length + 1) * 4 + h.gtInstances * h.gtClsBytes;
  if (raw.length - off !== expected) bad(`the header describes ${expected} bytes of arrays, the file holds ${raw.length - off}`);
  const take = <T>(bytes: number, make: (b: ArrayBuffer) => T): T => {
    const b = raw.buffer.slice(raw.byteOffset + off, raw.byteOffset + off + bytes) as ArrayBuffer;
    off += bytes;
    return make(b);
  };
  const kf = take(total * h.kfBytes, (b) => (h.kfBytes === 2 ? new Uint16Array(b) : new Uint32Array(b)));
  const tpBits = take(Math.ceil(total / 8), (b) => new Uint8Array(b));
  const gtStart = take((h.keys.length + 1) * 4, (b) => new Int32Array(b));
  const gtCls = take(h.gtInstances * h.gtClsBytes, (b) => (h.gtClsBytes === 1 ? new Uint8Array(b) : h.gtClsBytes === 2 ? new Uint16Array(b) : new Int32Array(b)));
  for (let j = 0; j < kf.length; j++) if (kf[j]! >= h.keys.length) bad(`detection ${j} names keyframe ${kf[j]} of ${h.keys.length}`);
  if (gtStart[0] !== 0 || gtStart[h.keys.length] !== h.gtInstances) bad('GT offsets');
  for (let k = 0; k < h.keys.length; k++) if (gtStart[k + 1]! < gtStart[k]!) bad('GT offsets');
  const byClass = new Map<number, { kf: Int32Array; tp: Uint8Array }>();
  let at = 0;
  h.classes.forEach((id, c) => {
    const n = h.detections[c]!;
    const tp = new Uint8Array(n);
    for (let j = 0; j < n; j++) tp[j] = (tpBits[(at + j) >> 3]! >> ((at + j) & 7)) & 1;
    byClass.set(id, { kf: Int32Array.from(kf.subarray(at, at + n)), tp });
    at += n;
  });
  return { keys: h.keys, byClass, gt: gtPerKeyframe(h.keys.length, gtStart, gtCls, h.classes) };
}
