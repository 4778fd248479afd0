/**
 * Head/mid/tail (or other) class groups and their mAP. A grouping is plain data: class id →
 * group name, plus where it came from. Group mAP = mean AP over the group's classes that have
 * GT (unweighted, numpy nanmean like the overall mAP).
 *
 * Rules (`--groups`):
 * - `tertiles` (default): classes with count > 0 ranked by count (desc; ties by id) and cut
 *   into three equal-size groups (sizes differ by at most one, larger groups first); classes
 *   with count 0 — no training data at all — go to `tail`;
 * - `thresholds=N1,N2` (N1 > N2): head if count >= N1, mid if N2 <= count < N1, else tail;
 * - `file=groups.csv`: an explicit `id,group` mapping (any group names);
 * - `ava-groups`: AVA's native groups by id: 1–14 person-movement, 15–63 object-manipulation,
 *   64–80 person-interaction.
 */
import type { LabelClass } from '../data/label-map.js';
import { numpyNanMean } from './numpy-sum.js';

export type GroupRule =
  | { kind: 'tertiles' }
  | { kind: 'thresholds'; high: number; low: number }
  | { kind: 'file'; path: string }
  | { kind: 'ava-groups' };

export const HEAD_MID_TAIL = ['head', 'mid', 'tail'] as const;
export const AVA_GROUPS = ['person-movement', 'object-manipulation', 'person-interaction'] as const;

/** Parses a `--groups` value; throws Error with the valid forms on a bad one. */
export function parseGroupRule(text: string): GroupRule {
  const t = text.trim();
  if (t === 'tertiles') return { kind: 'tertiles' };
  if (t === 'ava-groups') return { kind: 'ava-groups' };
  if (t.startsWith('file=') && t.length > 5) return { kind: 'file', path: t.slice(5) };
  const m = /^thresholds=(\d+),(\d+)$/.exec(t);
  if (m !== null) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a === b) throw new Error(`--groups thresholds must differ (got ${a},${b})`);
    return { kind: 'thresholds', high: Math.max(a, b), low: Math.min(a, b) };
  }
  throw new Error(`Unknown --groups rule '${text}'. Expected one of: tertiles, thresholds=N1,N2, file=groups.csv, ava-groups`);
}

export function describeRule(rule: GroupRule): string {
  switch (rule.kind) {
    case 'tertiles':
      return 'tertiles';
    case 'thresholds':
      return `thresholds=${rule.high},${rule.low}`;
    case 'file':
      return `file=${rule.path}`;
    case 'ava-groups':
      return 'ava-groups';
  }
}

/** Tertiles / thresholds / AVA groups from counts. (`file` rules are read by data/class-counts.ts.) */
export function assignGroups(classes: readonly LabelClass[], counts: ReadonlyMap<number, number>, rule: Exclude<GroupRule, { kind: 'file' }>): Map<number, string> {
  const out = new Map<number, string>();
  if (rule.kind === 'ava-groups') {
    for (const c of classes) out.set(c.id, c.id <= 14 ? AVA_GROUPS[0] : c.id <= 63 ? AVA_GROUPS[1] : AVA_GROUPS[2]);
    return out;
  }
  if (rule.kind === 'thresholds') {
    for (const c of classes) {
      const n = counts.get(c.id) ?? 0;
      out.set(c.id, n >= rule.high ? 'head' : n >= rule.low ? 'mid' : 'tail');
    }
    return out;
  }
  const ranked = classes.filter((c) => (counts.get(c.id) ?? 0) > 0).sort((a, b) => counts.get(b.id)! - counts.get(a.id)! || a.id - b.id);
  const n = ranked.length;
  const sizes = [Math.ceil(n / 3), Math.ceil((n - Math.ceil(n / 3)) / 2)];
  ranked.forEach((c, i) => out.set(c.id, i < sizes[0]! ? 'head' : i < sizes[0]! + sizes[1]! ? 'mid' : 'tail'));
  for (const c of classes) if (!out.has(c.id)) out.set(c.id, 'tail');
  return out;
}

export interface GroupScore {
  readonly name: string;
  /** Mean AP over the group's classes with GT; NaN if none has GT. */
  readonly mAP: number;
  /** Class ids in the group (label-map order). */
  readonly classes: number[];
  readonly classesWithGt: number;
}

/** Group names in display order: head/mid/tail or AVA groups first, others by first appearance. */
export function groupOrder(groupOf: ReadonlyMap<number, string>): string[] {
  const names = [...new Set(groupOf.values())];
  const known: readonly string[] = names.some((g) => (HEAD_MID_TAIL as readonly string[]).includes(g)) ? HEAD_MID_TAIL : AVA_GROUPS;
  return [...known.filter((g) => names.includes(g)), ...names.filter((g) => !known.includes(g))];
}

export function groupScores(aps: readonly { id: number; ap: number; numGt: number }[], groupOf: ReadonlyMap<number, string>): GroupScore[] {
  return groupOrder(groupOf).map((name) => {
    const members = aps.filter((c) => groupOf.get(c.id) === name);
    return {
      name,
      mAP: numpyNanMean(members.map((c) => c.ap)),
      classes: members.map((c) => c.id),
      classesWithGt: members.filter((c) => c.numGt > 0).length,
    };
  });
}
