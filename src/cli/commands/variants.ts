/**
 * Model variants: `export` (a trained cft-bench model → ONNX), `infer` (an ONNX model on a
 * localisation set → predictions + frame-mAP reports with per-keyframe data), `check` (the
 * regression gate against a baseline) and `baseline update` (regenerate a stored baseline).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import Table from 'cli-table3';
import type { LocalisationDataset, Split } from '../../data/datasets.js';
import { InputError } from '../../data/input-error.js';
import { videoUnits } from '../../metrics/bootstrap.js';
import { assignGroups, groupScores } from '../../metrics/class-groups.js';
import { evaluatePredictions } from '../../metrics/evaluate-predictions.js';
import { gate, parseTolerances, type GateVerdict } from '../../metrics/gate.js';
import { DEFAULT_BATCH } from '../../protocols/budget.js';
import { loadDatasets } from '../../protocols/job.js';
import { resolveProtocol } from '../../protocols/protocol.js';
import { runProtocol } from '../../protocols/runner.js';
import { parseSampler } from '../../protocols/sampler.js';
import { writeFileAtomic, writeReportDir } from '../../reports/atomic-write.js';
import { perClassCsv } from '../../reports/csv.js';
import { EVIDENCE_FILE, evidenceSidecar } from '../../reports/keyframe-data.js';
import { evalHtml } from '../../reports/html-report.js';
import { expandResultPaths, incomparable, readPairedSide, readPairedSides, type PairedSide, type VariantResultDoc } from '../../reports/paired-inputs.js';
import { evalSummaryMarkdown, fmt, mdTable } from '../../reports/markdown.js';
import { buildEvalResultDoc, type EvalResultDoc } from '../../reports/result-doc.js';
import { loadBackend } from '../../trainers/backend.js';
import { exportOnnx, CONTRACT } from '../../trainers/onnx-export.js';
import { OnnxModel } from '../../trainers/onnx-runner.js';
import { Trainer } from '../../trainers/trainer.js';
import { UsageError } from '../errors.js';
import { openDataset } from './data.js';
import { codeVersion, VERSION } from '../version.js';

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function localisation(name: string): LocalisationDataset {
  const d = openDataset(name);
  if (d.kind !== 'localisation') throw new UsageError(`${name} is a classification set; a localisation set is needed`);
  return d;
}

export async function exportCommand(opts: { model: string; onnx: string }): Promise<number> {
  if (!existsSync(join(opts.model, 'model.json'))) throw new InputError(join(opts.model, 'model.json'), null, 'file not found (--model is a directory written by `cft-bench train`)');
  let trainer: Trainer;
  try {
    trainer = Trainer.load(await loadBackend('auto'), opts.model);
  } catch (err) {
    throw new InputError(opts.model, null, `not a model written by \`cft-bench train\`: ${(err as Error).message}`);
  }
  writeFileAtomic(opts.onnx, exportOnnx(trainer, VERSION));
  process.stdout.write(`wrote ${opts.onnx} (${CONTRACT.version}: clips [N,T,H,W,C] + boxes [N,R,4] -> scores [N,R,K])\n`);
  return 0;
}

/** Runs an ONNX model on a split and evaluates it; writes the reports into `out`. */
export async function inferModel(model: string, benchmark: string, split: Split, out: string, opts: { threads: number; device: 'cpu' | 'cuda' }): Promise<{ doc: VariantResultDoc; clipsPerSecond: number }> {
  const dataset = localisation(benchmark);
  const m = await OnnxModel.load(model, dataset, opts);
  const examples = Array.from({ length: dataset.sizes[split] ?? 0 }, (_, i) => dataset.example(split, i));
  const t0 = performance.now();
  const rows = await m.predict(examples);
  const clipsPerSecond = examples.length / ((performance.now() - t0) / 1e3);
  // the AVA files evaluated and the reports, as one folder swapped in whole
  const doc = await writeReportDir(out, async (stage) => {
    const ev = await evaluatePredictions(dataset, split, rows, stage);
    const counts = dataset.trainCounts();
    const groupOf = assignGroups(dataset.classes, counts, { kind: 'tertiles' });
    const base = buildEvalResultDoc(ev.run, { rule: 'tertiles', countsSource: 'class-counts', countsPath: `${dataset.name} train counts`, note: null, groupOf, trainCounts: counts, scores: groupScores(ev.run.summary.classes, groupOf) }, 'exact', VERSION);
    const { bytes, evidence } = evidenceSidecar(ev.run);
    const inputs = base.inputs.map((f) => ({ ...f, path: join(out, relative(stage, f.path)) })); // where they are once published
    const datasetDir = existsSync(benchmark) && statSync(benchmark).isDirectory() ? relative(resolve(out), resolve(benchmark)) : undefined;
    const d: VariantResultDoc = { ...base, inputs, evidence, variant: { model: model, sha256: sha256(model), contract: CONTRACT.version, benchmark: dataset.name, ...(datasetDir !== undefined ? { datasetDir } : {}), split } };
    const files = { 'per_class.csv': await perClassCsv(d), 'summary.md': evalSummaryMarkdown(d, `${model} on ${dataset.name} ${split}`), 'report.html': evalHtml(d, `${model} on ${dataset.name} ${split}`), [EVIDENCE_FILE]: bytes, 'result.json': JSON.stringify(d, null, 2) + '\n' };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(stage, name), content);
    return d;
  });
  return { doc, clipsPerSecond };
}

export async function inferCommand(opts: { model: string; benchmark: string; split: string; out?: string; threads: number; device: 'cpu' | 'cuda'; json?: boolean }): Promise<number> {
  const out = opts.out ?? join('reports', `infer-${opts.model.replace(/.*[/\\]/, '').replace(/\.onnx$/, '')}`);
  const { doc, clipsPerSecond } = await inferModel(opts.model, opts.benchmark, opts.split as Split, out, { threads: opts.threads, device: opts.device });
  if (opts.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else {
    process.stdout.write(`${opts.model} on ${doc.variant.benchmark} ${doc.variant.split}: frame-mAP ${fmt(doc.mAP)} (${Object.entries(doc.groups).map(([g, s]) => `${g} ${fmt(s.mAP)}`).join(', ')})\n`);
    process.stdout.write(`onnxruntime ${opts.device}, ${opts.threads} thread(s): ${clipsPerSecond.toFixed(0)} clips/s; wrote ${out}/result.json, summary.md, report.html, per_class.csv\n`);
  }
  return 0;
}

export interface CheckOptions {
  baseline: string[];
  candidate: string[];
  maxDrop?: string[];
  markdown?: string;
  json?: boolean;
  github?: boolean;
  resamples: number;
  by?: string;
  threads: number;
}

/** What the interval covers, in words: with one model per side, seed noise is not in it. */
function seedNote(v: GateVerdict): string {
  return v.seedNoise === 'covered'
    ? ` Seeds: ${v.seeds.candidate} candidate, ${v.seeds.baseline} baseline; the interval covers seed noise too (seeds resampled within each side, jointly with the keyframes).`
    : ' One model per side: the interval covers test-set noise only, not training-seed noise (give several seeds per side to cover it).';
}

function verdictMarkdown(v: GateVerdict, baseline: string, candidate: string, byVideo: boolean): string {
  const rows = v.metrics.map((m) => [m.metric, fmt(m.baseline), fmt(m.candidate), `${(m.delta.estimate * 100).toFixed(2)} [${(m.delta.lo * 100).toFixed(2)}, ${(m.delta.hi * 100).toFixed(2)}]`, m.maxDrop.toFixed(2), m.regression ? '❌ regression' : '✅ ok']);
  return [
    `## cft-bench check: ${v.pass ? '✅ pass' : '❌ regression'}`,
    '',
    `Candidate \`${candidate}\` vs baseline \`${baseline}\` on ${v.keyframes} keyframes${byVideo ? ' (resampled by video)' : ''}; Δ in mAP points with a paired bootstrap 95% CI (${v.resamples} resamples). A metric regresses when it drops by more than its tolerance and the whole CI is below 0.${seedNote(v)}`,
    '',
    mdTable(['metric', 'baseline', 'candidate', 'Δ points [95% CI]', 'max drop', 'verdict'], rows, ['l', 'r', 'r', 'r', 'r', 'l']),
    '',
  ].join('\n');
}

export async function checkCommand(opts: CheckOptions): Promise<number> {
  const baseSides = readPairedSides(opts.baseline, '--baseline');
  const base = baseSides[0]!;
  const baseDoc = base.doc;
  const candPaths = expandResultPaths(opts.candidate, '--candidate');
  let candSides: PairedSide[];
  if (candPaths.some((p) => p.endsWith('.onnx'))) {
    if (candPaths.length > 1) throw new UsageError('--candidate: one ONNX model at a time (several seeds of a recipe: their infer results)');
    const model = candPaths[0]!;
    if (baseDoc.variant === undefined) throw new InputError(model, null, `an ONNX candidate is run on the baseline's benchmark, but ${base.path} is an eval result of prediction files: evaluate the candidate's predictions with \`cft-bench eval\` and pass its result.json`);
    const tmp = mkdtempSync(join(tmpdir(), 'cft-check-'));
    try {
      // the candidate runs on the data the baseline ran on: an embedded benchmark by name, a dataset directory by its path
      const v = baseDoc.variant;
      let dataset = v.benchmark;
      if (v.datasetDir !== undefined) {
        dataset = resolve(existsSync(base.path) && statSync(base.path).isDirectory() ? base.path : dirname(base.path), v.datasetDir);
        if (!existsSync(join(dataset, 'dataset.json'))) throw new InputError(dataset, null, `the dataset directory ${base.path} was inferred on is not there (the result records it as ${v.datasetDir}, relative to its folder)`);
      }
      await inferModel(model, dataset, v.split, tmp, { threads: opts.threads, device: 'cpu' });
      candSides = [{ ...readPairedSide(tmp), path: model }];
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else candSides = candPaths.map(readPairedSide);
  for (const s of [...baseSides.slice(1), ...candSides]) {
    const why = incomparable(base, s);
    if (why !== null) throw new InputError(s.path, null, why);
  }
  const groups: Record<string, number[]> = { overall: baseDoc.perClass.map((c) => c.id) };
  for (const [g, s] of Object.entries(baseDoc.groups)) groups[g] = s.classes;
  let tol;
  try {
    tol = parseTolerances(opts.maxDrop ?? [], Object.keys(groups));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // each side's scores: the mean over its seeds of the (verified) official mAPs
  const scores = (docs: readonly EvalResultDoc[]) => Object.fromEntries(Object.keys(groups).map((g) => [g, docs.reduce((s, d) => s + ((g === 'overall' ? d.mAP : d.groups[g]?.mAP) ?? NaN), 0) / docs.length])) as Record<string, number>;
  const units = opts.by === 'video' ? videoUnits(base.ranked.keys) : undefined;
  const v = gate(baseSides.map((s) => s.ranked), candSides.map((s) => s.ranked), groups, { baseline: scores(baseSides.map((s) => s.doc)), candidate: scores(candSides.map((s) => s.doc)) }, tol, opts.resamples, 7, units);
  const baseName = opts.baseline.join(' ');
  const candName = opts.candidate.join(' ');
  const md = verdictMarkdown(v, baseName, candName, units !== undefined);
  if (opts.markdown) writeFileAtomic(opts.markdown, md);
  if (opts.json) {
    // one unit throughout: mAP points (0–100), as --max-drop is given
    const pts = (x: number) => x * 100;
    const metrics = v.metrics.map((m) => ({ ...m, baseline: pts(m.baseline), candidate: pts(m.candidate), delta: { estimate: pts(m.delta.estimate), lo: pts(m.delta.lo), hi: pts(m.delta.hi) } }));
    process.stdout.write(JSON.stringify({ schemaVersion: 2, kind: 'check', unit: 'mAP points (0-100)', baseline: opts.baseline, candidate: opts.candidate, ...v, metrics }, null, 2) + '\n');
  }
  else {
    const t = new Table({ head: ['metric', 'baseline', 'candidate', 'Δ points [95% CI]', 'max drop', 'verdict'] });
    for (const m of v.metrics) t.push([m.metric, fmt(m.baseline), fmt(m.candidate), `${(m.delta.estimate * 100).toFixed(2)} [${(m.delta.lo * 100).toFixed(2)}, ${(m.delta.hi * 100).toFixed(2)}]`, m.maxDrop.toFixed(2), m.regression ? 'REGRESSION' : 'ok']);
    process.stdout.write(`${t.toString()}\n${v.pass ? 'pass' : 'regression'}: ${candName} vs ${baseName}${seedNote(v)}\n`);
  }
  if (opts.github) {
    for (const m of v.metrics) {
      const text = `${m.metric} mAP ${fmt(m.candidate)} vs baseline ${fmt(m.baseline)}: Δ ${(m.delta.estimate * 100).toFixed(2)} points [${(m.delta.lo * 100).toFixed(2)}, ${(m.delta.hi * 100).toFixed(2)}], max drop ${m.maxDrop}`;
      process.stdout.write(m.regression ? `::error title=cft-bench regression (${m.metric})::${text}\n` : `::notice title=cft-bench ${m.metric}::${text}\n`);
    }
  }
  return v.pass ? 0 : 1;
}

export async function baselineUpdateCommand(opts: { name: string; steps: number; seed: number; protocol: string; lr: number; dir: string }, argv: string[]): Promise<number> {
  const { steps, seed } = opts;
  const dir = resolve(opts.dir, opts.name);
  const protocol = await resolveProtocol(opts.protocol);
  const datasets = loadDatasets({ downstream: 'synth-ava', upstream: ['synth-kinetics'], benchmarkSeed: 0 });
  const down = Math.round(steps / 3);
  const backend = await loadBackend('wasm');
  const run = runProtocol({ protocol, ctx: { downstream: 'synth-ava', upstream: ['synth-kinetics'], budget: { downstream: down * DEFAULT_BATCH, upstream: (steps - down) * DEFAULT_BATCH }, batch: DEFAULT_BATCH, lr: opts.lr, pretrainLr: 3e-3, sampler: parseSampler('weighted-without-replacement') }, datasets, seed, backend });
  run.trainer.save(join(dir, 'model'));
  const onnx = join(dir, 'model.onnx');
  writeFileAtomic(onnx, exportOnnx(run.trainer, VERSION));
  const work = mkdtempSync(join(tmpdir(), 'cft-baseline-'));
  let doc: VariantResultDoc;
  try {
    doc = (await inferModel(onnx, 'synth-ava', 'test', work, { threads: 1, device: 'cpu' })).doc;
    writeFileAtomic(join(dir, EVIDENCE_FILE), readFileSync(join(work, EVIDENCE_FILE)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // paths relative to the baseline directory: portable, and byte-identical on regeneration
  const rel = { ...doc, inputs: doc.inputs.map((f) => ({ ...f, path: basename(f.path) })), variant: { ...doc.variant, model: 'model.onnx' } };
  writeFileAtomic(join(dir, 'result.json'), JSON.stringify(rel, null, 2) + '\n');
  writeFileAtomic(join(dir, 'per_class.csv'), await perClassCsv(doc));
  const provenance = [
    `# Baseline \`${opts.name}\``,
    '',
    `Regenerate: \`cft-bench ${argv.join(' ')}\``,
    '',
    `- protocol ${protocol.name}, ${steps} steps (batch ${DEFAULT_BATCH}), lr ${opts.lr}, seed ${seed}, backend ${backend.name}`,
    `- code version ${codeVersion()}`,
    `- synth-ava test frame-mAP ${fmt(doc.mAP)} (${Object.entries(doc.groups).map(([g, s]) => `${g} ${fmt(s.mAP)}`).join(', ')})`,
    `- files: model.onnx (${CONTRACT.version}), model/ (tfjs weights), result.json (per-class APs; its per-keyframe evidence in per_keyframe.bin.gz, checked by sha256), per_class.csv`,
    '',
  ].join('\n');
  writeFileAtomic(join(dir, 'README.md'), provenance);
  process.stdout.write(`baseline ${opts.name}: test frame-mAP ${fmt(doc.mAP)}; wrote ${dir}\n`);
  return 0;
}
