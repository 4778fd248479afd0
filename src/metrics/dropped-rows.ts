/**
 * Prediction rows an evaluation did not score, by reason, and the check that refuses a run
 * whose predictions lost too many of them to reasons that mean a bug, not the protocol. A
 * trainer writing 0-based label ids (AVA's are 1-based) loses most rows as "not in the label
 * map" and still scores a plausible-looking mAP; here it is refused, naming the reason.
 *
 * The protocol's own drops are shown but not held against a run: the per-keyframe cap,
 * excluded keyframes, scores below the floor, detections on keyframes without GT boxes.
 */
import type { FrameMapRun } from './evaluator.js';

/** Reasons that mean the predictions do not fit the data (wrong ids, keys, boxes or rows). */
export const SUSPECT_REASONS = ['notInLabelMap', 'ignoredKeyframe', 'invalidBox', 'twoColumnRows', 'badRows'] as const;

/** Share of a run's prediction rows that may be lost to SUSPECT_REASONS before it is refused. */
export const MAX_SUSPECT_SHARE = 0.01;

export interface DroppedRows {
  readonly rowsRead: number;
  readonly scored: number;
  /** Rows not scored, by reason (suspect and protocol reasons alike; zeros left out). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Rows lost to SUSPECT_REASONS, over rows read. */
  readonly suspectShare: number;
}

const HINTS: Readonly<Record<string, string>> = {
  notInLabelMap: 'action ids not in the label map (0-based ids? AVA ids start at 1)',
  ignoredKeyframe: 'rows on keyframes that are not in the evaluated split (wrong video ids or timestamps?)',
  invalidBox: 'boxes that are not valid (x2 <= x1 or y2 <= y1, or outside [0, 1]?)',
  twoColumnRows: 'rows with only a video id and a timestamp',
  badRows: 'malformed rows',
};

export function droppedRows(run: FrameMapRun): DroppedRows {
  const c = run.counts.predictions;
  const f = run.evaluation.fate;
  const bad = Object.values(c.bad).reduce((a, b) => a + b, 0);
  const dropped: Record<string, number> = {
    notInLabelMap: c.notInLabelMap,
    ignoredKeyframe: f.ignoredKeyframe,
    invalidBox: f.invalidBox,
    twoColumnRows: c.twoColumn,
    badRows: bad,
    overCap: run.counts.overCap,
    excludedKeyframe: f.excludedKeyframe,
    belowScoreFloor: f.belowScoreFloor,
  };
  const suspect = SUSPECT_REASONS.reduce((s, r) => s + dropped[r]!, 0);
  return { rowsRead: c.rows, scored: run.evaluation.matches.length, dropped: Object.fromEntries(Object.entries(dropped).filter(([, n]) => n > 0)), suspectShare: c.rows > 0 ? suspect / c.rows : 0 };
}

/** Why `d` is refused (null: it is not): the share lost, and each suspect reason with its likely cause. */
export function refusal(d: DroppedRows, maxShare = MAX_SUSPECT_SHARE): string | null {
  if (d.suspectShare <= maxShare) return null;
  const reasons = SUSPECT_REASONS.filter((r) => (d.dropped[r] ?? 0) > 0).map((r) => `${r} ${d.dropped[r]} (${HINTS[r]})`);
  return `${(d.suspectShare * 100).toFixed(1)}% of ${d.rowsRead} prediction rows could not be scored (more than ${(maxShare * 100).toFixed(0)}%): ${reasons.join('; ')}`;
}
