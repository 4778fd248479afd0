/**
 * Tuned learning rates: the outcome of a compare's LR search, kept so a later compare with the
 * same setting can run each protocol at its tuned LR instead of searching again.
 *
 * A multi-seed compare writes `tuned-lr.json` (per protocol: the LR picked on val and the mean
 * val frame-mAP at every grid value). `compare` reuses such a file only when its fingerprint —
 * everything that decides which LR is best: budgets, batch, sampler, data, pretraining LR,
 * training practice — equals the current one and it covers every protocol being compared;
 * otherwise it searches the grid as usual and says why. Test scores never enter the choice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../data/input-error.js';
import { TRAINING_PRACTICE } from './protocol.js';
import type { CompareConfig } from './compare-config.js';

export const TUNED_LR_SCHEMA_VERSION = 1;

/** What decides the best LR of a protocol (backend and code version do not, by design). */
export type TuningFingerprint = Pick<CompareConfig, 'budget' | 'budgetMode' | 'batch' | 'sampler' | 'downstream' | 'upstream' | 'benchmarkSeed' | 'pretrainLr'> & {
  readonly practice: typeof TRAINING_PRACTICE;
};

export interface TunedLrDoc {
  readonly schemaVersion: number;
  readonly kind: 'tuned-lr';
  /** The compare command that searched, and the code it ran. */
  readonly command: string;
  readonly codeVersion: string;
  readonly seeds: number;
  readonly grid: readonly number[];
  readonly fingerprint: TuningFingerprint;
  /** Protocol name → the LR chosen on val, and mean val frame-mAP at each grid value. */
  readonly protocols: Readonly<Record<string, { readonly lr: number; readonly meanVal: Readonly<Record<string, number>> }>>;
}

export function tuningFingerprint(cfg: CompareConfig): TuningFingerprint {
  return {
    budget: cfg.budget,
    budgetMode: cfg.budgetMode,
    batch: cfg.batch,
    sampler: cfg.sampler,
    downstream: cfg.downstream,
    upstream: cfg.upstream,
    benchmarkSeed: cfg.benchmarkSeed,
    pretrainLr: cfg.pretrainLr,
    practice: TRAINING_PRACTICE,
  };
}

/** Canonical JSON (sorted keys), so fingerprints compare by value. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/** The fields where two fingerprints differ (empty: they are equal). */
export function fingerprintDifferences(a: TuningFingerprint, b: TuningFingerprint): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => canonical((a as Record<string, unknown>)[k]) !== canonical((b as Record<string, unknown>)[k]));
}

/** Reads and checks a tuned-lr.json (InputError naming the file on anything malformed). */
export function readTunedLr(path: string): TunedLrDoc {
  if (!existsSync(path)) throw new InputError(path, null, 'file not found');
  let doc: TunedLrDoc;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as TunedLrDoc;
  } catch (err) {
    throw new InputError(path, null, `not JSON (${(err as Error).message})`);
  }
  if (doc?.kind !== 'tuned-lr') throw new InputError(path, null, `not a tuned-lr file (kind ${JSON.stringify(doc?.kind)})`);
  if (doc.schemaVersion !== TUNED_LR_SCHEMA_VERSION) throw new InputError(path, null, `schemaVersion ${doc.schemaVersion}, this cft-bench reads ${TUNED_LR_SCHEMA_VERSION}`);
  if (typeof doc.protocols !== 'object' || doc.protocols === null || typeof doc.fingerprint !== 'object') throw new InputError(path, null, 'missing protocols or fingerprint');
  for (const [p, t] of Object.entries(doc.protocols)) {
    if (!(typeof t?.lr === 'number' && t.lr > 0 && Number.isFinite(t.lr))) throw new InputError(path, null, `protocol '${p}': lr must be a positive number (got ${JSON.stringify(t?.lr)})`);
  }
  return doc;
}

/**
 * The tuned LR of each of `protocols` (names), or why `doc` cannot be used for `cfg`: a
 * fingerprint difference, or a protocol it has no LR for.
 */
export function tunedLrsFor(doc: TunedLrDoc, cfg: CompareConfig, protocols: readonly string[]): { lrs: Map<string, number> } | { reason: string } {
  const diff = fingerprintDifferences(doc.fingerprint, tuningFingerprint(cfg));
  if (diff.length > 0) return { reason: `tuned for a different setting (${diff.join(', ')} differ)` };
  const missing = protocols.filter((p) => doc.protocols[p] === undefined);
  if (missing.length > 0) return { reason: `no tuned LR for ${missing.join(', ')}` };
  return { lrs: new Map(protocols.map((p) => [p, doc.protocols[p]!.lr])) };
}

/** The tuned-lr document of a finished LR search (per protocol: chosen LR, mean val per grid value). */
export function tunedLrDoc(
  cfg: CompareConfig,
  command: string,
  grid: readonly number[],
  chosen: ReadonlyMap<string, number>,
  meanVal: (protocol: string, lr: number) => number,
): TunedLrDoc {
  return {
    schemaVersion: TUNED_LR_SCHEMA_VERSION,
    kind: 'tuned-lr',
    command,
    codeVersion: cfg.codeVersion,
    seeds: cfg.seeds,
    grid,
    fingerprint: tuningFingerprint(cfg),
    protocols: Object.fromEntries([...chosen].map(([p, lr]) => [p, { lr, meanVal: Object.fromEntries(grid.map((g) => [String(g), meanVal(p, g)])) }])),
  };
}
