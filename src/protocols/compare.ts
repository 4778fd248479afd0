/**
 * `compare`: protocols under identical data budgets, tuned fairly, reported with uncertainty.
 *
 *   1. jobs  = protocols × seeds × LR grid (each protocol the same grid; pretrain-finetune's
 *              grid is on its finetune LR, its pretraining LR fixed), run by the scheduler
 *   2. check = ledgers that must be equal are (else CompareError: no report)
 *   3. pick  = per protocol and seed, the LR with the best val frame-mAP
 *   4. score = test frame-mAP overall and per head/mid/tail group (tertiles of train counts),
 *              mean ± std over seeds with a 95% bootstrap CI over test keyframes; paired
 *              bootstrap of each protocol's difference to pretrain-finetune
 *
 * Output: a CompareDoc (plain, schema-versioned) for the report writers.
 */
import type { LocalisationDataset } from '../data/datasets.js';
import { assignGroups } from '../metrics/class-groups.js';
import { bootstrapMean, pairedBootstrap, rankMatches, type Interval, type RankedMatches } from '../metrics/bootstrap.js';
import { evaluateFiles } from '../metrics/evaluator.js';
import { getPreset } from '../metrics/presets.js';
import { numpyNanMean } from '../metrics/numpy-sum.js';
import { DEFAULT_BATCH, DEFAULT_BUDGET, scaleBudget, type BudgetMode } from './budget.js';
import { loadDatasets, protocolSourceHash, type JobResult, type JobSpec } from './job.js';
import { ledgerMismatches } from './ledger.js';
import { resolveProtocol, type Protocol } from './protocol.js';
import { runJobs, type SchedulerEvents } from './scheduler.js';

export const COMPARE_SCHEMA_VERSION = 1;
export const BASELINE_PROTOCOL = 'pretrain-finetune';
const GROUPS = ['overall', 'head', 'mid', 'tail'] as const;

export class CompareError extends Error {
  override name = 'CompareError';
}

/** What every job of a comparison shares (from JobSpec), plus the comparison's own settings. */
export interface CompareConfig extends Pick<JobSpec, 'pretrainLr' | 'budget' | 'batch' | 'sampler' | 'downstream' | 'upstream' | 'benchmarkSeed' | 'backend' | 'codeVersion'> {
  readonly protocols: readonly string[];
  readonly seeds: number;
  readonly lrGrid: readonly number[];
  readonly budgetMode: BudgetMode;
  readonly workers: number;
  readonly resamples: number;
  readonly quick: boolean;
}

export function defaultBudget(quick: boolean, scale: number, batch = DEFAULT_BATCH): { downstream: number; upstream: number } {
  // quick: a pipeline check (~1/10 of the default), not a claim
  const base = quick ? { downstream: 3_200, upstream: 6_400 } : DEFAULT_BUDGET;
  const s = scaleBudget({ downstream: base.downstream, upstream: base.upstream }, scale, batch);
  return { downstream: s['downstream']!, upstream: s['upstream']! };
}

type GroupScores = Record<(typeof GROUPS)[number], number>;

export interface Cell {
  readonly mean: number;
  readonly std: number | null;
  readonly ci: Interval | null;
}

export interface LeaderboardRow {
  readonly protocol: string;
  readonly description: string;
  readonly mAP: Cell;
  readonly head: Cell;
  readonly mid: Cell;
  readonly tail: Cell;
  readonly valMAP: number;
  readonly chosenLr: number[];
  readonly upstreamAccuracy: Record<string, number>;
  readonly examples: Record<string, number>;
  readonly steps: number;
  readonly seconds: number;
  readonly backend: string;
  readonly perSeed: { seed: number; lr: number; val: number; test: GroupScores }[];
}

export interface PairedComparison {
  readonly protocol: string;
  readonly baseline: string;
  readonly delta: Record<string, Interval>;
  readonly perSeed: { seed: number; delta: number }[];
}

export interface CompareDoc {
  readonly schemaVersion: number;
  readonly kind: 'compare';
  readonly claim: string;
  readonly config: CompareConfig;
  readonly groups: Record<string, { ids: number[]; names: string[] }>;
  readonly trainCounts: Record<string, number>;
  readonly ledgerCheck: { readonly mustMatch: string[]; readonly ok: true };
  readonly leaderboard: LeaderboardRow[];
  readonly paired: PairedComparison[];
  readonly perClass: { protocol: string; id: number; name: string; group: string; trainCount: number; ap: number | null; gainOverBaseline: number | null }[];
  readonly runs: { protocol: string; seed: number; lr: number; hash: string; valMAP: number; testMAP: number; selected: boolean; ledger: JobResult['ledger']; dir: string }[];
}

function cell(values: number[], ci: Interval | null): Cell {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : null;
  return { mean, std, ci };
}

/** Runs (or resumes) the comparison and builds its document. */
export async function runCompare(cfg: CompareConfig, cacheDir: string, events: SchedulerEvents = {}): Promise<CompareDoc> {
  const protocols: Protocol[] = [];
  for (const p of cfg.protocols) protocols.push(await resolveProtocol(p));
  const specs: JobSpec[] = [];
  for (const [pi, p] of protocols.entries()) {
    for (let seed = 0; seed < cfg.seeds; seed++) {
      for (const lr of cfg.lrGrid) {
        // equal-total: downstream-only spends the whole total on its only dataset
        const budget = cfg.budgetMode === 'equal-total' && p.upstream === 'none' ? { downstream: cfg.budget.downstream + cfg.budget.upstream, upstream: 0 } : cfg.budget;
        specs.push({
          protocol: cfg.protocols[pi]!,
          protocolSource: protocolSourceHash(cfg.protocols[pi]!),
          seed,
          lr,
          pretrainLr: cfg.pretrainLr,
          budget,
          batch: cfg.batch,
          sampler: cfg.sampler,
          downstream: cfg.downstream,
          upstream: cfg.upstream,
          benchmarkSeed: cfg.benchmarkSeed,
          backend: cfg.backend,
          evalSplits: ['val', 'test'],
          codeVersion: cfg.codeVersion,
        });
      }
    }
  }
  const results = await runJobs(specs, cacheDir, cfg.workers, events);
  const byKey = (p: string, seed: number, lr: number) => results[specs.findIndex((s) => s.protocol === p && s.seed === seed && s.lr === lr)]!;

  // 2. ledgers: same examples of every dataset two protocols share (equal), or same totals (equal-total)
  const mustMatch = cfg.budgetMode === 'equal' ? [cfg.downstream, ...cfg.upstream] : [];
  for (let seed = 0; seed < cfg.seeds; seed++) {
    for (const lr of cfg.lrGrid) {
      const runs = cfg.protocols.map((p, i) => ({ name: protocols[i]!.name, ledger: byKey(p, seed, lr).ledger }));
      const single = runs.filter((_, i) => protocols[i]!.upstream !== 'all');
      // equal: the same examples of each dataset; equal-total: only the same total (checked below)
      const problems = cfg.budgetMode === 'equal' ? [...ledgerMismatches(runs, [cfg.downstream]), ...ledgerMismatches(single, mustMatch.filter((d) => d !== cfg.downstream))] : [];
      const totalOf = (r: (typeof runs)[number], ds: string[]) => ds.reduce((s, d) => s + (r.ledger.totals[d]?.examples ?? 0), 0);
      const withUp = runs.filter((_, i) => protocols[i]!.upstream !== 'none');
      const upTotals = new Set(withUp.map((r) => totalOf(r, [...cfg.upstream])));
      if (cfg.budgetMode === 'equal' && upTotals.size > 1) problems.push(`total upstream examples differ: ${withUp.map((r) => `${r.name} ${totalOf(r, [...cfg.upstream])}`).join(', ')}`);
      if (cfg.budgetMode === 'equal-total') {
        const all = new Set(runs.map((r) => totalOf(r, [cfg.downstream, ...cfg.upstream])));
        if (all.size > 1) problems.push(`total examples differ: ${runs.map((r) => `${r.name} ${totalOf(r, [cfg.downstream, ...cfg.upstream])}`).join(', ')}`);
      }
      if (problems.length > 0) throw new CompareError(`budget ledgers that must be equal are not (seed ${seed}, lr ${lr}):\n  ${problems.join('\n  ')}`);
    }
  }

  // groups: tertiles of the downstream train counts
  const down = loadDatasets({ downstream: cfg.downstream, upstream: [], benchmarkSeed: cfg.benchmarkSeed })[cfg.downstream] as LocalisationDataset;
  const counts = down.trainCounts();
  const groupOf = assignGroups(down.classes, counts, { kind: 'tertiles' });
  const groupIds: Record<string, number[]> = { overall: down.classes.map((c) => c.id) };
  for (const g of ['head', 'mid', 'tail']) groupIds[g] = down.classes.filter((c) => groupOf.get(c.id) === g).map((c) => c.id);
  const name = new Map(down.classes.map((c) => [c.id, c.name]));

  // 3. LR selection on val; 4. test scores
  const selected = new Map<string, JobResult[]>();
  const ranked = new Map<string, RankedMatches[]>();
  for (const [i, p] of protocols.entries()) {
    const chosen: JobResult[] = [];
    for (let seed = 0; seed < cfg.seeds; seed++) {
      const cands = cfg.lrGrid.map((lr) => byKey(cfg.protocols[i]!, seed, lr));
      chosen.push(cands.reduce((best, r) => (r.scores.val!.mAP > best.scores.val!.mAP ? r : best)));
    }
    selected.set(p.name, chosen);
    const evs: RankedMatches[] = [];
    for (const r of chosen) {
      const f = r.scores.test!.files;
      const run = await evaluateFiles(f, getPreset('activitynet-2019'), { workers: 1 });
      evs.push(rankMatches(run.evaluation, groupIds['overall']!));
    }
    ranked.set(p.name, evs);
  }
  const groupScores = (r: JobResult): GroupScores => {
    const ap = new Map(r.scores.test!.perClass.map((c) => [c.id, c.ap ?? NaN]));
    return Object.fromEntries(GROUPS.map((g) => [g, numpyNanMean(groupIds[g]!.map((id) => ap.get(id)!))])) as GroupScores;
  };
  const leaderboard: LeaderboardRow[] = protocols.map((p, i) => {
    const runs = selected.get(p.name)!;
    const scores = runs.map(groupScores);
    const ci = (g: (typeof GROUPS)[number]) => (cfg.resamples > 0 ? bootstrapMean(ranked.get(p.name)!, groupIds[g]!, cfg.resamples, 17 + i) : null);
    const examples: Record<string, number> = {};
    for (const [d, t] of Object.entries(runs[0]!.ledger.totals)) examples[d] = t.examples;
    const acc: Record<string, number> = {};
    for (const u of Object.keys(runs[0]!.upstreamAccuracy)) acc[u] = runs.reduce((s, r) => s + r.upstreamAccuracy[u]!, 0) / runs.length;
    return {
      protocol: p.name,
      description: p.description,
      mAP: cell(scores.map((s) => s.overall), ci('overall')),
      head: cell(scores.map((s) => s.head), ci('head')),
      mid: cell(scores.map((s) => s.mid), ci('mid')),
      tail: cell(scores.map((s) => s.tail), ci('tail')),
      valMAP: runs.reduce((s, r) => s + r.scores.val!.mAP, 0) / runs.length,
      chosenLr: runs.map((r) => r.spec.lr),
      upstreamAccuracy: acc,
      examples,
      steps: runs[0]!.steps,
      seconds: runs.reduce((s, r) => s + r.seconds, 0) / runs.length,
      backend: runs[0]!.backend,
      perSeed: runs.map((r, seed) => ({ seed, lr: r.spec.lr, val: r.scores.val!.mAP, test: scores[seed]! })),
    };
  });
  leaderboard.sort((a, b) => b.mAP.mean - a.mAP.mean);

  const paired: PairedComparison[] = [];
  const baseline = protocols.find((p) => p.name === BASELINE_PROTOCOL);
  if (baseline !== undefined) {
    for (const p of protocols.filter((q) => q !== baseline)) {
      const a = ranked.get(p.name)!;
      const b = ranked.get(baseline.name)!;
      const delta = pairedBootstrap(a.map((x, s) => ({ a: x, b: b[s]! })), groupIds, Math.max(1, cfg.resamples), 101);
      const sa = selected.get(p.name)!.map(groupScores);
      const sb = selected.get(baseline.name)!.map(groupScores);
      paired.push({ protocol: p.name, baseline: baseline.name, delta, perSeed: sa.map((s, seed) => ({ seed, delta: s.overall - sb[seed]!.overall })) });
    }
  }

  const perClass: CompareDoc['perClass'] = [];
  const meanAp = (p: string, id: number) => {
    const v = selected.get(p)!.map((r) => r.scores.test!.perClass.find((c) => c.id === id)!.ap ?? NaN);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Number.isNaN(m) ? null : m;
  };
  for (const p of protocols) {
    for (const c of down.classes) {
      const ap = meanAp(p.name, c.id);
      const base = baseline ? meanAp(baseline.name, c.id) : null;
      perClass.push({ protocol: p.name, id: c.id, name: c.name, group: groupOf.get(c.id)!, trainCount: counts.get(c.id)!, ap, gainOverBaseline: ap !== null && base !== null ? ap - base : null });
    }
  }

  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: 'compare',
    claim: cfg.quick ? 'pipeline check, no claim (--quick: budgets too small for a reliable ordering)' : `equal data budgets (${cfg.budgetMode}); LR per protocol selected on val from the same grid; scores on test`,
    config: cfg,
    groups: Object.fromEntries(Object.entries(groupIds).map(([g, ids]) => [g, { ids, names: ids.map((id) => name.get(id)!) }])),
    trainCounts: Object.fromEntries([...counts].map(([id, n]) => [name.get(id)!, n])),
    ledgerCheck: { mustMatch: cfg.budgetMode === 'equal' ? [cfg.downstream, ...cfg.upstream] : ['total examples'], ok: true },
    leaderboard,
    paired,
    perClass,
    runs: specs.map((s, i) => {
      const r = results[i]!;
      const chosen = selected.get(protocols[cfg.protocols.indexOf(s.protocol)]!.name)!.includes(r);
      return { protocol: r.protocol, seed: s.seed, lr: s.lr, hash: r.hash, valMAP: r.scores.val!.mAP, testMAP: r.scores.test!.mAP, selected: chosen, ledger: r.ledger, dir: r.dir };
    }),
  };
}
