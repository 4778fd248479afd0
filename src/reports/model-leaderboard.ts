/**
 * The leaderboard of models on one ground truth (`cft-bench leaderboard` over eval or infer
 * results), read from a finished ModelBoard (never recomputed): Markdown, CSV and JSON.
 */
import type { Interval } from '../metrics/bootstrap.js';
import type { RankedModel } from '../metrics/model-ranking.js';
import { toCsv } from './csv.js';
import { fmt, mdEscape, mdTable } from './markdown.js';

export interface ModelBoard {
  readonly schemaVersion: 1;
  readonly kind: 'model-leaderboard';
  /** What every model was evaluated on (shared by all, checked). */
  readonly evaluatedOn: { readonly gtSha256: string | null; readonly protocol: string; readonly grouping: string };
  readonly by: 'keyframe' | 'video';
  readonly resamples: number;
  readonly reference: string | null;
  readonly groups: readonly string[];
  /** Rows: a model, or a recipe given by several training seeds (`seeds` > 1; `source` lists them, space-separated). */
  readonly models: readonly (RankedModel & { readonly source: string; readonly seeds: number; readonly rowsRead: number; readonly scored: number; readonly dropped: Readonly<Record<string, number>> })[];
}

const pts = (x: number) => (x >= 0 ? '+' : '') + (x * 100).toFixed(2);
const ci = (i: Interval) => `[${fmt(i.lo, 3)}, ${fmt(i.hi, 3)}]`;
const delta = (i: Interval) => `${pts(i.estimate)} [${pts(i.lo)}, ${pts(i.hi)}]`;

export function modelBoardMarkdown(b: ModelBoard): string {
  const head = ['rank', 'model', 'seeds', ...b.groups.map((g) => (g === 'overall' ? 'mAP [95% CI]' : g)), 'Δ to the one above (points)', ...(b.reference !== null ? [`Δ vs ${b.reference} (points)`] : []), 'rows read', 'scored', 'dropped'];
  const rows = b.models.map((m) => [
    String(m.rank),
    mdEscape(m.name),
    String(m.seeds),
    ...b.groups.map((g) => `${fmt(m.groups[g]!.mAP, 4)} ${ci(m.groups[g]!.ci)}`),
    m.toAbove === null ? '' : delta(m.toAbove),
    ...(b.reference !== null ? [m.toReference === null ? '(reference)' : delta(m.toReference['overall']!)] : []),
    String(m.rowsRead),
    String(m.scored),
    Object.entries(m.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || '0',
  ]);
  return [
    '# cft-bench leaderboard',
    '',
    `${b.models.length} models on the same ground truth (${b.evaluatedOn.protocol}; grouping ${b.evaluatedOn.grouping}). mAP with a bootstrap 95% CI over ${b.by === 'video' ? 'whole videos' : 'keyframes'} (${b.resamples} resamples). A model shares the rank of the one above it when their paired difference is within noise (its 95% CI contains 0).${b.models.some((m) => m.seeds > 1) ? ' A row with several seeds is a recipe: its mAP is the mean over its seeds, and its intervals also cover seed noise (a t interval over the seeds, added in quadrature to the test-data bootstrap).' : ''}`,
    '',
    mdTable(head, rows),
    '',
  ].join('\n');
}

export async function modelBoardCsv(b: ModelBoard): Promise<string> {
  return toCsv(
    ['rank', 'model', 'seeds', 'source', ...b.groups.flatMap((g) => [`${g}_map`, `${g}_ci_lo`, `${g}_ci_hi`]), 'delta_to_above', 'delta_to_above_lo', 'delta_to_above_hi', 'delta_to_reference', 'delta_to_reference_lo', 'delta_to_reference_hi', 'rows_read', 'scored'],
    b.models.map((m) => [
      m.rank,
      m.name,
      m.seeds,
      m.source,
      ...b.groups.flatMap((g) => [m.groups[g]!.mAP, m.groups[g]!.ci.lo, m.groups[g]!.ci.hi]),
      m.toAbove?.estimate ?? null,
      m.toAbove?.lo ?? null,
      m.toAbove?.hi ?? null,
      m.toReference?.['overall']?.estimate ?? null,
      m.toReference?.['overall']?.lo ?? null,
      m.toReference?.['overall']?.hi ?? null,
      m.rowsRead,
      m.scored,
    ]),
  );
}
