/**
 * `cft-bench compare` (protocols under identical data budgets → leaderboard, paired
 * comparison, per-class gains plot) and `cft-bench leaderboard` (merge compare results).
 */
import { existsSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { videoUnits } from '../../metrics/bootstrap.js';
import { rankModels } from '../../metrics/model-ranking.js';
import { modelBoardCsv, modelBoardMarkdown, type ModelBoard } from '../../reports/model-leaderboard.js';
import { expandResultPaths, incomparable, readPairedSide } from '../../reports/paired-inputs.js';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkProtocols, compareContext, CompareError, DEFAULT_LR_GRID, MatrixIncomplete, plannedPhases, runCompare, type CompareConfig, type CompareDoc, type CompareMode, type TunedLrs } from '../../protocols/compare.js';
import { parseShard } from '../../protocols/shard.js';
import { BUILTIN_PROTOCOLS, resolveProtocol, type Phase } from '../../protocols/protocol.js';
import { manifestSetting } from '../manifest-setting.js';
import { EMBEDDED_MANIFEST } from '../../data/manifest.js';
import { readTunedLr, tunedLrsFor } from '../../protocols/tuned-lr.js';
import type { BudgetMode } from '../../protocols/budget.js';
import { InputError } from '../../data/input-error.js';
import { jobSteps, RunsFailed } from '../../protocols/scheduler.js';
import type { BackendName } from '../../trainers/backend.js';
import { checkReplaceable, tempTag, writeReportDir, writeReportFiles } from '../../reports/atomic-write.js';
import { PLAN_DIR_FORMAT, writePlanDir } from '../../protocols/plan-files.js';
import { compareMarkdown, comparePerClassCsv, leaderboardCsv, mergedMarkdown, mergeLeaderboards } from '../../reports/leaderboard.js';
import { gainVsCountSvg } from '../../reports/plot.js';
import { compareHtml, mergedLeaderboardHtml, modelBoardHtml } from '../../reports/html-report.js';
import { UsageError } from '../errors.js';
import { progress } from '../progress.js';
import { trainerFiles } from '../../trainers/trainer-identity.js';
import { codeVersion } from '../version.js';

export interface CompareOptions {
  budget: BudgetMode;
  budgetScale: number;
  budgetFile?: string;
  seeds: number;
  quick?: boolean;
  protocols: string[];
  protocol?: string[];
  lrGrid?: number[];
  lrFrom?: string;
  lrExtend: number;
  pretrainLr: number;
  sampler: string;
  batch: number;
  workers: number;
  backend: BackendName;
  resamples: number;
  out?: string;
  json?: boolean;
  plan?: boolean;
  writePlans?: string;
  shard?: string;
  merge?: boolean;
  trainer: string;
  trainerTimeout: number;
  cache?: string;
  fresh?: boolean;
  gpus?: string[];
  manifest?: string;
}

/** LRs tuned by the 5-seed compare of docs/results/compare-5seeds (the default setting's). */
export const DEFAULT_TUNED_LR = fileURLToPath(new URL('../../../baselines/tuned-lr.json', import.meta.url));

/**
 * Tuned LRs for this comparison, or undefined (search the grid). Explicit `--lr-from FILE` must
 * fit (else a usage error saying why); the default file is used when it fits and skipped, with
 * a note, when it does not. Plug-in protocols (module paths) are always searched.
 */
async function tunedLrs(opts: CompareOptions, cfg: CompareConfig, embeddedOnly: boolean): Promise<TunedLrs | undefined> {
  const explicit = opts.lrFrom !== undefined;
  if (opts.lrFrom === 'none' || (!explicit && (opts.lrGrid !== undefined || cfg.quick))) return undefined;
  if (explicit && opts.lrGrid !== undefined) throw new UsageError('--lr-from and --lr-grid: give one (tuned LRs are not searched again)');
  const file = opts.lrFrom ?? DEFAULT_TUNED_LR;
  if (!explicit && !existsSync(file)) return undefined;
  const doc = readTunedLr(file);
  const skip = (reason: string) => {
    if (explicit) throw new UsageError(`--lr-from ${file}: ${reason}`);
    process.stderr.write(`compare: not using the tuned LRs of ${relative(process.cwd(), file)}: ${reason}; searching the LR grid\n`);
    return undefined;
  };
  if (cfg.protocols.some((p) => !BUILTIN_PROTOCOLS.includes(p))) return skip('a plug-in protocol is compared (plug-ins are always searched)');
  if (cfg.trainer !== undefined) return skip('an external trainer runs (its LRs are searched, not taken from the built-in trainer)');
  // tuned on the embedded datasets: a manifest of embedded sets alone (the built-in one, or a copy) may use them if the fingerprint fits
  if (!embeddedOnly) return skip(`the datasets of ${cfg.manifest} are compared (the tuned LRs are the embedded benchmark's)`);
  if (cfg.upstreamBudgets !== undefined) return skip('each upstream set has its own budget (the LRs were tuned with one upstream total)');
  const names: string[] = [];
  for (const p of cfg.protocols) names.push((await resolveProtocol(p)).name);
  const fit = tunedLrsFor(doc, cfg, names);
  if ('reason' in fit) return skip(fit.reason);
  return { source: relative(process.cwd(), file) || file, command: doc.command, seeds: doc.seeds, grid: doc.grid, lrs: Object.fromEntries(fit.lrs) };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

/** Points reports/latest at `dir` (a relative symlink, replaced atomically). */
function pointLatest(dir: string): void {
  const link = join(dirname(dir), 'latest');
  const tmp = `${link}.${tempTag()}.tmp`;
  symlinkSync(basename(dir), tmp);
  renameSync(tmp, link);
}

export async function compareCommand(opts: CompareOptions, argv: string[]): Promise<number> {
  const quick = opts.quick ?? false;
  // a manifest declares the datasets, their roles and budgets; without one, the embedded benchmark
  const out0 = opts.out ?? join('reports', 'compare');
  // the datasets, their roles and budgets: the manifest given, else the embedded benchmark's (data/embedded.yaml)
  const setting = await manifestSetting({
    manifest: opts.manifest ?? EMBEDDED_MANIFEST,
    ...(opts.budgetFile !== undefined ? { budgetFile: opts.budgetFile } : {}),
    budgetScale: opts.budgetScale,
    quick,
    batch: opts.batch,
    planOnly: opts.plan === true,
    external: opts.trainer !== 'tfjs',
    dataCache: opts.cache !== undefined ? join(resolve(opts.cache), 'data') : join(dirname(resolve(out0)), '.cache', 'data'),
    splits: ['val', 'test'],
  });
  const batch = setting.batch;
  const upstream = [...setting.upstream];
  const budgets = setting.budgets!;
  const budget = { downstream: budgets.examples[setting.downstream]!, upstream: setting.upstreamTotal ?? budgets.examples[upstream[0]!] ?? 0 };
  // each upstream set its own budget ("equal" is per dataset, never a sum), unless the manifest gives one upstream total
  const upstreamBudgets = setting.upstreamTotal === null ? Object.fromEntries(upstream.map((u) => [u, budgets.examples[u]!])) : undefined;
  if (upstreamBudgets !== undefined && opts.budget === 'equal-total') throw new UsageError(`--budget equal-total needs one upstream total; ${opts.budgetFile ?? setting.manifest.path} gives each upstream set its own budget (use --budget equal)`);
  let builtins = opts.protocols;
  // the default list on a manifest with one upstream set: the multi-upstream protocol has nothing to co-finetune
  if (upstream.length < 2 && builtins.join(',') === BUILTIN_PROTOCOLS.join(',')) {
    builtins = builtins.filter((p) => p !== 'multi-cofinetune');
    process.stderr.write(`compare: ${setting.manifest.path} declares one upstream set (${upstream.join(', ')}): multi-cofinetune is left out\n`);
  }
  const protocols = [...builtins, ...(opts.protocol ?? [])];
  if (protocols.length === 0) throw new UsageError('no protocol to compare (--protocols and --protocol are empty)');
  for (const p of protocols) if (!BUILTIN_PROTOCOLS.includes(p) && !existsSync(p)) throw new UsageError(`unknown protocol '${p}' (built in: ${BUILTIN_PROTOCOLS.join(', ')}; or a module path)`);
  const lrGrid = opts.lrGrid ?? (quick ? [0.003] : DEFAULT_LR_GRID.split(',').map(Number));
  const searched: CompareConfig = {
    protocols,
    seeds: opts.seeds,
    lrGrid,
    lrExtend: opts.lrExtend,
    pretrainLr: opts.pretrainLr,
    budgetMode: opts.budget,
    budget,
    batch,
    sampler: opts.sampler,
    downstream: setting.downstream,
    upstream,
    ...(upstreamBudgets !== undefined ? { upstreamBudgets } : {}),
    ...(opts.manifest !== undefined ? { manifest: setting.manifest.path } : {}),
    ...(setting.datasets !== null ? { datasets: setting.datasets } : {}),
    benchmarkSeed: 0,
    backend: opts.backend,
    workers: opts.workers,
    resamples: opts.resamples,
    quick,
    codeVersion: codeVersion(),
    ...(opts.gpus !== undefined ? { gpus: opts.gpus } : {}),
    ...(opts.fresh ? { freshBefore: Date.now() } : {}),
    ...(opts.trainer !== 'tfjs' ? { trainer: { command: opts.trainer, timeoutSeconds: opts.trainerTimeout, files: trainerFiles(opts.trainer) } } : {}),
  };
  await checkProtocols(searched);
  const tunedLr = await tunedLrs(opts, searched, Object.values(setting.manifest.datasets).every((d) => d.source.kind === 'embedded'));
  const cfg: CompareConfig = tunedLr === undefined ? searched : { ...searched, tunedLr };
  if (opts.plan) {
    const perProtocol = tunedLr !== undefined ? 1 : cfg.lrGrid.length;
    const lrText =
      tunedLr !== undefined
        ? `LRs tuned by ${tunedLr.source} (grid ${tunedLr.grid.join(', ')}, ${tunedLr.seeds} seed(s)): ${Object.entries(tunedLr.lrs).map(([p, lr]) => `${p} ${lr}`).join(', ')}`
        : `LR grid ${cfg.lrGrid.join(', ')} for every protocol${cfg.lrGrid.length > 1 ? `, extended ×2 past an edge a protocol chooses (up to ${cfg.lrExtend} time(s))` : ''}`;
    process.stdout.write(`plan: ${cfg.protocols.length} protocols × ${cfg.seeds} seed(s); ${lrText}; ${cfg.protocols.length * cfg.seeds * perProtocol} runs${tunedLr === undefined && cfg.lrGrid.length > 1 ? ' before any extension' : ''}\n`);
    const sizes = setting.sizes;
    process.stdout.write(planText(await plannedPhases(cfg), sizes, cfg));
    if (opts.writePlans !== undefined) await writePlans(cfg, sizes, opts.writePlans);
    return 0;
  }
  if (opts.writePlans !== undefined) throw new UsageError('--write-plans goes with --plan (plans are written instead of training)');
  if (opts.shard !== undefined && opts.merge) throw new UsageError('--shard runs a share of the matrix, --merge none of it: give one');
  let mode: CompareMode = opts.merge ? { kind: 'merge' } : { kind: 'all' };
  if (opts.shard !== undefined) {
    try {
      mode = { kind: 'shard', shard: parseShard(opts.shard) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const out = opts.out ?? join('reports', `compare-${timestamp()}`);
  checkReplaceable(out); // before any training, not after it
  // --cache DIR: runs and pretraining checkpoints shared by shards (DIR/runs, DIR/pretrain)
  const cacheDir = opts.cache !== undefined ? join(resolve(opts.cache), 'runs') : join(dirname(resolve(out)), '.cache', 'runs');
  const t0 = performance.now();
  const lrs = tunedLr !== undefined ? `tuned LRs from ${tunedLr.source}` : `${cfg.lrGrid.length} LR(s)`;
  process.stderr.write(`compare: ${cfg.protocols.length} protocols × ${cfg.seeds} seed(s) × ${lrs} on ${cfg.workers} worker process(es); results cache ${cacheDir}\n`);
  // progress: all pending jobs' steps in one bar, labelled with what each worker runs
  let bar: ReturnType<typeof progress> | null = null;
  const running = new Map<number, { label: string; done: number }>();
  let finishedSteps = 0;
  let cached = 0;
  let doc: CompareDoc;
  // how the matrix was split does not change a number: the report names the plain command
  const command = ['cft-bench', ...withoutOptions(argv, { '--shard': 1, '--cache': 1, '--merge': 0, '--fresh': 0, '--gpus': 1 })].join(' ');
  const shardName = mode.kind === 'shard' ? `shard ${mode.shard.index + 1}/${mode.shard.count}` : '';
  try {
    doc = await runCompare(cfg, cacheDir, {
      onPlan: (pending, fromCache) => {
        cached += fromCache;
        (bar as ReturnType<typeof progress> | null)?.stop();
        finishedSteps = 0;
        bar = pending.length > 0 ? progress(pending.reduce((s, p) => s + jobSteps(p), 0), 'compare') : null;
      },
      onStart: (spec, w) => running.set(w, { label: `${spec.protocol} s${spec.seed} lr${spec.lr}`, done: 0 }),
      onProgress: (spec, w, done, total, loss) => {
        running.set(w, { label: `${spec.protocol} s${spec.seed} lr${spec.lr} ${done}/${total}`, done });
        bar?.update(finishedSteps + [...running.values()].reduce((s, j) => s + j.done, 0), loss, [...running.values()].map((j) => j.label).join(' | '));
      },
      onDone: (_spec, w, r) => {
        finishedSteps += r.steps;
        running.delete(w);
        const val = r.diverged !== null ? `DIVERGED (loss ${r.diverged.loss} at ${r.diverged.phase} step ${r.diverged.step})` : `val mAP ${r.scores.val!.mAP.toFixed(4)}`;
        process.stderr.write(`  done: ${r.protocol} seed ${r.spec.seed} lr ${r.spec.lr} — ${val}, ${r.steps} steps in ${r.seconds.toFixed(0)} s${r.pretrainCheckpoint !== null ? ' (shared pretraining)' : ''}\n`);
      },
      onExtend: (grid, edge) => process.stderr.write(`compare: ${edge.join(', ')} chose an edge of the LR grid; extending it for every protocol to ${grid.join(', ')}\n`),
    }, command, mode);
  } catch (err) {
    if (err instanceof MatrixIncomplete && mode.kind === 'shard') {
      process.stderr.write(`compare: ${shardName} done; ${err.missing.length} of ${err.total} runs of the matrix are other shards' and not cached yet. When every shard has finished, run the same command with --merge instead of --shard to write the leaderboard.\n`);
      return 0;
    }
    if (err instanceof MatrixIncomplete) {
      process.stderr.write(`cft-bench: compare --merge: ${err.message}. Run the missing shards first (or drop --merge to run them here).\n`);
      return 1;
    }
    if (err instanceof CompareError || err instanceof RunsFailed) {
      process.stderr.write(`cft-bench: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    (bar as ReturnType<typeof progress> | null)?.stop();
  }
  if (cached > 0) process.stderr.write(`compare: ${cached} run(s) reused from the cache\n`);
  if (mode.kind === 'shard') {
    process.stderr.write(`compare: ${shardName} done; every run of the matrix is cached: run the same command with --merge instead of --shard to write the leaderboard.\n`);
    return 0;
  }
  const json = JSON.stringify({ ...doc, command, wallSeconds: (performance.now() - t0) / 1e3 }, null, 2) + '\n';
  const baseline = doc.paired[0]?.baseline ?? 'pretrain-finetune';
  const points = doc.perClass.filter((c) => c.protocol !== baseline && c.gainOverBaseline !== null).map((c) => ({ protocol: c.protocol, className: c.name, group: c.group, trainCount: c.trainCount, gain: c.gainOverBaseline! }));
  const files: Record<string, string> = {
    'leaderboard.md': compareMarkdown(doc, command),
    'leaderboard.csv': await leaderboardCsv(doc.leaderboard),
    'per_class.csv': await comparePerClassCsv(doc),
    'result.json': json,
    'report.html': compareHtml(doc, command),
  };
  // the LR search, reusable by `compare --lr-from` (and as baselines/tuned-lr.json for the default setting)
  if (doc.tuning !== null) files['tuned-lr.json'] = JSON.stringify(doc.tuning, null, 2) + '\n';
  if (points.length > 0) files['gain-vs-train-count.svg'] = await gainVsCountSvg(points, baseline, `${doc.config.downstream}: per-class gain over ${baseline}`);
  // each run's own result: per-class val/test APs, ledger, losses (its AVA files stay in the cache dir it names)
  for (const r of doc.runs) files[`runs/${r.protocol}-seed${r.seed}-lr${r.lr}.json`] = readFileSync(join(r.dir, 'result.json'), 'utf8');
  const written = writeReportFiles(out, files);
  pointLatest(resolve(out));
  if (opts.json) process.stdout.write(json);
  else {
    process.stdout.write(`\n${doc.claim}\n`);
    for (const r of doc.leaderboard) process.stdout.write(`  ${r.protocol.padEnd(20)} test mAP ${r.mAP.mean.toFixed(4)}  head ${r.head.mean.toFixed(3)}  mid ${r.mid.mean.toFixed(3)}  tail ${r.tail.mean.toFixed(3)}\n`);
    for (const w of doc.sanity) process.stdout.write(`  WARNING: ${w}\n`);
    for (const p of doc.paired) process.stdout.write(`  ${p.protocol} − ${p.baseline}: ${p.delta['overall']!.estimate >= 0 ? '+' : ''}${p.delta['overall']!.estimate.toFixed(4)} [${p.delta['overall']!.lo.toFixed(4)}, ${p.delta['overall']!.hi.toFixed(4)}]\n`);
    process.stdout.write(`wrote ${written.filter((w) => !w.includes('/runs/')).join(', ')} (+${doc.runs.length} run files); ${join(dirname(out), 'latest')} -> ${basename(out)}\n`);
  }
  if (doc.lrEdge.length > 0) {
    process.stderr.write(`cft-bench: compare: LR grid too narrow (${doc.lrGrid.join(', ')}, after ${cfg.lrExtend} extension(s)): ${doc.lrEdge.join('; ')}. The report is written with this flagged; widen --lr-grid or allow more --lr-extend (exit 1)\n`);
    return 1;
  }
  if (doc.unscored.length > 0) {
    process.stderr.write(`cft-bench: compare: ${doc.unscored.join(', ')} diverged at every LR and could not be scored; the report lists their runs (exit 1)\n`);
    return 1;
  }
  return 0;
}

/**
 * `compare --plan --write-plans DIR`: every run's whole plan (each protocol and seed, at the
 * grid's first LR), in the streamed file form (plan-files.ts), one folder per run, the folder
 * DIR written whole or not at all.
 */
async function writePlans(cfg: CompareConfig, sizes: Readonly<Record<string, number>>, out: string): Promise<void> {
  const protocols = await checkProtocols(cfg);
  const t0 = performance.now();
  const written = await writeReportDir(out, async (stage) => {
    const names: string[] = [];
    for (const [pi, p] of protocols.entries()) {
      for (let seed = 0; seed < cfg.seeds; seed++) {
        const name = `${p.name}-seed${seed}`;
        writePlanDir(p, compareContext(cfg, p, pi, seed, cfg.lrGrid[0]!), sizes, seed, join(stage, name));
        names.push(name);
      }
    }
    writeFileSync(join(stage, 'plans.json'), JSON.stringify({ format: PLAN_DIR_FORMAT, runs: names }, null, 1) + '\n');
    return names;
  });
  process.stdout.write(`wrote ${written.length} plan(s) into ${out} (${PLAN_DIR_FORMAT}: plan.json + NPY arrays per run) in ${((performance.now() - t0) / 1e3).toFixed(1)} s\n`);
}

/** `compare --plan`: each protocol's phases with every dataset's examples, steps and epochs. */
function planText(plans: readonly { protocol: string; phases: readonly Phase[] }[], sizes: Readonly<Record<string, number>>, cfg: CompareConfig): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [`datasets (train examples): ${Object.entries(sizes).map(([d, s]) => `${d} ${n(s)}`).join(', ')}; batch ${cfg.batch}; sampler ${cfg.sampler}${cfg.manifest !== undefined ? `; declared in ${cfg.manifest}` : ''}`];
  for (const { protocol, phases } of plans) {
    const steps = phases.reduce((s, p) => s + Object.values(p.examples).reduce((a, b) => a + b, 0) / cfg.batch, 0);
    lines.push(`  ${protocol} (${n(steps)} steps):`);
    for (const p of phases) {
      const parts = Object.entries(p.examples).map(([d, e]) => `${d} ${n(e)} examples (${n(e / cfg.batch)} steps, ${(e / sizes[d]!).toFixed(2)} epochs)`);
      lines.push(`    ${p.name}${p.headsOnly === true ? ' (heads only)' : ''}: ${parts.join(' + ')}; LR ${p.lr === cfg.lrGrid[0] && cfg.lrGrid.length > 1 ? 'from the grid' : p.lr}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** `argv` without the named options (name → how many values follow it; `--name=value` forms too). */
function withoutOptions(argv: readonly string[], drop: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (drop[name] === undefined) out.push(a);
    else if (!a.includes('=')) i += drop[name]!;
  }
  return out;
}

export interface LeaderboardOptions {
  out?: string;
  json?: boolean;
  reference?: string;
  by: 'keyframe' | 'video';
  resamples: number;
}

/** What a result file is: a compare result, or an eval/infer result (kind frame-map); null if neither (read later, with its own error). */
function resultKind(arg: string): 'compare' | 'frame-map' | null {
  const path = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, 'result.json') : arg;
  try {
    const kind = (JSON.parse(readFileSync(path, 'utf8')) as { kind?: unknown })?.kind;
    return kind === 'compare' || kind === 'frame-map' ? kind : null;
  } catch {
    return null;
  }
}

export async function leaderboardCommand(args: string[], opts: LeaderboardOptions): Promise<number> {
  // each argument is one row; a quoted glob naming several eval/infer results: one recipe's training seeds
  const perArg = args.map((a) => expandResultPaths([a], 'leaderboard'));
  const files = perArg.flat();
  const kinds = new Set(files.map(resultKind));
  if (kinds.has('compare') && kinds.has('frame-map')) throw new UsageError('leaderboard: compare results and eval/infer results cannot share one table (give one kind)');
  if (kinds.has('frame-map')) return modelLeaderboard(args, perArg, opts);
  if (opts.reference !== undefined) throw new UsageError('--reference ranks eval or infer results; compare results are already paired with their baselines');
  const docs = files.map((f) => {
    if (!existsSync(f)) throw new InputError(f, null, 'file not found');
    let doc: CompareDoc;
    try {
      doc = JSON.parse(readFileSync(f, 'utf8')) as CompareDoc;
    } catch (err) {
      throw new InputError(f, null, `not JSON (${(err as Error).message}); expected the result.json of \`cft-bench compare\``);
    }
    if (doc?.kind !== 'compare') throw new InputError(f, null, `not a compare result (kind ${JSON.stringify(doc?.kind)})`);
    if (!Array.isArray(doc.leaderboard) || doc.leaderboard.some((r) => typeof r?.protocol !== 'string' || typeof r.mAP?.mean !== 'number')) throw new InputError(f, null, 'leaderboard: missing or malformed rows');
    return { source: basename(dirname(resolve(f))), doc };
  });
  const rows = mergeLeaderboards(docs);
  const claims = Object.fromEntries(docs.map((d) => [d.source, d.doc.claim]));
  const md = mergedMarkdown(rows, claims);
  const json = JSON.stringify({ schemaVersion: 1, kind: 'leaderboard', sources: files, claims, rows }, null, 2) + '\n';
  if (opts.out !== undefined) writeReportFiles(opts.out, { 'leaderboard.md': md, 'leaderboard.csv': await leaderboardCsv(rows), 'leaderboard.json': json, 'report.html': mergedLeaderboardHtml(rows, claims) });
  process.stdout.write(opts.json ? json : md);
  return 0;
}

/**
 * `leaderboard` of eval/infer results: models on one ground truth, ranked within noise
 * (metrics/model-ranking.ts). A model given by several results (a quoted glob) is a recipe's
 * training seeds: its mAP is their mean and its intervals cover seed noise.
 */
async function modelLeaderboard(args: readonly string[], perArg: readonly string[][], opts: LeaderboardOptions): Promise<number> {
  const models = perArg.map((paths) => paths.map((f) => readPairedSide(f)));
  const sides = models.flat();
  for (const s of sides.slice(1)) {
    const why = incomparable(sides[0]!, s);
    if (why !== null) throw new InputError(s.path, null, why.replace('the baseline', sides[0]!.path));
  }
  // a model's name: its result folder's, or for several seeds the pattern's last part (repeated names get #2, #3 …)
  const seen = new Map<string, number>();
  const names = models.map((seeds, i) => {
    const base = seeds.length === 1 ? basename(dirname(resolve(seeds[0]!.path))) : basename(args[i]!.replace(/[/\\]+$/, ''));
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
  if (opts.reference !== undefined && !names.includes(opts.reference)) throw new UsageError(`--reference ${opts.reference}: no such model (models: ${names.join(', ')})`);
  const first = sides[0]!.doc;
  const groups: Record<string, number[]> = { overall: first.perClass.map((c) => c.id), ...Object.fromEntries(Object.entries(first.groups).map(([g, v]) => [g, v.classes])) };
  const meanOf = (xs: readonly (number | null)[]) => (xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, b) => a + b, 0) / xs.length);
  const ranked = rankModels(
    models.map((seeds, i) => ({
      name: names[i]!,
      seeds: seeds.map((s) => s.ranked),
      mAP: { overall: meanOf(seeds.map((s) => s.doc.mAP)), ...Object.fromEntries(Object.keys(first.groups).map((g) => [g, meanOf(seeds.map((s) => s.doc.groups[g]?.mAP ?? null))])) },
    })),
    { groups, resamples: opts.resamples, seed: 7, ...(opts.by === 'video' ? { units: videoUnits(sides[0]!.ranked.keys) } : {}), ...(opts.reference !== undefined ? { reference: opts.reference } : {}) },
  );
  const byName = new Map(models.map((seeds, i) => [names[i]!, seeds]));
  const board: ModelBoard = {
    schemaVersion: 1,
    kind: 'model-leaderboard',
    evaluatedOn: { gtSha256: first.inputs.find((f) => f.role === 'gt')?.sha256 ?? null, protocol: first.protocol.name, grouping: first.grouping.rule },
    by: opts.by,
    resamples: opts.resamples,
    reference: opts.reference ?? null,
    groups: Object.keys(groups),
    models: ranked.map((m) => {
      const seeds = byName.get(m.name)!;
      // rows summed over the model's seeds
      const c: Record<string, number> = {};
      for (const s of seeds) for (const [k, n] of Object.entries(s.doc.counts.predictions as Record<string, number>)) c[k] = (c[k] ?? 0) + n;
      const dropped = Object.fromEntries(Object.entries(c).filter(([k, n]) => !['rowsRead', 'scored', 'scoredOnNegativeKeyframes'].includes(k) && n > 0));
      return { ...m, source: seeds.map((s) => s.path).join(' '), seeds: seeds.length, rowsRead: c['rowsRead'] ?? 0, scored: c['scored'] ?? 0, dropped };
    }),
  };
  const md = modelBoardMarkdown(board);
  const json = JSON.stringify(board, null, 2) + '\n';
  if (opts.out !== undefined) writeReportFiles(opts.out, { 'leaderboard.md': md, 'leaderboard.csv': await modelBoardCsv(board), 'leaderboard.json': json, 'report.html': modelBoardHtml(board) });
  process.stdout.write(opts.json ? json : md);
  return 0;
}
