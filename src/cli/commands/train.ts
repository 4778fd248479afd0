/**
 * `cft-bench train`: one job (protocols/job.ts) — trains one model with one protocol on the
 * embedded benchmark and writes the model, result.json (budget ledger, losses, scores) and
 * (unless --eval none) the predictions and GT of the evaluated split as AVA files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Dataset, Split } from '../../data/datasets.js';
import { jobContext, loadDatasets, protocolSourceHash, runJob, type JobSpec } from '../../protocols/job.js';
import { TrainerError, type ExternalJobResult } from '../../trainers/external-trainer.js';
import { trainingPlan } from '../../protocols/training-plan.js';
import { checkReplaceable, writeFileAtomic, writeReportDir } from '../../reports/atomic-write.js';
import { PLAN_DIR_FORMAT, writePlanDir } from '../../protocols/plan-files.js';
import { resolveProtocol } from '../../protocols/protocol.js';
import { ExampleCache } from '../../protocols/runner.js';
import { parseSampler } from '../../protocols/sampler.js';
import { loadBackend, type BackendName } from '../../trainers/backend.js';
import { UsageError } from '../errors.js';
import { progress } from '../progress.js';
import { trainerFiles } from '../../trainers/trainer-identity.js';
import { codeVersion } from '../version.js';
import { manifestSetting, type ManifestSetting } from '../manifest-setting.js';

export interface TrainOptions {
  benchmark: string;
  upstream: string[];
  protocol: string;
  steps: number;
  lr: number;
  pretrainLr: number;
  sampler: string;
  seed: number;
  backend: string;
  batch: number;
  eval: string;
  out?: string;
  json?: boolean;
  writePlan?: string;
  trainer: string;
  trainerTimeout: number;
  manifest?: string;
}

/** `train --trainer CMD`: the same plan and scoring, trained by another process (external-trainer.ts). */
async function externalTrain(opts: TrainOptions, base: JobSpec, datasets: Record<string, Dataset>, out: string): Promise<number> {
  const spec: JobSpec = { ...base, trainer: { command: opts.trainer, timeoutSeconds: opts.trainerTimeout, files: trainerFiles(opts.trainer) } };
  let result;
  let bar: ReturnType<typeof progress> | null = null; // from the trainer's progress lines, once it sends any
  try {
    result = (await runJob(spec, out, datasets, new ExampleCache(datasets), (i) => (bar ??= progress(i.total, `train ${spec.protocol}`)).update(i.done, i.loss, `${i.phase} ${i.step}/${i.steps}`), undefined, undefined, 'replace')) as ExternalJobResult;
  } catch (err) {
    if (err instanceof TrainerError) {
      process.stderr.write(`cft-bench: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    (bar as ReturnType<typeof progress> | null)?.stop();
  }
  if (opts.json) process.stdout.write(readFileSync(join(out, 'result.json'), 'utf8'));
  else {
    const ev = opts.eval === 'none' ? undefined : result.scores[opts.eval as Split];
    const t = result.trainer;
    process.stdout.write(`${result.protocol}: ${result.steps} steps by ${t.name} ${t.version} on ${t.device} in ${result.seconds.toFixed(1)} s; ledger checked` + (ev ? `; ${spec.downstream} ${ev.split} frame-mAP ${ev.mAP.toFixed(4)} (scored by cft-bench)` : '') + `\nwrote ${join(out, 'result.json')}\n`);
  }
  return 0;
}

/** Datasets of a manifest as their train sizes alone (all a plan reads; kind for the role checks). */
function sizeOnly(setting: ManifestSetting): Record<string, Dataset> {
  return Object.fromEntries(Object.entries(setting.sizes).map(([name, n]) => [name, { name, kind: setting.manifest.datasets[name]!.kind, sizes: { train: n } } as unknown as Dataset]));
}

export async function trainCommand(opts: TrainOptions): Promise<number> {
  const { steps, lr, seed } = opts;
  let batch = opts.batch;
  let protocol;
  try {
    protocol = await resolveProtocol(opts.protocol);
    parseSampler(opts.sampler);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // --manifest: the datasets are the manifest's (--benchmark/--upstream name them; default: its roles)
  const setting =
    opts.manifest === undefined
      ? null
      : await manifestSetting({
          manifest: opts.manifest,
          budgetScale: 1,
          quick: false,
          batch,
          planOnly: opts.writePlan !== undefined,
          budgetsOptional: true,
          external: opts.trainer !== 'tfjs',
          dataCache: join(dirname(resolve(opts.out ?? join('reports', 'train'))), '.cache', 'data'),
          splits: opts.eval === 'none' ? [] : [opts.eval as Split],
          ...(opts.benchmark !== 'synth-ava' ? { downstream: opts.benchmark } : {}),
          ...(opts.upstream.join(',') !== 'synth-kinetics' ? { upstream: opts.upstream } : {}),
        });
  if (setting !== null) {
    opts = { ...opts, benchmark: setting.downstream, upstream: [...setting.upstream] };
    batch = setting.batch;
  }
  const upstream = opts.upstream;
  let datasets: Record<string, Dataset>;
  try {
    datasets =
      setting !== null && opts.writePlan !== undefined
        ? sizeOnly(setting) // a plan needs sizes only: no data read
        : loadDatasets({ downstream: opts.benchmark, upstream, benchmarkSeed: 0, ...(setting?.datasets != null ? { datasets: setting.datasets } : {}) });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (datasets[opts.benchmark]!.kind !== 'localisation') throw new UsageError(`--benchmark ${opts.benchmark} is a classification set; give the downstream localisation set (synth-ava)`);
  if (protocol.upstream !== 'none' && upstream.length === 0) throw new UsageError(`protocol ${protocol.name} needs --upstream`);
  for (const u of upstream) {
    if (u === opts.benchmark || datasets[u]!.kind !== 'classification') throw new UsageError(`--upstream ${u}: an upstream set must be a classification set other than the downstream set (${opts.benchmark})`);
  }
  if (new Set(upstream).size !== upstream.length) throw new UsageError(`--upstream ${upstream.join(',')}: a set is named twice`);
  if (protocol.upstream === 'all' && upstream.length < 2) throw new UsageError(`protocol ${protocol.name} co-finetunes several upstream sets: give at least two with --upstream (e.g. synth-kinetics,synth-ssv2,synth-mit); with one it would be cofinetune under another name`);
  // --steps N: the default 1:2 downstream:upstream split of the prototype (downstream-only trains its N/3 steps)
  const downSteps = Math.max(1, Math.round(steps / 3));
  const spec: JobSpec = {
    protocol: opts.protocol,
    protocolSource: protocolSourceHash(opts.protocol),
    seed,
    lr,
    pretrainLr: opts.pretrainLr,
    budget:
      setting?.budgets != null
        ? { downstream: setting.budgets.examples[opts.benchmark]!, upstream: upstream.length === 0 ? 0 : (setting.upstreamTotal ?? setting.budgets.examples[upstream[0]!]!) }
        : { downstream: downSteps * batch, upstream: Math.max(1, steps - downSteps) * batch },
    ...(setting?.budgets != null && setting.upstreamTotal === null ? { upstreamBudgets: Object.fromEntries(upstream.map((u) => [u, setting.budgets!.examples[u]!])) } : {}),
    batch,
    sampler: opts.sampler,
    downstream: opts.benchmark,
    upstream,
    ...(setting?.datasets != null ? { datasets: setting.datasets } : {}),
    benchmarkSeed: 0,
    backend: opts.backend as BackendName,
    evalSplits: opts.eval === 'none' ? [] : [opts.eval as Split],
    codeVersion: codeVersion(),
  };
  if (opts.writePlan !== undefined) {
    // the schedule the built-in trainer would execute, for a trainer of your own (no training here)
    if (/[/\\]$/.test(opts.writePlan)) {
      // a folder (trailing slash): plan.json + NPY arrays, streamed (plan-files.ts), for plans of any size
      const dir = opts.writePlan.replace(/[/\\]+$/, '');
      const sizes = Object.fromEntries(Object.entries(datasets).map(([n, d]) => [n, d.sizes.train ?? 0]));
      const header = await writeReportDir(dir, async (stage) => {
        const h = writePlanDir(protocol, jobContext(spec, protocol), sizes, seed, stage);
        writeFileSync(join(stage, 'plans.json'), JSON.stringify({ format: PLAN_DIR_FORMAT, runs: ['.'] }) + '\n');
        return h;
      });
      process.stdout.write(`wrote ${dir}/: ${header.format}, ${protocol.name} seed ${seed}, steps ${header.phases.map((p) => `${p.name} ${p.steps}`).join(', ')}; ledger ${Object.entries(header.ledger.totals).map(([d, t]) => `${d} ${t.examples}`).join(', ')}\n`);
      return 0;
    }
    const plan = trainingPlan(protocol, jobContext(spec, protocol), datasets, seed);
    writeFileAtomic(opts.writePlan, JSON.stringify(plan) + '\n');
    const steps = plan.phases.map((p) => `${p.name} ${p.steps.length}`).join(', ');
    process.stdout.write(`wrote ${opts.writePlan}: ${plan.format}, ${protocol.name} seed ${seed}, steps ${steps}; ledger ${Object.entries(plan.ledger.totals).map(([d, t]) => `${d} ${t.examples}`).join(', ')}\n`);
    return 0;
  }
  const out = opts.out ?? join('reports', `train-${protocol.name}-seed${seed}`);
  checkReplaceable(out);
  if (opts.trainer !== 'tfjs') return externalTrain(opts, spec, datasets, out);
  const backend = await loadBackend(spec.backend);
  process.stderr.write(`backend: ${backend.name} — ${backend.note}\n`);
  const total = protocol.phases({ downstream: spec.downstream, upstream, budget: spec.budget, batch, lr, pretrainLr: spec.pretrainLr, sampler: parseSampler(spec.sampler) }).reduce((s, p) => s + Object.values(p.examples).reduce((a, b) => a + b, 0) / batch, 0);
  const bar = progress(total, `train ${protocol.name}`);
  const result = await runJob(spec, out, datasets, new ExampleCache(datasets), (i) => bar.update(i.done, i.loss, `${i.phase} ${i.step}/${i.steps}`), undefined, undefined, 'replace');
  bar.stop();
  if (opts.json) process.stdout.write(readFileSync(join(out, 'result.json'), 'utf8'));
  else {
    const ev = opts.eval === 'none' ? undefined : result.scores[opts.eval as Split];
    const acc = Object.entries(result.upstreamAccuracy).map(([u, a]) => `${u} val accuracy ${a.toFixed(3)}`);
    process.stdout.write(
      `${result.protocol}: ${result.steps} steps in ${result.seconds.toFixed(1)} s on ${result.backend}` +
        (ev ? `; ${spec.downstream} ${ev.split} frame-mAP ${ev.mAP.toFixed(4)}` : '') +
        (acc.length > 0 ? `; ${acc.join(', ')}` : '') +
        `\nwrote ${join(out, 'model')} and ${join(out, 'result.json')} (ledger, losses, scores)${ev ? `; AVA files in ${join(out, ev.split)}` : ''}\n`,
    );
  }
  return 0;
}
