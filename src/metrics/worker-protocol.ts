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

export type WorkerMessage =
  | { kind: 'scanned'; keys: string; counts: ScanCounts }
  | { kind: 'row-error'; message: string; line: number }
  | { kind: 'matched'; matches: Omit<PartMatches, 'keys'> & { keys: string } }
  | { kind: 'fatal'; message: string };

