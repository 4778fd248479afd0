/**
 * The per-keyframe evidence of an evaluation, packed into a result document so paired
 * statistics can be computed later from the document alone (baselines, `check`): every scored
 * detection (keyframe, class, score, TP) and every GT instance (keyframe, class), as base64
 * little-endian typed arrays — compact and exact.
 */
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
