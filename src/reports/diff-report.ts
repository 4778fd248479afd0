/**
 * Reports of a paired diff (`cft-bench diff A B`): Markdown, CSV (one row per group and per
 * class), a terminal table, GitHub annotations and the per-class Δ-vs-count plot. Δ is in AP
 * points (×100), B − A, with the paired bootstrap 95% CI; a change is "significant" when the
 * whole CI is on one side of 0. Reports read a PairedDiff; they never recompute.
 */
import Table from 'cli-table3';
import type { Interval } from '../metrics/bootstrap.js';
import type { ClassDelta, PairedDiff } from '../metrics/paired-diff.js';
import { toCsv } from './csv.js';
import { fmt, mdEscape, mdTable } from './markdown.js';
import { gainVsCountChart, type ChartSpec } from './charts.js';
import { chartSvg } from './plot.js';

export interface DiffNames {
  readonly a: string;
  readonly b: string;
}

const pts = (x: number) => (Number.isNaN(x) ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`);
export const deltaText = (d: Interval | null) => (d === null ? '—' : `${pts(d.estimate)} [${pts(d.lo)}, ${pts(d.hi)}]`);
export function significance(d: Interval | null): 'up' | 'down' | null {
  if (d === null || Number.isNaN(d.lo)) return null;
  return d.lo > 0 ? 'up' : d.hi < 0 ? 'down' : null;
}
function mark(d: Interval | null): string {
  const s = significance(d);
  return s === 'up' ? '▲' : s === 'down' ? '▼' : '';
}

/** What the intervals cover: with one result per side, seed noise is not in them. */
function seedText(d: PairedDiff): string {
  return d.seeds.a > 1 || d.seeds.b > 1
    ? `Seeds: ${d.seeds.a} (A) and ${d.seeds.b} (B); A and B are each side's mean, and the intervals cover seed noise (seeds resampled within each side, jointly with the test data).`
    : 'One result per side: the intervals cover test-set noise only, not training-seed noise.';
}

/** Below this many videos a video bootstrap has too few distinct resamples to mean much. */
export const FEW_VIDEOS = 20;

function describeUnits(d: PairedDiff): string {
  if (d.by !== 'video') return `${d.keyframes} keyframes`;
  return `${d.units} videos (${d.keyframes} keyframes)${d.units < FEW_VIDEOS ? ` — only ${d.units} videos: the interval is coarse, read it with care` : ''}`;
}

/** Classes with GT, largest |Δ| first (ties by id). */
function rankedClasses(d: PairedDiff): ClassDelta[] {
  return d.classes.filter((c) => c.delta !== null).sort((x, y) => Math.abs(y.delta!.estimate) - Math.abs(x.delta!.estimate) || x.id - y.id);
}

export function diffMarkdown(d: PairedDiff, names: DiffNames): string {
  const classes = rankedClasses(d);
  const sig = classes.filter((c) => significance(c.delta) !== null);
  return [
    `# cft-bench diff: \`${mdEscape(names.b)}\` − \`${mdEscape(names.a)}\``,
    '',
    `Δ AP in points (B − A), paired bootstrap 95% CI over ${describeUnits(d)}, ${d.resamples} resamples (seed ${d.seed}). ▲/▼: the whole CI above/below 0. No verdict: \`cft-bench check\` gates. ${seedText(d)}`,
    '',
    mdTable(
      ['group', 'classes with GT', 'A mAP', 'B mAP', 'Δ points [95% CI]', ''],
      d.groups.map((g) => [g.group, String(g.classesWithGt), fmt(g.mapA), fmt(g.mapB), deltaText(g.delta), mark(g.delta)]),
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
    `## Per class (${classes.length} with GT, largest |Δ| first; ${sig.length} outside noise)`,
    '',
    mdTable(
      ['id', 'class', 'group', 'train count', 'GT', 'A AP', 'B AP', 'Δ points [95% CI]', ''],
      classes.map((c) => [String(c.id), mdEscape(c.name), c.group, c.trainCount === null ? '—' : String(c.trainCount), String(c.numGt), fmt(c.apA), fmt(c.apB), deltaText(c.delta), mark(c.delta)]),
      ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ].join('\n');
}

export async function diffCsv(d: PairedDiff): Promise<string> {
  const header = ['level', 'name', 'id', 'group', 'train_count', 'num_gt', 'a', 'b', 'delta', 'delta_lo', 'delta_hi'];
  const rows: (string | number | null)[][] = [
    ...d.groups.map((g) => ['group', g.group, null, g.group, null, null, g.mapA, g.mapB, g.delta.estimate, g.delta.lo, g.delta.hi]),
    ...d.classes.map((c) => ['class', c.name, c.id, c.group, c.trainCount, c.numGt, c.apA, c.apB, c.delta?.estimate ?? null, c.delta?.lo ?? null, c.delta?.hi ?? null]),
  ];
  return toCsv(header, rows);
}

/** Group table plus the `top` classes with the largest |Δ|. */
export function diffTerminal(d: PairedDiff, names: DiffNames, top = 10): string {
  const g = new Table({ head: ['group', 'A mAP', 'B mAP', 'Δ points [95% CI]', ''] });
  for (const x of d.groups) g.push([x.group, fmt(x.mapA), fmt(x.mapB), deltaText(x.delta), mark(x.delta)]);
  const classes = rankedClasses(d).slice(0, top);
  const c = new Table({ head: ['class', 'group', 'GT', 'A AP', 'B AP', 'Δ points [95% CI]', ''] });
  for (const x of classes) c.push([`${x.id} ${x.name}`, x.group, x.numGt, fmt(x.apA), fmt(x.apB), deltaText(x.delta), mark(x.delta)]);
  return [`${names.b} − ${names.a}: paired over ${describeUnits(d)}, ${d.resamples} resamples. ${seedText(d)}`, g.toString(), `largest per-class changes (${classes.length}):`, c.toString(), ''].join('\n');
}

/** One annotation per group: a warning when it dropped beyond noise, else a notice. */
export function diffGithubAnnotations(d: PairedDiff, names: DiffNames): string {
  return d.groups
    .map((g) => {
      const text = `${g.group} mAP ${fmt(g.mapB)} (${names.b}) vs ${fmt(g.mapA)} (${names.a}): Δ ${deltaText(g.delta)} points`;
      return significance(g.delta) === 'down' ? `::warning title=cft-bench diff (${g.group})::${text}\n` : `::notice title=cft-bench diff (${g.group})::${text}\n`;
    })
    .join('');
}

/** The points of the per-class Δ-vs-count chart: each class with GT against its training count (or its GT count when there were no training counts). */
export function diffGainChart(d: PairedDiff, names: DiffNames): ChartSpec | null {
  const withTrain = d.classes.every((c) => c.delta === null || c.trainCount !== null);
  const points = d.classes
    .filter((c) => c.delta !== null)
    .map((c) => ({ protocol: names.b, className: c.name, group: c.group, trainCount: withTrain ? c.trainCount! : c.numGt, gain: c.delta!.estimate }))
    .filter((p) => p.trainCount > 0);
  if (points.length === 0) return null;
  return gainVsCountChart(points, names.a, `${names.b} − ${names.a}: per-class AP change`, {
    what: 'AP',
    xTitle: withTrain ? 'training instances of the class (log)' : 'GT instances of the class in the evaluated set (log; no training counts given)',
  });
}

/** Per-class Δ AP vs the class's training count, as SVG. */
export async function diffSvg(d: PairedDiff, names: DiffNames): Promise<string | null> {
  const chart = diffGainChart(d, names);
  return chart === null ? null : chartSvg(chart);
}
