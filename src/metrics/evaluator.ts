/**
 * The frame-mAP evaluator end to end on files — the programmatic entry the CLI and tests use:
 *
 *   label map, GT, exclusions (this thread)  ─┐
 *   predictions: read + matched per part      ├─► assemble ─► accumulate ─► summarize
 *   (worker threads for large plain files)   ─┘
 *
 * Parallel results are bit-identical to sequential ones: parts are split where the keyframe
 * changes, each keyframe's heap and matching see exactly what the sequential reader would, and
 * parts are joined in file order. If a keyframe does span two parts (an interleaved file), the
 * file is read sequentially instead.
 */
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
import { describeFile, groundTruthDigest, labelMapDigest, readExclusions, readGroundTruth, sumCounts, type EvalFilePaths, type InputFileInfo, type ReaderConfig } from '../data/ava-inputs.js';
import type { ScanCounts } from '../data/ava-csv-scanner.js';
import { InputError } from '../data/input-error.js';
import { readLabelMap, type LabelMap } from '../data/label-map.js';
import { readPredictionFile } from '../data/prediction-chunk.js';
import { mergePredictionShards, type ShardSummary } from '../data/prediction-shards.js';
import { checkInputFile, countLinesBefore, isGzipFile } from '../data/scan-file.js';
import { splitAtKeyframes } from '../data/split-file.js';
import { rankByClass, type RankedClass } from './rank-detections.js';
import { accumulate, assemble, scoringContext, Scorer, summarize, type Evaluation, type FrameMapSummary, type PartMatches, type ScoringContext } from './frame-map.js';
import type { EvalPreset } from './presets.js';
import { packContext, shareContext, unpackKeys, type WorkerJob, type WorkerMessage } from './worker-protocol.js';

/** Below this size a sequential read beats starting workers. */
const PARALLEL_MIN_BYTES = 32 << 20;

export interface EvaluatorOptions {
  readonly tieBounds?: boolean;
  readonly skipBadRows?: boolean;
  /** Threads for large prediction files (default 2; 1 = this thread only). */
  readonly workers?: number;
  /** Smallest prediction file read in parallel (default 32 MiB; below it one thread is faster). */
  readonly minParallelBytes?: number;
}

export interface RowCounts {
  readonly gt: ScanCounts;
  readonly predictions: ScanCounts;
  readonly exclusions: ScanCounts | null;
  /** Whitelisted prediction rows beyond the per-keyframe cap. */
  readonly overCap: number;
}

export interface FrameMapRun {
  readonly preset: EvalPreset;
  readonly labelMap: LabelMap;
  readonly files: InputFileInfo[];
  readonly counts: RowCounts;
  readonly evaluation: Evaluation;
  /** Each class's detections in rank order (for paired statistics: the eval sidecar). */
  readonly ranked: ReadonlyMap<number, RankedClass>;
  readonly summary: FrameMapSummary;
  /** Distinct keyframes listed in the exclusions file. */
  readonly exclusionKeys: number;
  /** Wall-clock seconds per phase. */
  readonly timings: { readMatch: number; accumulate: number; total: number };
  /** When the predictions came as several shards: how they merged (null: one file). */
  readonly shards: ShardSummary | null;
}

interface PredictionsResult {
  parts: PartMatches[];
  counts: ScanCounts;
  kept: number;
}

/** Frame-mAP of prediction file(s) against GT; several prediction files are merged as shards first. */
export async function evaluateFiles(paths: EvalFilePaths, preset: EvalPreset, opts: EvaluatorOptions = {}): Promise<FrameMapRun> {
  const preds = typeof paths.pred === 'string' ? [paths.pred] : paths.pred;
  if (preds.length === 0) throw new InputError('--pred', null, 'no prediction file given');
  if (preds.length === 1) return evaluateFile({ ...paths, pred: preds[0]! }, preset, opts);
  const t0 = performance.now();
  const merged = await mergePredictionShards(preds);
  try {
    const run = await evaluateFile({ ...paths, pred: merged.path }, preset, opts);
    const shardFiles = await Promise.all(preds.map((p) => describeFile('predictions', p)));
    const files = run.files.flatMap((f) => (f.role === 'predictions' ? shardFiles : [f]));
    const total = (performance.now() - t0) / 1e3;
    return { ...run, files, shards: merged.summary, timings: { ...run.timings, readMatch: total - run.timings.accumulate, total } };
  } catch (err) {
    throw merged.remap(err);
  } finally {
    merged.dispose();
  }
}

async function evaluateFile(paths: EvalFilePaths & { pred: string }, preset: EvalPreset, opts: EvaluatorOptions): Promise<FrameMapRun> {
  const t0 = performance.now();
  const labelMap = readLabelMap(paths.labelMap);
  checkInputFile(paths.gt);
  checkInputFile(paths.pred);
  if (paths.exclusions !== undefined) checkInputFile(paths.exclusions, true);
  const config: ReaderConfig = { preset, whitelist: labelMap.whitelist, skipBadRows: opts.skipBadRows ?? false };

  const files = Promise.all([
    describeFile('gt', paths.gt),
    describeFile('predictions', paths.pred),
    describeFile('labelmap', paths.labelMap),
    ...(paths.exclusions === undefined ? [] : [describeFile('exclusions', paths.exclusions)]),
  ]);
  files.catch(() => undefined);

  // Workers start reading predictions now; they need the GT only to match, later.
  let resolveCtx!: (ctx: ScoringContext) => void;
  let rejectCtx!: (err: unknown) => void;
  const ctxPromise = new Promise<ScoringContext>((res, rej) => {
    resolveCtx = res;
    rejectCtx = rej;
  });
  ctxPromise.catch(() => undefined);
  const workers = opts.workers ?? 2;
  const size = statSync(paths.pred).size;
  const parallel = workers > 1 && size >= (opts.minParallelBytes ?? PARALLEL_MIN_BYTES) && !isGzipFile(paths.pred);
  const predictions = parallel ? readInWorkers(paths.pred, size, workers, config, ctxPromise) : null;
  predictions?.catch(() => undefined);

  let ctx: ScoringContext;
  let gt;
  let exclusions: { keys: string[]; counts: ScanCounts } | null = null;
  try {
    gt = await readGroundTruth(paths.gt, config);
    if (paths.exclusions !== undefined) exclusions = await readExclusions(paths.exclusions, config);
    ctx = scoringContext(preset, gt.boxes, exclusions?.keys ?? [], gt.fileKeys);
    if (predictions !== null) ctx = shareContext(ctx); // one GT copy for all threads
    resolveCtx(ctx);
  } catch (err) {
    rejectCtx(err);
    throw err;
  }
  const pred = (await predictions) ?? (await readSequentially(paths.pred, config, ctx));
  const evaluation = assemble(pred.parts, ctx, gt.boxes, labelMap.maxId);
  // the parts are copied into `evaluation`: drop them (the settled promise still holds `pred`)
  // so their ~50 MB (AVA scale) can go before ranking, the evaluator's other memory peak
  pred.parts.length = 0;
  const t1 = performance.now();
  const tieBounds = opts.tieBounds ?? false;
  const ranked = rankByClass(evaluation.matches, labelMap.classes.map((c) => c.id));
  const summary = summarize(accumulate(evaluation, labelMap, preset, tieBounds, ranked), labelMap.maxId, tieBounds);
  const t2 = performance.now();
  const whitelisted = pred.counts.rows - pred.counts.notInLabelMap - pred.counts.twoColumn - Object.values(pred.counts.bad).reduce((a, b) => a + b, 0);
  return {
    preset,
    labelMap,
    files: (await files).map((f) => (f.role === 'gt' ? { ...f, contentSha256: groundTruthDigest(gt) } : f.role === 'labelmap' ? { ...f, contentSha256: labelMapDigest(labelMap.classes) } : f)),
    counts: { gt: gt.counts, predictions: pred.counts, exclusions: exclusions?.counts ?? null, overCap: whitelisted - pred.kept },
    evaluation,
    ranked,
    summary,
    exclusionKeys: exclusions?.keys.length ?? 0,
    timings: { readMatch: (t1 - t0) / 1e3, accumulate: (t2 - t1) / 1e3, total: (t2 - t0) / 1e3 },
    shards: null,
  };
}

/**
 * Starts a worker from a sibling module. Built code runs the .js file; from TypeScript sources
 * (vitest, tsx) the worker loads the .ts file through tsx, which is a dev dependency only.
 */
function startWorker(module: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`${module}.js`, import.meta.url), { workerData });
  const target = new URL(`${module}.ts`, import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(target)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true, workerData });
}

async function readSequentially(path: string, config: ReaderConfig, ctx: ScoringContext): Promise<PredictionsResult> {
  const chunk = await readPredictionFile(path, config);
  const parts = new Scorer(ctx).matchParts(chunk.boxes());
  return { parts, counts: chunk.counts, kept: keptRows(parts) };
}

/** Rows the reader kept (after the per-keyframe cap): matched, or set aside by the scorer. */
function keptRows(parts: readonly PartMatches[]): number {
  return parts.reduce((s, p) => s + p.cls.length + p.fate.excludedKeyframe + p.fate.ignoredKeyframe + p.fate.invalidBox + p.fate.belowScoreFloor, 0);
}

/** Reads and matches the prediction file in worker threads; falls back to sequential on interleaved keyframes. */
async function readInWorkers(path: string, size: number, n: number, config: ReaderConfig, ctxPromise: Promise<ScoringContext>): Promise<PredictionsResult> {
  const bounds = splitAtKeyframes(path, size, n);
  const started = bounds.slice(0, -1).map((start, i) => {
    const job: WorkerJob = { path, start, end: bounds[i + 1]!, preset: config.preset.name, whitelist: config.whitelist, skipBadRows: config.skipBadRows };
    const worker = startWorker('./evaluate-worker', job);
    const messages: WorkerMessage[] = [];
    const waiters: ((m: WorkerMessage) => void)[] = [];
    worker.on('message', (m: WorkerMessage) => (waiters.length > 0 ? waiters.shift()!(m) : messages.push(m)));
    worker.on('error', (err) => (waiters.length > 0 ? waiters.shift()!({ kind: 'fatal', message: String(err) }) : messages.push({ kind: 'fatal', message: String(err) })));
    const next = () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise<WorkerMessage>((res) => waiters.push(res)));
    return { worker, next, start };
  });
  const stopAll = () => started.forEach((w) => void w.worker.terminate());
  try {
    const scanned = await Promise.all(started.map((w) => w.next()));
    for (let i = 0; i < scanned.length; i++) {
      const m = scanned[i]!;
      if (m.kind === 'row-error') throw new InputError(path, countLinesBefore(path, started[i]!.start) + m.line, m.message);
      if (m.kind !== 'scanned') throw new Error(`evaluator worker failed: ${m.kind === 'fatal' ? m.message : m.kind}`);
    }
    const seen = new Set<string>();
    let interleaved = false;
    for (const m of scanned) {
      for (const k of unpackKeys((m as Extract<WorkerMessage, { kind: 'scanned' }>).keys)) {
        if (seen.has(k)) interleaved = true;
        seen.add(k);
      }
    }
    const ctx = await ctxPromise;
    if (interleaved) {
      stopAll();
      return await readSequentially(path, config, ctx);
    }
    const packed = packContext(ctx);
    started.forEach((w) => w.worker.postMessage(packed));
    const matched = await Promise.all(started.map((w) => w.next()));
    const parts = matched.flatMap((m) => {
      if (m.kind !== 'matched') throw new Error(`evaluator worker failed: ${m.kind === 'fatal' ? m.message : m.kind}`);
      return m.parts.map((p) => ({ ...p, keys: unpackKeys(p.keys) }));
    });
    const counts = sumCounts(scanned.map((m) => (m as Extract<WorkerMessage, { kind: 'scanned' }>).counts));
    return { parts, counts, kept: keptRows(parts) };
  } finally {
    stopAll();
  }
}
