/**
 * Resolves `--groups` with `--train-gt` / `--class-counts` into a GroupingInfo for the reports:
 * reads the count or group files, applies the rule, scores the groups. Without training counts
 * it says so and falls back to the evaluated GT counts.
 */
import { countTrainingGt, readClassCounts, readGroupFile, type ClassCounts } from '../data/class-counts.js';
import { assignGroups, describeRule, groupScores, parseGroupRule } from '../metrics/class-groups.js';
import type { FrameMapRun } from '../metrics/evaluator.js';
import type { GroupingInfo } from '../reports/result-doc.js';
import { UsageError } from './errors.js';

export interface GroupingOptions {
  readonly groups?: string;
  readonly trainGt?: string;
  readonly classCounts?: string;
  readonly skipBadRows?: boolean;
}

export async function resolveGrouping(opts: GroupingOptions, run: FrameMapRun): Promise<GroupingInfo> {
  if (opts.trainGt !== undefined && opts.classCounts !== undefined) throw new UsageError('give either --train-gt or --class-counts, not both');
  let rule;
  try {
    rule = parseGroupRule(opts.groups ?? 'tertiles');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let counts: ClassCounts | null = null;
  let source: GroupingInfo['countsSource'];
  let countsPath: string | null = null;
  let note: string | null = null;
  if (opts.trainGt !== undefined) {
    counts = await countTrainingGt(opts.trainGt, run.labelMap, run.preset, opts.skipBadRows ?? false);
    source = 'train-gt';
    countsPath = opts.trainGt;
  } else if (opts.classCounts !== undefined) {
    counts = await readClassCounts(opts.classCounts, run.labelMap);
    source = 'class-counts';
    countsPath = opts.classCounts;
  } else {
    source = 'evaluated-gt';
  }
  const groupCounts = counts ?? new Map(run.summary.classes.map((c) => [c.id, c.numGt]));
  if (counts === null && (rule.kind === 'tertiles' || rule.kind === 'thresholds')) {
    note = 'no training counts given (--train-gt or --class-counts): head/mid/tail use the evaluated GT counts instead';
  }
  const groupOf = rule.kind === 'file' ? await readGroupFile(rule.path, run.labelMap) : assignGroups(run.labelMap.classes, groupCounts, rule);
  if (rule.kind === 'file' && counts === null) source = 'group-file';
  return {
    rule: describeRule(rule),
    countsSource: source,
    countsPath,
    note,
    groupOf,
    trainCounts: counts,
    scores: groupScores(run.summary.classes, groupOf),
  };
}
