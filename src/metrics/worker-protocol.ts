/**
 * Messages between the evaluator (evaluator.ts) and its reader/matcher workers
 * (evaluate-worker.ts): the job, the two-phase replies, and compact packing of key lists.
 */
import type { ScanCounts } from '../data/ava-csv-scanner.js';
import type { PartMatches, ScoringContext } from './frame-map.js';

export interface WorkerJob {
  path: string;
  start: number;
  end: number;
  preset: string;
  whitelist: Uint8Array;
  skipBadRows: boolean;
}

/**
 * Keyframe keys cross the thread boundary as one '\n'-joined string: cloning ~30k separate
 * strings per message cost ~0.1 s at AVA scale. Keys never contain line breaks (the reader
 * rejects line breaks inside fields) and are never empty.
 */
export const packKeys = (keys: readonly string[]): string => keys.join('\n');
export const unpackKeys = (packed: string): string[] => (packed === '' ? [] : packed.split('\n'));

/** The ScoringContext as sent to a worker (the preset is looked up by name there). */
export type PackedContext = Omit<ScoringContext, 'preset' | 'gt' | 'excluded' | 'gtFileKeys'> & {
  gt: Omit<ScoringContext['gt'], 'keys'> & { keys: string };
  excluded: string;
  gtFileKeys: string;
};

export function packContext(ctx: ScoringContext): PackedContext {
  return { gt: { ...ctx.gt, keys: packKeys(ctx.gt.keys) }, excluded: packKeys(ctx.excluded), gtFileKeys: packKeys(ctx.gtFileKeys) };
}

/**
 * The context with its GT columns moved into SharedArrayBuffers, so that posting it to the
 * workers shares them instead of cloning a copy per worker (~20 MB each at AVA scale).
 */
export function shareContext(ctx: ScoringContext): ScoringContext {
  const share = <T extends Int32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  const g = ctx.gt;
  return { ...ctx, gt: { keys: g.keys, start: share(g.start), cls: share(g.cls), score: share(g.score), x1: share(g.x1), y1: share(g.y1), x2: share(g.x2), y2: share(g.y2) } };
}

export type WorkerMessage =
  | { kind: 'scanned'; keys: string; counts: ScanCounts }
  | { kind: 'row-error'; message: string; line: number }
  | { kind: 'matched'; parts: (Omit<PartMatches, 'keys'> & { keys: string })[] }
  | { kind: 'fatal'; message: string };

