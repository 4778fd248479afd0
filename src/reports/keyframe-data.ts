/**
 * The per-keyframe evidence of an evaluation, packed into a result document so paired
 * statistics can be computed later from the document alone (baselines, `check`): every scored
 * detection (keyframe, class, score, TP) and every GT instance (keyframe, class), as base64
 * little-endian typed arrays — compact and exact.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../data/input-error.js';
import type { Evaluation } from '../metrics/frame-map.js';

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
 * The same evidence as a gzipped binary sidecar file (what `eval` writes next to result.json,
 * small enough to commit as a baseline): a u32 header length, a JSON header (keys, array
 * lengths, score width), then the arrays back to back, little-endian. Scores are stored as
 * float32 when every score is exactly a float32 (the official evaluator casts to float32), so
 * the ranking — ties included — is unchanged.
 */
export const SIDECAR_FORMAT = 'cft-bench-keyframes/1';
/** The sidecar's name next to an eval result.json. */
export const EVIDENCE_FILE = 'per_keyframe.bin.gz';

type Unpacked = ReturnType<typeof unpackKeyframes>;

export function keyframeSidecar(ev: Pick<Evaluation, 'keys' | 'matches' | 'gtStart' | 'gtCls'>): Buffer {
  const m = ev.matches;
  let f32 = true;
  for (let i = 0; i < m.length && f32; i++) f32 = Math.fround(m.score[i]!) === m.score[i];
  const score = f32 ? Float32Array.from(m.score.subarray(0, m.length)) : m.score.subarray(0, m.length);
  const arrays = [m.keyframe.subarray(0, m.length), m.cls.subarray(0, m.length), score, m.tp.subarray(0, m.length), ev.gtStart, ev.gtCls];
  const header = Buffer.from(JSON.stringify({ format: SIDECAR_FORMAT, keys: ev.keys, detections: m.length, gtInstances: ev.gtCls.length, score: f32 ? 'float32' : 'float64' }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return gzipSync(Buffer.concat([len, header, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]), { level: 9 });
}

export function readKeyframeSidecar(path: string): Unpacked {
  let raw: Buffer;
  try {
    raw = gunzipSync(readFileSync(path));
  } catch (err) {
    throw new InputError(path, null, `not a gzipped ${SIDECAR_FORMAT} file (${(err as Error).message})`);
  }
  const hlen = raw.readUInt32LE(0);
  const h = JSON.parse(raw.subarray(4, 4 + hlen).toString('utf8')) as { format: string; keys: string[]; detections: number; gtInstances: number; score: 'float32' | 'float64' };
  if (h.format !== SIDECAR_FORMAT) throw new InputError(path, null, `format ${JSON.stringify(h.format)}, expected ${SIDECAR_FORMAT}`);
  let off = 4 + hlen;
  const take = <T>(n: number, bytes: number, make: (b: ArrayBuffer) => T): T => {
    const b = raw.buffer.slice(raw.byteOffset + off, raw.byteOffset + off + n * bytes) as ArrayBuffer;
    if (b.byteLength !== n * bytes) throw new InputError(path, null, 'truncated');
    off += n * bytes;
    return make(b);
  };
  const n = h.detections;
  const keyframe = take(n, 4, (b) => new Int32Array(b));
  const cls = take(n, 4, (b) => new Int32Array(b));
  const score = h.score === 'float32' ? Float64Array.from(take(n, 4, (b) => new Float32Array(b))) : take(n, 8, (b) => new Float64Array(b));
  const tp = take(n, 1, (b) => new Uint8Array(b));
  const gtStart = take(h.keys.length + 1, 4, (b) => new Int32Array(b));
  const gtCls = take(h.gtInstances, 4, (b) => new Int32Array(b));
  return { keys: h.keys, matches: { length: n, keyframe, cls, score, tp }, gtStart, gtCls };
}
