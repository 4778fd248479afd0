/**
 * The records of a training job, as plain data: what to run (JobSpec, the cache key), how an
 * external trainer is called (ExternalTrainerSpec), and what came out (JobResult, SplitScore;
 * <dir>/result.json). Executors (the built-in runner, the trainer-process contract) and the
 * job that chooses between them share these without importing each other.
 */
import type { DatasetRef } from '../data/dataset-ref.js';
import type { Split } from '../data/datasets.js';
import type { DroppedRows } from '../metrics/dropped-rows.js';
import type { BackendName } from '../trainers/backend.js';
import type { Ledger } from './ledger.js';
import type { Divergence } from './runner.js';
import type { LossCurve } from './training-plan.js';

export interface ExternalTrainerSpec {
  /** Shell command; request.json's path is appended as its last argument. */
  readonly command: string;
  /** 0: no limit. */
  readonly timeoutSeconds: number;
  /** Path → sha256 of the files the command names (trainer-identity.ts): part of the run's cache key. */
  readonly files: Readonly<Record<string, string>>;
}

export interface JobSpec {
  /** Built-in protocol name, or a plug-in module path. */
  readonly protocol: string;
  /** sha256 of the plug-in module's source (so an edited plug-in is re-run); null for built-ins. */
  readonly protocolSource: string | null;
  readonly seed: number;
  readonly lr: number;
  readonly pretrainLr: number;
  readonly budget: { readonly downstream: number; readonly upstream: number };
  /** Each upstream set's own examples (a manifest's budgets; protocol.ts upstreamExamples); absent: `budget.upstream` for each. */
  readonly upstreamBudgets?: Readonly<Record<string, number>>;
  readonly batch: number;
  readonly sampler: string;
  readonly downstream: string;
  readonly upstream: readonly string[];
  /** Datasets declared in a manifest as `data export` folders: the folder, and the sha256 of its files (the cache key holds the digest only); absent: embedded. */
  readonly datasets?: Readonly<Record<string, DatasetRef>>;
  readonly benchmarkSeed: number;
  readonly backend: BackendName;
  readonly evalSplits: readonly Split[];
  /** cft-bench version + a hash of its code: cached results never outlive a code change. */
  readonly codeVersion: string;
  /** An external trainer (external-trainer.ts) instead of the built-in one; absent: built in. */
  readonly trainer?: ExternalTrainerSpec;
}

export interface SplitScore {
  readonly split: Split;
  readonly mAP: number;
  readonly perClass: { id: number; name: string; ap: number | null; numGt: number }[];
  /** Prediction rows read, scored and dropped by reason (metrics/dropped-rows.ts); absent in runs cached before it was recorded. */
  readonly rows?: DroppedRows;
  /** AVA-format files of this evaluation (GT, predictions, label map). */
  readonly files: { gt: string; pred: string; labelMap: string };
}

export interface JobResult {
  readonly hash: string;
  readonly spec: JobSpec;
  readonly protocol: string;
  readonly backend: string;
  readonly steps: number;
  readonly seconds: number;
  readonly finalLoss: Record<string, number>;
  /** Phase → dataset → mean loss of the phase's first steps (compare's sanity guard). */
  readonly firstLoss: Record<string, Record<string, number>>;
  /** Phase → step kind → loss curve (binned means, training-plan.ts phaseLosses). */
  readonly lossCurve: Record<string, Record<string, LossCurve>>;
  /** The shared pretraining checkpoint this run started from (its key), or null. */
  readonly pretrainCheckpoint: string | null;
  readonly ledger: Ledger;
  readonly scores: Partial<Record<Split, SplitScore>>;
  readonly upstreamAccuracy: Record<string, number>;
  /** The run diverged (loss not finite) here: it has no scores; LR selection skips it. Null: trained to the end. */
  readonly diverged: Divergence | null;
  readonly dir: string;
}

