/**
 * The report.html of each command, read from its finished document (never recomputed): a
 * compare (leaderboard, paired Δ, per-class gain vs training count, head/mid/tail with CIs, LR
 * search, loss curves, budget ledger), a leaderboard of models or of compare results, a diff,
 * an eval. Layout and rendering are html-page.ts's; the charts are charts.ts's.
 */
import type { Interval } from '../metrics/bootstrap.js';
import type { PairedDiff } from '../metrics/paired-diff.js';
import type { Cell, CompareDoc, LeaderboardRow } from '../protocols/compare.js';
import { apVsCountChart, gainVsCountChart, intervalsChart, lossCurvesChart, lrSweepChart, type IntervalPoint, type LossPoint } from './charts.js';
import { htmlPage, type HtmlCell, type HtmlSection } from './html-page.js';
import { diffGainChart, type DiffNames } from './diff-report.js';
import type { ModelBoard } from './model-leaderboard.js';
import type { EvalResultDoc } from './result-doc.js';
import { rowsText } from './leaderboard.js';

const TOOL = 'cft-bench';
const GROUPS = ['overall', 'head', 'mid', 'tail'] as const;

const f = (x: number | null | undefined, d = 4) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const signed = (x: number, d = 4) => (x >= 0 ? '+' : '') + x.toFixed(d);
const num = (x: number | null | undefined, d = 4): HtmlCell => ({ text: f(x, d), sort: x === null || x === undefined || Number.isNaN(x) ? null : x, num: true });
const withCi = (c: Cell): HtmlCell => ({
  text: `${f(c.mean)}${c.std !== null ? ` ± ${f(c.std)}` : ''}${c.ci !== null ? ` [${f(c.ci.lo)}, ${f(c.ci.hi)}]` : ''}`,
  sort: c.mean,
  num: true,
});
const deltaCell = (i: Interval | null, scale = 1, d = 4): HtmlCell =>
  i === null ? { text: '—', sort: null, num: true } : { text: `${signed(i.estimate * scale, d)} [${signed(i.lo * scale, d)}, ${signed(i.hi * scale, d)}]`, sort: i.estimate, num: true };

function cellInterval(series: string, group: string, c: Cell): IntervalPoint {
  return { series, group, value: c.mean, lo: c.ci?.lo ?? null, hi: c.ci?.hi ?? null };
}

// ---------------------------------------------------------------- compare

/** Loss points of a run: its phases one after another, each step kind its own line. */
function runLossPoints(run: CompareDoc['runs'][number]): LossPoint[] {
  const label = `${run.protocol} · seed ${run.seed} · LR ${run.lr}`;
  const out: LossPoint[] = [];
  let offset = 0;
  for (const phase of run.ledger.phases) {
    for (const [kind, curve] of Object.entries(run.lossCurve?.[phase.name] ?? {})) for (const [step, loss] of curve) out.push({ run: label, series: `${phase.name}: ${kind}`, step: offset + step, loss });
    offset += phase.steps;
  }
  return out;
}

function leaderboardRowsTable(rows: readonly (LeaderboardRow & { source?: string })[], withSource: boolean) {
  return {
    kind: 'table' as const,
    columns: [...(withSource ? ['source'] : []), 'protocol', 'test mAP', 'head', 'mid', 'tail', 'val mAP', 'LR', 'steps', 'test rows scored', 'backend'],
    rows: rows.map((r) => [
      ...(withSource ? [r.source ?? ''] : []),
      { text: r.protocol, strong: true },
      withCi(r.mAP),
      withCi(r.head),
      withCi(r.mid),
      withCi(r.tail),
      num(r.valMAP),
      { text: [...new Set(r.chosenLr)].join(', '), sort: r.chosenLr[0] ?? null, num: true },
      num(r.steps, 0),
      { text: rowsText(r.testRows), sort: r.testRows?.scored ?? null },
      r.backend,
    ]),
  };
}

export function compareHtml(doc: CompareDoc, command: string): string {
  const c = doc.config;
  const baseline = doc.paired[0]?.baseline ?? 'pretrain-finetune';
  const protocols = doc.leaderboard.map((r) => r.protocol);
  const sections: HtmlSection[] = [];
  if (doc.sanity.length > 0) sections.push({ heading: 'Sanity checks: baseline may be broken', blocks: [{ kind: 'list', items: doc.sanity, warn: true }] });
  const flagged = [
    ...doc.lrEdge.map((e) => `LR grid too narrow: ${e}`),
    ...doc.unscored.map((p) => `${p}: diverged at every LR, not scored`),
  ];
  if (flagged.length > 0) sections.push({ heading: 'Incomplete comparison', blocks: [{ kind: 'list', items: flagged, warn: true }] });
  sections.push({
    heading: 'Leaderboard (test split)',
    blocks: [
      { kind: 'text', text: `Cells: mean${c.seeds > 1 ? ' ± std over seeds' : ''}${c.resamples > 0 ? ` [95% bootstrap CI over test keyframes, ${c.resamples} resamples]` : ''}. Groups: tertiles of the training counts (Groups, below).` },
      leaderboardRowsTable(doc.leaderboard, false),
      {
        kind: 'chart',
        caption: 'Test mAP per group with its 95% CI, per protocol.',
        spec: intervalsChart(
          doc.leaderboard.flatMap((r) => GROUPS.map((g) => cellInterval(r.protocol, g, g === 'overall' ? r.mAP : r[g]))),
          `${c.downstream}: test mAP by group`,
          'test mAP',
          { groups: GROUPS },
        ),
      },
    ],
  });
  for (const base of [...new Set(doc.paired.map((p) => p.baseline))]) {
    const pairs = doc.paired.filter((p) => p.baseline === base);
    sections.push({
      heading: `Paired comparison with ${base}`,
      blocks: [
        { kind: 'text', text: `Δ test mAP (protocol − ${base}), paired bootstrap 95% CI over test keyframes${c.seeds > 1 ? ' (mean over seeds)' : ''}.` },
        {
          kind: 'table',
          columns: ['protocol', 'Δ mAP', 'Δ head', 'Δ mid', 'Δ tail', 'per-seed Δ mAP'],
          rows: pairs.map((p) => [{ text: p.protocol, strong: true }, ...GROUPS.map((g) => deltaCell(p.delta[g] ?? null)), p.perSeed.map((s) => signed(s.delta)).join(', ')]),
        },
        {
          kind: 'chart',
          caption: `Δ test mAP over ${base} per group, with its 95% CI (dashed: no difference).`,
          spec: intervalsChart(
            pairs.flatMap((p) => GROUPS.filter((g) => p.delta[g] !== undefined).map((g) => ({ series: p.protocol, group: g, value: p.delta[g]!.estimate, lo: p.delta[g]!.lo, hi: p.delta[g]!.hi }))),
            `Δ test mAP over ${base}`,
            `Δ mAP over ${base}`,
            { zeroRule: true, groups: GROUPS },
          ),
        },
      ],
    });
  }
  const gains = doc.perClass.filter((x) => x.protocol !== baseline && x.gainOverBaseline !== null && x.trainCount > 0);
  const classes = [...new Map(doc.perClass.map((x) => [x.id, x])).values()];
  const ap = new Map(doc.perClass.map((x) => [`${x.protocol}/${x.id}`, x.ap]));
  sections.push({
    heading: 'Per class',
    blocks: [
      ...(gains.length > 0
        ? [{ kind: 'chart' as const, caption: `Each point is a class: its test AP gain over ${baseline} against its number of training instances. The paper's claim is about the left (tail) side.`, spec: gainVsCountChart(gains.map((x) => ({ protocol: x.protocol, className: x.name, group: x.group, trainCount: x.trainCount, gain: x.gainOverBaseline! })), baseline, `${c.downstream}: per-class gain over ${baseline}`) }]
        : []),
      {
        kind: 'table',
        caption: 'Test AP per class and protocol.',
        columns: ['id', 'class', 'group', 'train count', ...protocols],
        rows: classes.map((k) => [num(k.id, 0), k.name, k.group, num(k.trainCount, 0), ...protocols.map((p) => num(ap.get(`${p}/${k.id}`)))]),
      },
    ],
  });
  const tried = doc.runs.length > doc.leaderboard.length;
  sections.push({
    heading: 'LR search (validation split)',
    blocks: [
      { kind: 'text', text: `LRs: ${c.tunedLr !== undefined ? doc.lrSource : `grid ${doc.lrGrid.join(', ')}${doc.lrGrid.length !== c.lrGrid.length ? ` (extended from ${c.lrGrid.join(', ')}: a protocol chose an edge)` : ''}`}; pretraining LR ${c.pretrainLr}. Each protocol's LR is chosen on val mAP; test is read once, at that LR.` },
      ...(tried
        ? [{ kind: 'chart' as const, caption: 'Val mAP against LR per protocol and seed; filled: the chosen run; crosses at the bottom: runs that diverged.', spec: lrSweepChart(doc.runs.map((r) => ({ protocol: r.protocol, seed: r.seed, lr: r.lr, valMAP: r.valMAP, selected: r.selected })), 'LR search: val mAP against LR') }]
        : []),
      {
        kind: 'table',
        columns: ['protocol', 'seed', 'LR', 'val mAP', 'test mAP', 'test rows scored', 'chosen'],
        rows: doc.runs.map((r) => {
          const d = doc.diverged.find((x) => x.protocol === r.protocol && x.seed === r.seed && x.lr === r.lr);
          return [r.protocol, num(r.seed, 0), { text: String(r.lr), sort: r.lr, num: true }, d !== undefined ? { text: `diverged (loss ${d.loss}, ${d.phase} step ${d.step})`, sort: null } : num(r.valMAP), num(r.testMAP), { text: rowsText(r.testRows), sort: r.testRows?.scored ?? null }, r.selected ? 'yes' : ''];
        }),
      },
    ],
  });
  const losses = doc.runs.filter((r) => r.selected || doc.diverged.some((d) => d.protocol === r.protocol && d.seed === r.seed && d.lr === r.lr)).flatMap(runLossPoints);
  if (losses.length > 0) {
    sections.push({
      heading: 'Training loss',
      blocks: [{ kind: 'chart', caption: 'Training loss of each chosen (and each diverged) run against step, phases one after another; one line per phase and kind of batch (binned means, ≤ 100 points each).', spec: lossCurvesChart(losses, 'training loss per run') }],
    });
  }
  sections.push({
    heading: 'Budget ledger',
    blocks: [
      {
        kind: 'text',
        text:
          c.budgetMode === 'equal'
            ? `Checked equal across protocols (count and SHA-256 of the example ids in order): ${doc.ledgerCheck.mustMatch.join(', ')}.`
            : 'Checked equal across protocols: the total examples (equal-total: each protocol splits the total its own way).',
      },
      {
        kind: 'table',
        columns: ['protocol', 'seed', 'LR', 'phase', 'sampler', 'dataset', 'examples', 'steps', 'ids sha256'],
        rows: doc.runs
          .filter((r) => r.selected)
          .flatMap((r) => r.ledger.phases.flatMap((ph) => Object.entries(ph.datasets).map(([d, t]) => [r.protocol, num(r.seed, 0), { text: String(r.lr), sort: r.lr, num: true }, ph.name, ph.sampler, d, num(t.examples, 0), num(t.steps, 0), `${t.idsSha256.slice(0, 16)}…`]))),
      },
    ],
  });
  sections.push({
    heading: 'Groups',
    blocks: [{ kind: 'table', columns: ['group', 'classes', 'classes (training count)'], rows: Object.entries(doc.groups).filter(([g]) => g !== 'overall').map(([g, v]) => [g, num(v.names.length, 0), v.names.map((n) => `${n} (${doc.trainCounts[n]})`).join(', ')]) }],
  });
  sections.push({
    heading: `Training practice (${doc.practiceSource})`,
    blocks: doc.practice === null ? [{ kind: 'text', text: 'The trainer did not declare its practice: what its heads, optimizer and schedule were is not known to cft-bench.' }] : [{ kind: 'table', columns: ['choice', 'value'], rows: Object.entries(doc.practice).map(([k, v]) => [k, String(v)]) }],
  });
  return htmlPage(
    {
      title: `cft-bench compare: ${c.downstream} with ${c.upstream.join(', ')}`,
      lead: [
        doc.claim,
        `Command: ${command}`,
        `Budget (${c.budgetMode}): ${c.budget.downstream} ${c.downstream} examples, ${c.budget.upstream} upstream examples; batch ${c.batch}; sampler ${c.sampler}; ${c.seeds} seed(s); ${c.trainer !== undefined ? `trainer ${c.trainer.command}` : `backend ${c.backend}`}; code ${c.codeVersion}.`,
      ],
      sections,
    },
    TOOL,
  );
}

/** Several compare results as one table (each source's claim kept). */
export function mergedLeaderboardHtml(rows: readonly (LeaderboardRow & { source: string })[], claims: Readonly<Record<string, string>>): string {
  return htmlPage(
    {
      title: 'cft-bench leaderboard',
      lead: Object.entries(claims).map(([s, claim]) => `${s}: ${claim}`),
      sections: [
        {
          heading: 'Leaderboard (test split)',
          blocks: [
            leaderboardRowsTable(rows, true),
            { kind: 'chart', caption: 'Test mAP per group with its 95% CI.', spec: intervalsChart(rows.flatMap((r) => GROUPS.map((g) => cellInterval(`${r.source}: ${r.protocol}`, g, g === 'overall' ? r.mAP : r[g]))), 'test mAP by group', 'test mAP', { groups: GROUPS }) },
          ],
        },
      ],
    },
    TOOL,
  );
}

// ---------------------------------------------------------------- models, diff, eval

export function modelBoardHtml(b: ModelBoard): string {
  const blocks: HtmlSection['blocks'][number][] = [
    {
      kind: 'text',
      text: `${b.models.length} models on the same ground truth (${b.evaluatedOn.protocol}; grouping ${b.evaluatedOn.grouping}). mAP with a bootstrap 95% CI over ${b.by === 'video' ? 'whole videos' : 'keyframes'} (${b.resamples} resamples). A model shares the rank of the one above it when their paired difference is within noise (its 95% CI contains 0).`,
    },
    {
      kind: 'table',
      columns: ['rank', 'model', 'seeds', ...b.groups.map((g) => (g === 'overall' ? 'mAP [95% CI]' : g)), 'Δ to the one above (points)', ...(b.reference !== null ? [`Δ vs ${b.reference} (points)`] : []), 'rows read', 'scored', 'dropped'],
      rows: b.models.map((m) => [
        num(m.rank, 0),
        { text: m.name, strong: true },
        num(m.seeds, 0),
        ...b.groups.map((g) => ({ text: `${f(m.groups[g]!.mAP)} [${f(m.groups[g]!.ci.lo, 3)}, ${f(m.groups[g]!.ci.hi, 3)}]`, sort: m.groups[g]!.mAP, num: true })),
        deltaCell(m.toAbove, 100, 2),
        ...(b.reference !== null ? [m.toReference === null ? { text: '(reference)', sort: 0 } : deltaCell(m.toReference['overall'] ?? null, 100, 2)] : []),
        num(m.rowsRead, 0),
        num(m.scored, 0),
        Object.entries(m.dropped).map(([k, n]) => `${k} ${n}`).join(', ') || '0',
      ]),
    },
    { kind: 'chart', caption: 'mAP per group with its 95% CI, per model.', spec: intervalsChart(b.models.flatMap((m) => b.groups.map((g) => ({ series: m.name, group: g, value: m.groups[g]!.mAP ?? NaN, lo: m.groups[g]!.ci.lo, hi: m.groups[g]!.ci.hi }))), 'mAP by group', 'mAP', { groups: b.groups }) },
  ];
  if (b.reference !== null) {
    const ref = b.models.filter((m) => m.toReference !== null).flatMap((m) => Object.entries(m.toReference!).map(([g, i]) => ({ series: m.name, group: g, value: i.estimate * 100, lo: i.lo * 100, hi: i.hi * 100 })));
    blocks.push({ kind: 'chart', caption: `Paired Δ against ${b.reference} (points), with its 95% CI.`, spec: intervalsChart(ref, `Δ vs ${b.reference}`, 'Δ mAP (points)', { zeroRule: true, groups: b.groups }) });
  }
  return htmlPage({ title: 'cft-bench leaderboard', lead: b.models.map((m) => `${m.name}: ${m.source}`), sections: [{ heading: 'Models', blocks }] }, TOOL);
}

export function diffHtml(d: PairedDiff, names: DiffNames): string {
  const gain = diffGainChart(d, names);
  const seeds = d.seeds.a > 1 || d.seeds.b > 1 ? `Seeds: ${d.seeds.a} (A) and ${d.seeds.b} (B); the intervals cover seed noise (seeds resampled within each side, jointly with the test data).` : 'One result per side: the intervals cover test-set noise only, not training-seed noise.';
  return htmlPage(
    {
      title: `cft-bench diff: ${names.b} − ${names.a}`,
      lead: [`Δ AP in points (B − A), paired bootstrap 95% CI over ${d.by === 'video' ? `${d.units} videos` : `${d.keyframes} keyframes`}, ${d.resamples} resamples (seed ${d.seed}). ${seeds}`],
      sections: [
        {
          heading: 'Groups',
          blocks: [
            { kind: 'table', columns: ['group', 'classes with GT', 'A mAP', 'B mAP', 'Δ points [95% CI]'], rows: d.groups.map((g) => [g.group, num(g.classesWithGt, 0), num(g.mapA), num(g.mapB), deltaCell(g.delta, 100, 2)]) },
            { kind: 'chart', caption: 'Δ mAP (points) per group with its 95% CI (dashed: no change).', spec: intervalsChart(d.groups.map((g) => ({ series: `${names.b} − ${names.a}`, group: g.group, value: g.delta.estimate * 100, lo: g.delta.lo * 100, hi: g.delta.hi * 100 })), 'Δ mAP by group', 'Δ mAP (points)', { zeroRule: true, groups: d.groups.map((g) => g.group) }) },
          ],
        },
        {
          heading: 'Per class',
          blocks: [
            ...(gain !== null ? [{ kind: 'chart' as const, caption: 'Per-class Δ AP against the class count.', spec: gain }] : []),
            {
              kind: 'table',
              columns: ['id', 'class', 'group', 'train count', 'GT', 'A AP', 'B AP', 'Δ points [95% CI]'],
              rows: d.classes.map((c) => [num(c.id, 0), c.name, c.group, num(c.trainCount, 0), num(c.numGt, 0), num(c.apA), num(c.apB), deltaCell(c.delta, 100, 2)]),
            },
          ],
        },
      ],
    },
    TOOL,
  );
}

export function evalHtml(doc: EvalResultDoc, title: string): string {
  const withTrain = doc.perClass.some((c) => c.trainCount !== null);
  const points = doc.perClass.filter((c) => c.ap !== null && (withTrain ? (c.trainCount ?? 0) : c.numGt) > 0).map((c) => ({ className: c.name, group: c.group, count: withTrain ? c.trainCount! : c.numGt, ap: c.ap! }));
  const count = (o: Record<string, number> | null) => (o === null ? [] : Object.entries(o).map(([k, n]) => [k, num(n, 0)]));
  return htmlPage(
    {
      title: `Frame-mAP@${doc.protocol.iouThreshold}: ${title}`,
      lead: [`mAP ${f(doc.mAP)}${doc.mAPRange ? ` (range over tie orders: ${f(doc.mAPRange[0])} – ${f(doc.mAPRange[1])})` : ''} · protocol ${doc.protocol.name} · grouping ${doc.grouping.rule}, counts from ${doc.grouping.countsSource}`],
      sections: [
        {
          heading: 'Groups',
          blocks: [
            ...(doc.grouping.note !== null ? [{ kind: 'text' as const, text: doc.grouping.note }] : []),
            { kind: 'table', columns: ['group', 'mAP', 'classes', 'classes with GT'], rows: [['overall', num(doc.mAP), num(doc.perClass.length, 0), num(doc.perClass.filter((c) => c.numGt > 0).length, 0)], ...Object.entries(doc.groups).map(([g, v]) => [g, num(v.mAP), num(v.classes.length, 0), num(v.classesWithGt, 0)])] },
          ],
        },
        {
          heading: 'Per class',
          blocks: [
            ...(points.length > 0 ? [{ kind: 'chart' as const, caption: 'Per-class AP against the class count.', spec: apVsCountChart(points, 'per-class AP', withTrain ? 'training instances of the class (log)' : 'GT instances of the class in the evaluated set (log)') }] : []),
            { kind: 'table', columns: ['id', 'class', 'group', 'train count', 'GT', 'detections', 'true positives', 'AP'], rows: doc.perClass.map((c) => [num(c.id, 0), c.name, c.group, num(c.trainCount, 0), num(c.numGt, 0), num(c.numDets, 0), num(c.numTp, 0), num(c.ap)]) },
          ],
        },
        {
          heading: 'Rows',
          blocks: [
            { kind: 'table', caption: 'Ground truth', columns: ['count', 'rows'], rows: count(doc.counts.gt) },
            { kind: 'table', caption: 'Predictions (rows read, scored, and why the others were dropped)', columns: ['count', 'rows'], rows: count(doc.counts.predictions) },
            { kind: 'table', caption: 'Inputs', columns: ['role', 'file', 'sha256'], rows: doc.inputs.map((i) => [i.role, i.path, i.sha256.slice(0, 16) + '…']) },
          ],
        },
      ],
    },
    TOOL,
  );
}
