/**
 * The settings of a comparison as a plain record (what `compare` was asked to run), shared by
 * the comparison and the tuned-LR records that must match it.
 */
import type { ExternalTrainerSpec, JobSpec } from './job-record.js';
import type { BudgetMode } from './budget.js';

export interface CompareConfig extends Pick<JobSpec, 'pretrainLr' | 'budget' | 'upstreamBudgets' | 'batch' | 'sampler' | 'downstream' | 'upstream' | 'datasets' | 'benchmarkSeed' | 'backend' | 'codeVersion'> {
  /** The manifest that declared the datasets (null: the embedded benchmark). */
  readonly manifest?: string;
  readonly protocols: readonly string[];
  readonly seeds: number;
  readonly lrGrid: readonly number[];
  /** How many times the LR grid may be extended past an edge a protocol chose (0: fail at once). */
  readonly lrExtend: number;
  readonly budgetMode: BudgetMode;
  readonly workers: number;
  readonly resamples: number;
  readonly quick: boolean;
  /** Run each protocol at this LR (from an earlier search, tuned-lr.ts) instead of searching the grid. */
  readonly tunedLr?: TunedLrs;
  /** Device ids dealt to the worker processes in turn (CUDA_VISIBLE_DEVICES); none: as the environment has it. */
  readonly gpus?: readonly string[];
  /** Cached runs made before this time are redone (`--fresh`). */
  readonly freshBefore?: number;
  /** An external trainer for every run (external-trainer.ts); absent: the built-in tfjs trainer. */
  readonly trainer?: ExternalTrainerSpec;
}

/** LRs tuned by an earlier compare: where from, and protocol name → LR. */
export interface TunedLrs {
  readonly source: string;
  readonly command: string;
  readonly seeds: number;
  readonly grid: readonly number[];
  readonly lrs: Readonly<Record<string, number>>;
}

