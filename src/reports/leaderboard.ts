/**
 * Compare reports, read from a finished CompareDoc (never recomputed): leaderboard.md and
 * leaderboard.csv (one row per protocol, sorted by test mAP), the paired comparison with
 * pretrain-finetune, per_class.csv. Also the merge of several compare documents (`leaderboard`).
 */
import type { Cell, CompareDoc, LeaderboardRow } from '../protocols/compare.js';
import { toCsv } from './csv.js';
import { fmt, mdEscape, mdTable } from './markdown.js';

export function cellText(c: Cell, digits = 3): string {
  if (c.std === null) return c.ci ? `${fmt(c.mean, digits)} [${fmt(c.ci.lo, digits)}, ${fmt(c.ci.hi, digits)}]` : fmt(c.mean, digits);
  return `${fmt(c.mean, digits)} ± ${fmt(c.std, digits)}${c.ci ? ` [${fmt(c.ci.lo, digits)}, ${fmt(c.ci.hi, digits)}]` : ''}`;
}

const signed = (x: number, d = 3) => (x >= 0 ? '+' : '') + x.toFixed(d);

/** A run's test prediction rows: scored of read, and the dropped ones by reason. */
export function rowsText(rows: CompareDoc['runs'][number]['testRows'] | LeaderboardRow['testRows']): string {
  if (rows == null) return '—';
  const dropped = Object.entries(rows.dropped).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${rows.scored} of ${rows.rowsRead}${dropped !== '' ? ` (dropped: ${dropped})` : ''}`;
}

function leaderboardTable(rows: readonly (LeaderboardRow & { source?: string })[], withSource: boolean): string {
  const up = [...new Set(rows.flatMap((r) => Object.keys(r.upstreamAccuracy)))];
  return mdTable(
    [...(withSource ? ['source'] : []), 'protocol', 'test mAP', 'head', 'mid', 'tail', 'val mAP', 'LR', ...up.map((u) => `${u} acc`), 'examples', 'steps', 'test rows scored', 'wall s', 'backend'],
    rows.map((r) => [
      ...(withSource ? [mdEscape(r.source ?? '')] : []),
      `**${mdEscape(r.protocol)}**`,
      cellText(r.mAP),
      cellText(r.head),
      cellText(r.mid),
      cellText(r.tail),
      fmt(r.valMAP, 3),
      [...new Set(r.chosenLr)].join(', '),
      ...up.map((u) => (r.upstreamAccuracy[u] === undefined ? '—' : fmt(r.upstreamAccuracy[u], 3))),
      Object.entries(r.examples).map(([d, n]) => `${d} ${n}`).join('; '),
      String(r.steps),
      rowsText(r.testRows),
      r.seconds.toFixed(0),
      r.backend,
    ]),
  );
}

export function compareMarkdown(doc: CompareDoc, command: string): string {
  const c = doc.config;
  const out: string[] = [];
  out.push(`# cft-bench compare: ${c.downstream} with ${c.upstream.join(', ')}`, '');
  out.push(`> ${doc.claim}`, '');
  out.push(`Command: \`${command}\``, '');
  out.push(
    `Budget (${c.budgetMode}): ${c.budget.downstream} ${c.downstream} examples, ${c.budget.upstream} upstream examples; batch ${c.batch}; sampler ${c.sampler}; ` +
      `${c.seeds} seed(s); ${c.tunedLr !== undefined ? `LRs: ${doc.lrSource}` : `LR grid ${doc.lrGrid.join(', ')}${doc.lrGrid.length !== c.lrGrid.length ? ` (extended from ${c.lrGrid.join(', ')}: a protocol chose an edge)` : ''}`} (pretraining LR ${c.pretrainLr}); ${c.trainer !== undefined ? `trainer \`${mdEscape(c.trainer.command)}\` (${Object.entries(c.trainer.files).map(([f, h]) => `${mdEscape(f)} sha256 ${h.slice(0, 12)}…`).join(', ') || 'no file named'}), each run's backend below` : `backend ${c.backend}`}; code ${c.codeVersion}.`,
    '',
  );
  if (doc.sanity.length > 0) {
    out.push('## Sanity checks: baseline may be broken', '');
    for (const w of doc.sanity) out.push(`- **${mdEscape(w)}**`);
    out.push('');
  }
  out.push('## Leaderboard (test split)', '');
  out.push('Cells: mean' + (c.seeds > 1 ? ' ± std over seeds' : '') + (c.resamples > 0 ? ` [95% bootstrap CI over test keyframes, ${c.resamples} resamples]` : '') + '. Groups: tertiles of the train counts (below).', '');
  out.push(leaderboardTable(doc.leaderboard, false), '');
  for (const baseline of [...new Set(doc.paired.map((p) => p.baseline))]) {
    const pairs = doc.paired.filter((p) => p.baseline === baseline);
    out.push(`## Paired comparison with ${baseline}`, '');
    out.push(`Δ test mAP, paired bootstrap 95% CI over test keyframes${c.seeds > 1 ? ' (mean over seeds)' : ''}.`, '');
    out.push(
      mdTable(
        ['protocol', 'Δ mAP', 'Δ head', 'Δ mid', 'Δ tail', 'per-seed Δ mAP'],
        pairs.map((p) => [
          mdEscape(p.protocol),
          ...['overall', 'head', 'mid', 'tail'].map((g) => `${signed(p.delta[g]!.estimate)} [${signed(p.delta[g]!.lo)}, ${signed(p.delta[g]!.hi)}]`),
          p.perSeed.map((s) => signed(s.delta)).join(', '),
        ]),
      ),
      '',
    );
  }
  out.push(`## Training practice (${doc.practiceSource ?? 'the built-in trainer; every protocol alike'})`, '');
  if (doc.practice === null) out.push('The trainer did not declare its practice (report.json `practice`): what its heads, optimizer and schedule were is not known to cft-bench.', '');
  else out.push(mdTable(['choice', 'value'], Object.entries(doc.practice).map(([k, v]) => [k, mdEscape(String(v))])), '');
  if (doc.sanity.length === 0) out.push('Sanity checks: no transfer protocol below downstream-only, no phase starting far above a from-scratch loss.', '');
  out.push('## Groups', '');
  out.push(mdTable(['group', 'classes (train count)'], Object.entries(doc.groups).filter(([g]) => g !== 'overall').map(([g, v]) => [g, v.names.map((n) => `${mdEscape(n)} (${doc.trainCounts[n]})`).join(', ')])), '');
  out.push('## Budget ledger', '');
  out.push(
    c.budgetMode === 'equal'
      ? `Checked equal across protocols (count and SHA-256 of the example ids in order): ${doc.ledgerCheck.mustMatch.join(', ')}${c.upstreamBudgets !== undefined ? ' (each upstream set its own budget: every protocol that trains on one sees the same examples of it)' : c.protocols.includes('multi-cofinetune') ? ' (the multi-upstream protocol: its total upstream examples)' : ''}.`
      : 'Checked equal across protocols: the total examples (equal-total: each protocol splits the total its own way; downstream-only spends it all on the downstream set).',
    '',
  );
  const sel = doc.runs.filter((r) => r.selected);
  out.push(mdTable(['protocol', 'seed', 'LR', 'dataset', 'examples', 'ids sha256'], sel.flatMap((r) => Object.entries(r.ledger.totals).map(([d, t]) => [mdEscape(r.protocol), String(r.seed), String(r.lr), d, String(t.examples), `\`${t.idsSha256.slice(0, 16)}…\``]))), '');
  out.push('## All runs (LR selection on val)', '');
  const div = new Map((doc.diverged ?? []).map((d) => [`${d.protocol}/${d.seed}/${d.lr}`, d]));
  const valText = (r: (typeof doc.runs)[number]) => {
    const d = div.get(`${r.protocol}/${r.seed}/${r.lr}`);
    return d !== undefined ? `diverged (loss ${d.loss}, ${d.phase} step ${d.step})` : fmt(r.valMAP, 4);
  };
  out.push(mdTable(['protocol', 'seed', 'LR', 'val mAP', 'test mAP', 'test rows scored', 'selected'], doc.runs.map((r) => [mdEscape(r.protocol), String(r.seed), String(r.lr), valText(r), fmt(r.testMAP, 4), rowsText(r.testRows), r.selected ? 'yes' : ''])), '');
  out.push('Rows not scored for the protocol\'s own reasons (the per-keyframe cap, excluded keyframes) are shown, not held against a run; a run that loses more than 1% of its rows to ids not in the label map, keyframes not in the split, invalid boxes or malformed rows is refused.', '');
  return out.join('\n');
}

export async function leaderboardCsv(rows: readonly (LeaderboardRow & { source?: string })[]): Promise<string> {
  const up = [...new Set(rows.flatMap((r) => Object.keys(r.upstreamAccuracy)))];
  const cols = (c: Cell) => [c.mean, c.std, c.ci?.lo ?? null, c.ci?.hi ?? null];
  return toCsv(
    ['source', 'protocol', 'map', 'map_std', 'map_ci_lo', 'map_ci_hi', 'head', 'head_std', 'head_ci_lo', 'head_ci_hi', 'mid', 'mid_std', 'mid_ci_lo', 'mid_ci_hi', 'tail', 'tail_std', 'tail_ci_lo', 'tail_ci_hi', 'val_map', 'lr', ...up.map((u) => `${u}_acc`), 'examples', 'steps', 'seconds', 'backend'],
    rows.map((r) => [r.source ?? '', r.protocol, ...cols(r.mAP), ...cols(r.head), ...cols(r.mid), ...cols(r.tail), r.valMAP, [...new Set(r.chosenLr)].join(' '), ...up.map((u) => r.upstreamAccuracy[u] ?? null), Object.entries(r.examples).map(([d, n]) => `${d}=${n}`).join(' '), r.steps, r.seconds, r.backend]),
  );
}

export async function comparePerClassCsv(doc: CompareDoc): Promise<string> {
  return toCsv(['protocol', 'id', 'name', 'group', 'train_count', 'ap', 'gain_over_baseline'], doc.perClass.map((c) => [c.protocol, c.id, c.name, c.group, c.trainCount, c.ap, c.gainOverBaseline]));
}

/** Several compare documents as one leaderboard (rows tagged with their source). */
export function mergeLeaderboards(docs: readonly { source: string; doc: CompareDoc }[]): (LeaderboardRow & { source: string })[] {
  return docs.flatMap(({ source, doc }) => doc.leaderboard.map((r) => ({ ...r, source }))).sort((a, b) => b.mAP.mean - a.mAP.mean);
}

/** The merged table, with each source's claim (a --quick source stays labelled "pipeline check, no claim"). */
export function mergedMarkdown(rows: readonly (LeaderboardRow & { source: string })[], claims: Readonly<Record<string, string>> = {}): string {
  const notes = Object.entries(claims).map(([source, claim]) => `> ${mdEscape(source)}: ${claim}`);
  return ['# cft-bench leaderboard', '', ...(notes.length > 0 ? [...notes, ''] : []), leaderboardTable(rows, true), ''].join('\n');
}
