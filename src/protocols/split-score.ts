/**
 * A run's predictions on a split, scored: by cft-bench's own evaluator (evaluate-predictions.ts),
 * the rows read, scored and dropped recorded, and a run refused when too many rows were lost to
 * reasons that mean a bug (metrics/dropped-rows.ts). Every executor's predictions go through here.
 */
import type { LocalisationDataset, Split } from '../data/datasets.js';
import { droppedRows, refusal } from '../metrics/dropped-rows.js';
import { evaluatePredictionFile, type EvaluatedPredictions } from '../metrics/evaluate-predictions.js';
import type { SplitScore } from './job-record.js';

/** A run whose predictions cannot be scored as they are: the message says which split and why. */
export class RefusedPredictions extends Error {}

/** Scores an evaluation already made (the built-in trainer writes and evaluates its rows in one go). */
export function splitScore(split: Split, ev: EvaluatedPredictions, what: string): SplitScore {
  const rows = droppedRows(ev.run);
  const why = refusal(rows);
  if (why !== null) throw new RefusedPredictions(`${what} ${split} predictions (${ev.files.pred}) are refused: ${why}`);
  return {
    split,
    mAP: ev.run.summary.mAP,
    rows,
    perClass: ev.run.summary.classes.map((c) => ({ id: c.id, name: c.name, ap: Number.isNaN(c.ap) ? null : c.ap, numGt: c.numGt })),
    files: ev.files,
  };
}

/** Scores a prediction file of `split` against the dataset's GT (the user's own, for a files-declared set). */
export async function scorePredictionFile(down: LocalisationDataset, split: Split, pred: string, dir: string, what: string): Promise<SplitScore> {
  return splitScore(split, await evaluatePredictionFile(down, split, pred, dir), what);
}
