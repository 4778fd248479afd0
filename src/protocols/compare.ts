/**
 * `compare`: protocols under identical data budgets, tuned fairly, reported with uncertainty.
 *
 *   1. jobs  = protocols × seeds × LR grid (each protocol the same grid; pretrain-finetune's
 *              grid is on its finetune LR, its pretraining LR fixed), run by the scheduler
 *   2. check = ledgers that must be equal are (else CompareError: no report)
 *   3. pick  = per protocol, the LR with the best mean val frame-mAP over seeds; if that is an
 *              edge of the grid, the grid (for every protocol) is extended ×2 past it and the
 *              new runs added, up to `lrExtend` times; still on an edge → CompareError.
 *              With `tunedLr` (an earlier search of the same setting, tuned-lr.ts) each
 *              protocol runs at its tuned LR only, and the report says where it came from
 *   4. score = test frame-mAP overall and per head/mid/tail group (tertiles of train counts),
 *              mean ± std over seeds with a 95% bootstrap CI over test keyframes; paired
 *              bootstrap of each protocol's difference to pretrain-finetune
 *   5. guard = plain-words warnings when a transfer protocol scores below downstream-only, or
 *              a later phase starts at losses far above a from-scratch start ("baseline may be
 *              broken"); applied to plug-in protocols alike
 *
 * Output: a CompareDoc (plain, schema-versioned) for the report writers.
 */
import type { LocalisationDataset } from '../data/datasets.js';
import { InputError } from '../data/input-error.js';
import type { ExternalJobResult } from '../trainers/external-trainer.js';
import { assignGroups } from '../metrics/class-groups.js';
import { bootstrapMean, pairedBootstrap, rankMatches, type Interval, type RankedMatches } from '../metrics/bootstrap.js';
import { evaluateFiles } from '../metrics/evaluator.js';
import { getPreset } from '../metrics/presets.js';
import { numpyNanMean } from '../metrics/numpy-sum.js';
import { jobContext, jobHash, loadDatasets, protocolSourceHash, readJobResult, type JobResult, type JobSpec } from './job.js';
import { shareOf, type Shard } from './shard.js';
import { ledgerMismatches } from './ledger.js';
import { checkUniqueNames, resolveProtocol, TRAINING_PRACTICE, type Phase, type Protocol, type ProtocolContext } from './protocol.js';
import { runJobs, type SchedulerEvents } from './scheduler.js';
import { tunedLrDoc, type TunedLrDoc } from './tuned-lr.js';
import type { CompareConfig } from './compare-config.js';
import { dirname, join } from 'node:path';

export const COMPARE_SCHEMA_VERSION = 1;
export const BASELINE_PROTOCOL = 'pretrain-finetune';
/** Transfer baselines every other protocol is paired with, when they are in the comparison. */
export const PAIRED_BASELINES = [BASELINE_PROTOCOL, 'linear-probe-finetune'] as const;
/** The default LR grid, the same for every protocol: below and above the prototype's 0.003. */
export const DEFAULT_LR_GRID = '0.0015,0.003,0.006';
const GROUPS = ['overall', 'head', 'mid', 'tail'] as const;

export class CompareError extends Error {
  override name = 'CompareError';
}

/** What every job of a comparison shares (from JobSpec), plus the comparison's own settings. */
export type { CompareConfig, TunedLrs } from './compare-config.js';

/** How much of the matrix this process runs: all of it, a shard's share, or none (merge the cache). */
export type CompareMode = { readonly kind: 'all' } | { readonly kind: 'shard'; readonly shard: Shard } | { readonly kind: 'merge' };

/** A shard's share is done (or a merge was asked for) but other runs of the matrix are not cached yet. */
export class MatrixIncomplete extends CompareError {
  constructor(
    readonly missing: readonly JobSpec[],
    readonly total: number,
  ) {
    const some = missing.slice(0, 5).map((s) => `${s.protocol} seed ${s.seed} lr ${s.lr}`);
    super(`${missing.length} of ${total} runs are not in the cache yet (${some.join('; ')}${missing.length > 5 ? '; …' : ''})`);
  }
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
  /** Test prediction rows of the chosen runs (summed over seeds): read, scored, dropped by reason. */
  readonly testRows?: { rowsRead: number; scored: number; dropped: Record<string, number> };
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
  /** The LR grid every protocol was run on, after any extension past an edge (with tuned LRs: the grid they were tuned on). */
  readonly lrGrid: readonly number[];
  /** Where the LRs came from, in plain words. */
  readonly lrSource: string;
  /** This comparison's LR search, for reuse (null: LRs were not searched here, or one LR only). */
  readonly tuning: TunedLrDoc | null;
  /** The training practice every protocol got (head init, optimizer, schedule, LR selection): the built-in trainer's, what an external trainer declared, or null (not declared). */
  readonly practice: Readonly<Record<string, string | number>> | null;
  /** Whose practice that is, in words. */
  readonly practiceSource: string;
  /** Sanity-guard warnings in plain words (empty: none fired). */
  readonly sanity: string[];
  readonly groups: Record<string, { ids: number[]; names: string[] }>;
  readonly trainCounts: Record<string, number>;
  readonly ledgerCheck: { readonly mustMatch: string[]; readonly ok: true };
  readonly leaderboard: LeaderboardRow[];
  readonly paired: PairedComparison[];
  readonly perClass: { protocol: string; id: number; name: string; group: string; trainCount: number; ap: number | null; gainOverBaseline: number | null }[];
  /** Runs whose loss stopped being finite (where), in matrix order: results, not failures. */
  readonly diverged: { protocol: string; seed: number; lr: number; phase: string; step: number; loss: string }[];
  /** Protocols with no score (diverged at every LR for some seed): the comparison is incomplete (exit 1). */
  readonly unscored: string[];
  /** Protocols whose chosen LR is still an edge of the grid after every extension allowed (exit 1; the report flags them). */
  readonly lrEdge: string[];
  readonly runs: {
    protocol: string;
    seed: number;
    lr: number;
    hash: string;
    valMAP: number | null;
    testMAP: number | null;
    selected: boolean;
    ledger: JobResult['ledger'];
    /** Phase → step kind → training-loss curve (binned means). */
    lossCurve: JobResult['lossCurve'];
    /** Test prediction rows read, scored and dropped by reason (null: not scored). */
    testRows: NonNullable<JobResult['scores']['test']>['rows'] | null;
    dir: string;
  }[];
}

function cell(values: number[], ci: Interval | null): Cell {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : null;
  return { mean, std, ci };
}

/** The job of protocol `pi` of the comparison at one seed and LR. */
function compareJobSpec(cfg: CompareConfig, p: Protocol, pi: number, seed: number, lr: number): JobSpec {
  // equal-total: downstream-only spends the whole total on its only dataset
  const budget = cfg.budgetMode === 'equal-total' && p.upstream === 'none' ? { downstream: cfg.budget.downstream + cfg.budget.upstream, upstream: 0 } : cfg.budget;
  return {
    protocol: cfg.protocols[pi]!,
    protocolSource: protocolSourceHash(cfg.protocols[pi]!),
    seed,
    lr,
    pretrainLr: cfg.pretrainLr,
    budget,
    ...(cfg.upstreamBudgets !== undefined ? { upstreamBudgets: cfg.upstreamBudgets } : {}),
    batch: cfg.batch,
    sampler: cfg.sampler,
    downstream: cfg.downstream,
    upstream: cfg.upstream,
    ...(cfg.datasets !== undefined ? { datasets: cfg.datasets } : {}),
    benchmarkSeed: cfg.benchmarkSeed,
    backend: cfg.backend,
    evalSplits: ['val', 'test'],
    codeVersion: cfg.codeVersion,
    ...(cfg.trainer !== undefined ? { trainer: cfg.trainer } : {}),
  };
}

/**
 * The comparison's protocols, loaded and checked before anything trains: each has its own
 * name (a plug-in named like a built-in would replace its row), a multi-upstream protocol has
 * several upstream sets, and every protocol plans valid phases (protocol.ts checkedPhases).
 */
export async function checkProtocols(cfg: CompareConfig): Promise<Protocol[]> {
  const protocols: Protocol[] = [];
  for (const p of cfg.protocols) protocols.push(await resolveProtocol(p));
  checkUniqueNames(protocols, cfg.protocols);
  protocols.forEach((p, pi) => {
    if (p.upstream === 'all' && cfg.upstream.length < 2) throw new InputError(cfg.protocols[pi]!, null, `protocol ${p.name} co-finetunes several upstream sets; this comparison has ${cfg.upstream.length}`);
    const spec = compareJobSpec(cfg, p, pi, 0, cfg.lrGrid[0]!);
    p.phases(jobContext(spec, p));
  });
  return protocols;
}

/** Prediction rows of several runs, summed (reason by reason). */
function sumRows(rows: readonly (NonNullable<JobResult['scores']['test']>['rows'] | undefined)[]): NonNullable<LeaderboardRow['testRows']> {
  const out = { rowsRead: 0, scored: 0, dropped: {} as Record<string, number> };
  for (const r of rows) {
    if (r === undefined) continue;
    out.rowsRead += r.rowsRead;
    out.scored += r.scored;
    for (const [k, n] of Object.entries(r.dropped)) out.dropped[k] = (out.dropped[k] ?? 0) + n;
  }
  return out;
}

/** The protocol context of one run of the comparison (protocol `pi`, at `seed` and `lr`). */
export function compareContext(cfg: CompareConfig, p: Protocol, pi: number, seed: number, lr: number): ProtocolContext {
  return jobContext(compareJobSpec(cfg, p, pi, seed, lr), p);
}

/** Every protocol's phases at the first LR of the grid (seed 0): what `compare --plan` shows. */
export async function plannedPhases(cfg: CompareConfig): Promise<{ protocol: string; phases: Phase[] }[]> {
  const protocols = await checkProtocols(cfg);
  return protocols.map((p, pi) => ({ protocol: p.name, phases: p.phases(jobContext(compareJobSpec(cfg, p, pi, 0, cfg.lrGrid[0]!), p)) }));
}

/** Runs (or resumes) the comparison and builds its document. */
export async function runCompare(cfg: CompareConfig, cacheDir: string, events: SchedulerEvents = {}, command = 'cft-bench compare', mode: CompareMode = { kind: 'all' }): Promise<CompareDoc> {
  const protocols = await checkProtocols(cfg);
  const tuned = cfg.tunedLr;
  const missing = protocols.filter((p) => tuned !== undefined && !(tuned.lrs[p.name]! > 0)).map((p) => p.name);
  if (missing.length > 0) throw new CompareError(`no tuned LR for ${missing.join(', ')} (from ${tuned!.source})`);
  const specFor = (pi: number, seed: number, lr: number): JobSpec => compareJobSpec(cfg, protocols[pi]!, pi, seed, lr);
  const checkpointRoot = join(dirname(cacheDir), 'pretrain');
  // a shard runs its share, then goes on (LR selection, grid extension) only once every run is cached
  const runMatrix = async (all: JobSpec[]): Promise<JobResult[]> => {
    const run = { ...(cfg.gpus !== undefined ? { gpus: cfg.gpus } : {}), ...(cfg.freshBefore !== undefined ? { freshBefore: cfg.freshBefore } : {}) };
    if (mode.kind === 'shard') await runJobs(await shareOf(all, mode.shard), cacheDir, cfg.workers, events, checkpointRoot, run);
    if (mode.kind !== 'all') {
      const missing = all.filter((s) => readJobResult(join(cacheDir, jobHash(s))).kind !== 'ok');
      if (missing.length > 0) throw new MatrixIncomplete(missing, all.length);
    }
    return runJobs(all, cacheDir, cfg.workers, events, checkpointRoot, run);
  };
  let grid = [...new Set(cfg.lrGrid)].sort((a, b) => a - b);
  let specs: JobSpec[] = [];
  let results: JobResult[] = [];
  let chosenLr = new Map<string, number>();
  let lrEdge: string[] = []; // protocols still on an edge after every extension allowed
  // a diverged run has no val mAP: its LR is not eligible (-Infinity, never chosen over a trained one)
  const meanVal = (pi: number, lr: number) => results.filter((_, i) => specs[i]!.protocol === cfg.protocols[pi] && specs[i]!.lr === lr).reduce((a, r) => a + (r.diverged === null ? r.scores.val!.mAP : -Infinity), 0) / cfg.seeds;
  for (let extensions = 0; ; extensions++) {
    const lrsOf = (pi: number) => (tuned !== undefined ? [tuned.lrs[protocols[pi]!.name]!] : grid);
    specs = protocols.flatMap((_, pi) => Array.from({ length: cfg.seeds }, (_, seed) => lrsOf(pi).map((lr) => specFor(pi, seed, lr))).flat());
    results = await runMatrix(specs);
    // 3. one LR per protocol: best mean val mAP over seeds (ties: the lower LR)
    chosenLr = new Map(protocols.map((p, pi) => [p.name, lrsOf(pi).reduce((best, lr) => (meanVal(pi, lr) > meanVal(pi, best) ? lr : best))]));
    if (tuned !== undefined || grid.length < 2) break; // tuned, or one LR: nothing selected, nothing to extend (reported as such)
    const trained = [...chosenLr].filter(([p, lr]) => Number.isFinite(meanVal(protocols.findIndex((q) => q.name === p), lr)));
    const low = trained.filter(([, lr]) => lr === grid[0]).map(([p]) => p);
    const high = trained.filter(([, lr]) => lr === grid[grid.length - 1]).map(([p]) => p);
    if (low.length === 0 && high.length === 0) break;
    if (extensions >= cfg.lrExtend) {
      // the report is still written (hours of results), its LR choices flagged; compare exits 1
      lrEdge = [...low.map((p) => `${p} chose ${grid[0]}, the grid's lower edge`), ...high.map((p) => `${p} chose ${grid[grid.length - 1]}, the grid's upper edge`)];
      break;
    }
    if (low.length > 0) grid = [grid[0]! / 2, ...grid];
    if (high.length > 0) grid = [...grid, grid[grid.length - 1]! * 2];
    events.onExtend?.(grid, [...low, ...high]);
  }
  const byKey = (p: string, seed: number, lr: number) => results[specs.findIndex((s) => s.protocol === p && s.seed === seed && s.lr === lr)]!;

  // 2. ledgers: same examples of every dataset two protocols share (equal), or same totals (equal-total)
  const mustMatch = cfg.budgetMode === 'equal' ? [cfg.downstream, ...cfg.upstream] : [];
  for (let seed = 0; seed < cfg.seeds; seed++) {
    // (ledgers do not depend on the LR; with tuned LRs each protocol's own run is checked)
    for (const lr of tuned !== undefined ? [null] : grid) {
      const runs = cfg.protocols.map((p, i) => ({ name: protocols[i]!.name, ledger: byKey(p, seed, lr ?? chosenLr.get(protocols[i]!.name)!).ledger }));
      const single = runs.filter((_, i) => protocols[i]!.upstream !== 'all');
      // equal: the same examples of each dataset; equal-total: only the same total (checked below)
      // per-set budgets: every protocol that uses a dataset sees the same examples of it; else the
      // multi-upstream protocol splits the upstream total, so only the total is checked for it
      const problems =
        cfg.budgetMode !== 'equal' ? [] : cfg.upstreamBudgets !== undefined ? ledgerMismatches(runs, mustMatch) : [...ledgerMismatches(runs, [cfg.downstream]), ...ledgerMismatches(single, mustMatch.filter((d) => d !== cfg.downstream))];
      const totalOf = (r: (typeof runs)[number], ds: string[]) => ds.reduce((s, d) => s + (r.ledger.totals[d]?.examples ?? 0), 0);
      const withUp = runs.filter((_, i) => protocols[i]!.upstream !== 'none');
      const upTotals = new Set(withUp.map((r) => totalOf(r, [...cfg.upstream])));
      if (cfg.budgetMode === 'equal' && cfg.upstreamBudgets === undefined && upTotals.size > 1) problems.push(`total upstream examples differ: ${withUp.map((r) => `${r.name} ${totalOf(r, [...cfg.upstream])}`).join(', ')}`);
      if (cfg.budgetMode === 'equal-total') {
        const all = new Set(runs.map((r) => totalOf(r, [cfg.downstream, ...cfg.upstream])));
        if (all.size > 1) problems.push(`total examples differ: ${runs.map((r) => `${r.name} ${totalOf(r, [cfg.downstream, ...cfg.upstream])}`).join(', ')}`);
      }
      if (problems.length > 0) throw new CompareError(`budget ledgers that must be equal are not (seed ${seed}, lr ${lr ?? 'tuned'}):\n  ${problems.join('\n  ')}`);
    }
  }

  // groups: tertiles of the downstream train counts
  const down = loadDatasets({ downstream: cfg.downstream, upstream: [], benchmarkSeed: cfg.benchmarkSeed, ...(cfg.datasets !== undefined ? { datasets: cfg.datasets } : {}) })[cfg.downstream] as LocalisationDataset;
  const counts = down.trainCounts();
  const groupOf = assignGroups(down.classes, counts, { kind: 'tertiles' });
  const groupIds: Record<string, number[]> = { overall: down.classes.map((c) => c.id) };
  for (const g of ['head', 'mid', 'tail']) groupIds[g] = down.classes.filter((c) => groupOf.get(c.id) === g).map((c) => c.id);
  const name = new Map(down.classes.map((c) => [c.id, c.name]));

  // a protocol that diverged at every LR (for some seed) has nothing to score: reported, not ranked
  const unscored = protocols.filter((p, pi) => !Number.isFinite(meanVal(pi, chosenLr.get(p.name)!)));
  const scored = protocols.filter((p) => !unscored.includes(p));
  const diverged = specs.flatMap((s, i) => (results[i]!.diverged === null ? [] : [{ protocol: results[i]!.protocol, seed: s.seed, lr: s.lr, ...results[i]!.diverged! }]));

  // 3. LR selection on val; 4. test scores
  const selected = new Map<string, JobResult[]>();
  const ranked = new Map<string, RankedMatches[]>();
  for (const p of scored) {
    const i = protocols.indexOf(p);
    const chosen = Array.from({ length: cfg.seeds }, (_, seed) => byKey(cfg.protocols[i]!, seed, chosenLr.get(p.name)!));
    selected.set(p.name, chosen);
    const evs: RankedMatches[] = [];
    for (const r of chosen) {
      const f = r.scores.test!.files;
      const run = await evaluateFiles(f, getPreset('activitynet-2019'), { workers: 1 });
      evs.push(rankMatches(run.evaluation, groupIds['overall']!, run.ranked));
    }
    ranked.set(p.name, evs);
  }
  const groupScores = (r: JobResult): GroupScores => {
    const ap = new Map(r.scores.test!.perClass.map((c) => [c.id, c.ap ?? NaN]));
    return Object.fromEntries(GROUPS.map((g) => [g, numpyNanMean(groupIds[g]!.map((id) => ap.get(id)!))])) as GroupScores;
  };
  const leaderboard: LeaderboardRow[] = scored.map((p) => {
    const i = protocols.indexOf(p);
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
      testRows: sumRows(runs.map((r) => r.scores.test?.rows)),
    };
  });
  leaderboard.sort((a, b) => b.mAP.mean - a.mAP.mean);

  const paired: PairedComparison[] = [];
  const baseline = scored.find((p) => p.name === BASELINE_PROTOCOL);
  for (const base of scored.filter((p) => (PAIRED_BASELINES as readonly string[]).includes(p.name))) {
    for (const p of scored.filter((q) => q !== base)) {
      const a = ranked.get(p.name)!;
      const b = ranked.get(base.name)!;
      const delta = pairedBootstrap(a.map((x, s) => ({ a: x, b: b[s]! })), groupIds, Math.max(1, cfg.resamples), 101); // the same resamples for every pair
      const sa = selected.get(p.name)!.map(groupScores);
      const sb = selected.get(base.name)!.map(groupScores);
      paired.push({ protocol: p.name, baseline: base.name, delta, perSeed: sa.map((s, seed) => ({ seed, delta: s.overall - sb[seed]!.overall })) });
    }
  }

  const perClass: CompareDoc['perClass'] = [];
  const meanAp = (p: string, id: number) => {
    const v = selected.get(p)!.map((r) => r.scores.test!.perClass.find((c) => c.id === id)!.ap ?? NaN);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Number.isNaN(m) ? null : m;
  };
  for (const p of scored) {
    for (const c of down.classes) {
      const ap = meanAp(p.name, c.id);
      const base = baseline ? meanAp(baseline.name, c.id) : null;
      perClass.push({ protocol: p.name, id: c.id, name: c.name, group: groupOf.get(c.id)!, trainCount: counts.get(c.id)!, ap, gainOverBaseline: ap !== null && base !== null ? ap - base : null });
    }
  }

  const sanity = [
    ...(lrEdge.length > 0 ? [`LR grid too narrow (${grid.join(', ')}, after ${cfg.lrExtend} extension(s)): ${lrEdge.join('; ')}. Their best LR may lie outside the grid: widen --lr-grid or allow more --lr-extend before reading these rows.`] : []),
    ...unscored.map((p) => `${p.name} diverged (loss not finite) at every LR tried for at least one seed: it has no score and is not ranked — see the diverged runs.`),
    ...sanityWarnings(scored, leaderboard, selected),
  ];
  const lrSource =
    tuned !== undefined
      ? `one LR per protocol, tuned on val by an earlier search of this setting (${tuned.source}: grid ${tuned.grid.join(', ')}, ${tuned.seeds} seed(s), \`${tuned.command}\`)`
      : grid.length > 1
        ? 'one LR per protocol selected on val from the same grid'
        : 'one LR for all (not tuned)';
  const tuning = tuned === undefined && grid.length > 1 && lrEdge.length === 0 ? tunedLrDoc(cfg, command, grid, chosenLr, (p, lr) => meanVal(protocols.findIndex((q) => q.name === p), lr)) : null;
  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: 'compare',
    claim: cfg.quick
      ? 'pipeline check, no claim (--quick: budgets too small for a reliable ordering)'
      : `equal data budgets (${cfg.budgetMode}); ${lrSource}; scores on test`,
    config: cfg,
    lrGrid: tuned !== undefined ? tuned.grid : grid,
    lrSource,
    tuning,
    ...practiceOf(cfg, results),
    sanity,
    groups: Object.fromEntries(Object.entries(groupIds).map(([g, ids]) => [g, { ids, names: ids.map((id) => name.get(id)!) }])),
    trainCounts: Object.fromEntries([...counts].map(([id, n]) => [name.get(id)!, n])),
    ledgerCheck: { mustMatch: cfg.budgetMode === 'equal' ? [cfg.downstream, ...cfg.upstream] : ['total examples'], ok: true },
    leaderboard,
    paired,
    perClass,
    diverged,
    unscored: unscored.map((p) => p.name),
    lrEdge,
    runs: specs.map((s, i) => {
      const r = results[i]!;
      const chosen = selected.get(protocols[cfg.protocols.indexOf(s.protocol)]!.name)?.some((x) => x.hash === r.hash) ?? false;
      return { protocol: r.protocol, seed: s.seed, lr: s.lr, hash: r.hash, valMAP: r.scores.val?.mAP ?? null, testMAP: r.scores.test?.mAP ?? null, selected: chosen, ledger: r.ledger, lossCurve: r.lossCurve ?? {}, testRows: r.scores.test?.rows ?? null, dir: r.dir };
    }),
  };
}

/**
 * The practice a report may state: the built-in trainer's own, or — for an external trainer —
 * only what that trainer declared in its report (never ours), with LR selection, which is ours.
 */
function practiceOf(cfg: CompareConfig, results: readonly JobResult[]): Pick<CompareDoc, 'practice' | 'practiceSource'> {
  if (cfg.trainer === undefined) return { practice: TRAINING_PRACTICE, practiceSource: 'the built-in trainer; every protocol alike' };
  const t = (results.find((r) => (r as ExternalJobResult).trainer !== undefined) as ExternalJobResult | undefined)?.trainer;
  const who = t !== undefined ? `${t.name} ${t.version}` : `\`${cfg.trainer.command}\``;
  if (t?.practice == null) return { practice: null, practiceSource: `not declared by the trainer ${who}` };
  return { practice: { ...t.practice, lrSelection: TRAINING_PRACTICE.lrSelection }, practiceSource: `as declared by the trainer ${who}; LR selection by cft-bench` };
}

/** A phase's first losses above this multiple of a from-scratch start fire the guard. */
export const FIRST_LOSS_RATIO = 3;

/**
 * The sanity guard: a claim is only as good as its baseline, so say in plain words when a
 * transfer protocol looks broken — it scores below downstream-only on test, or one of its later
 * phases starts at losses far above a from-scratch start on the same dataset (the median first
 * loss of the runs whose first phase trains it).
 */
export function sanityWarnings(protocols: readonly Protocol[], board: readonly LeaderboardRow[], selected: ReadonlyMap<string, JobResult[]>): string[] {
  const out: string[] = [];
  const ds = board.find((r) => r.protocol === 'downstream-only');
  for (const r of board) {
    const p = protocols.find((q) => q.name === r.protocol)!;
    if (ds !== undefined && p.upstream !== 'none' && r.mAP.mean < ds.mAP.mean) {
      out.push(`${r.protocol} scores below downstream-only (test mAP ${r.mAP.mean.toFixed(4)} vs ${ds.mAP.mean.toFixed(4)}): baseline may be broken — upstream data that only hurts is a finding to check, not to assume.`);
    }
  }
  const scratch = new Map<string, number[]>();
  for (const runs of selected.values()) {
    for (const run of runs) {
      const first = run.ledger.phases[0];
      if (first === undefined) continue;
      for (const [d, loss] of Object.entries(run.firstLoss[first.name] ?? {})) scratch.set(d, [...(scratch.get(d) ?? []), loss]);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;
  for (const [name, runs] of selected) {
    const flagged = new Set<string>();
    for (const run of runs) {
      for (const phase of run.ledger.phases.slice(1)) {
        for (const [d, loss] of Object.entries(run.firstLoss[phase.name] ?? {})) {
          const ref = scratch.get(d);
          if (ref === undefined || flagged.has(`${phase.name}/${d}`) || !(loss > FIRST_LOSS_RATIO * median(ref))) continue;
          flagged.add(`${phase.name}/${d}`);
          out.push(`${name}: phase '${phase.name}' starts at loss ${loss.toFixed(2)} on ${d} (seed ${run.spec.seed}), over ${FIRST_LOSS_RATIO}× a from-scratch start (${median(ref).toFixed(2)}): baseline may be broken (head init, feature scale, optimizer state?).`);
        }
      }
    }
  }
  return out;
}
