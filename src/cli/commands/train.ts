/**
 * `cft-bench train`: trains one model with one protocol on the embedded benchmark and writes
 * the model, its budget ledger and (unless --eval none) its predictions and eval reports.
 */
import { join } from 'node:path';
import { embeddedDataset } from '../../data/benchmarks.js';
import type { Dataset, LocalisationDataset, Split } from '../../data/datasets.js';
import { evaluatePredictions } from '../../metrics/evaluate-predictions.js';
import { DEFAULT_BATCH } from '../../protocols/budget.js';
import { resolveProtocol } from '../../protocols/protocol.js';
import { runProtocol } from '../../protocols/runner.js';
import { parseSampler } from '../../protocols/sampler.js';
import { loadBackend, BACKEND_NAMES, type BackendName } from '../../trainers/backend.js';
import { writeFileAtomic } from '../../reports/atomic-write.js';
import { UsageError } from '../errors.js';
import { progress } from '../progress.js';

export interface TrainOptions {
  benchmark: string;
  upstream: string;
  protocol: string;
  steps: string;
  lr: string;
  pretrainLr: string;
  sampler: string;
  seed: string;
  backend: string;
  batch: string;
  eval: string;
  out?: string;
  json?: boolean;
}

function positiveNumber(name: string, text: string, integer = false): number {
  const v = Number(text);
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got '${text}')`);
  return v;
}

export async function trainCommand(opts: TrainOptions): Promise<number> {
  const steps = positiveNumber('steps', opts.steps, true);
  const batch = positiveNumber('batch', opts.batch, true);
  const lr = positiveNumber('lr', opts.lr);
  const seed = Number(opts.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer (got '${opts.seed}')`);
  if (!BACKEND_NAMES.includes(opts.backend as BackendName)) throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
  if (!['val', 'test', 'none'].includes(opts.eval)) throw new UsageError(`--eval must be val, test or none`);
  let protocol, sampler;
  try {
    protocol = await resolveProtocol(opts.protocol);
    sampler = parseSampler(opts.sampler);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const datasets: Record<string, Dataset> = {};
  let down: LocalisationDataset;
  try {
    const d = embeddedDataset(opts.benchmark);
    if (d.kind !== 'localisation') throw new Error(`--benchmark ${opts.benchmark} is a classification set; give the downstream localisation set (synth-ava)`);
    down = d;
    datasets[d.name] = d;
    for (const u of opts.upstream.split(',').filter(Boolean)) datasets[u] = embeddedDataset(u);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const upstream = Object.keys(datasets).filter((n) => n !== down.name);
  if (protocol.upstream !== 'none' && upstream.length === 0) throw new UsageError(`protocol ${protocol.name} needs --upstream`);
  // --steps N: the default 1:2 downstream:upstream split of the prototype (downstream-only trains its N/3 steps)
  const downSteps = protocol.upstream === 'none' && upstream.length === 0 ? steps : Math.max(1, Math.round(steps / 3));
  const ctx = {
    downstream: down.name,
    upstream,
    budget: { downstream: downSteps * batch, upstream: Math.max(1, steps - downSteps) * batch },
    batch,
    lr,
    pretrainLr: positiveNumber('pretrain-lr', opts.pretrainLr),
    sampler,
  };
  const backend = await loadBackend(opts.backend as BackendName);
  process.stderr.write(`backend: ${backend.name} — ${backend.note}\n`);
  const out = opts.out ?? join('reports', `train-${protocol.name}-seed${seed}`);
  const bar = progress(protocol.phases(ctx).reduce((s, p) => s + Object.values(p.examples).reduce((a, b) => a + b, 0) / batch, 0), `train ${protocol.name}`);
  const result = runProtocol({ protocol, ctx, datasets, seed, backend, onStep: (i) => bar.update(i.done, i.loss, `${i.phase} ${i.step}/${i.steps}`) });
  bar.stop();
  result.trainer.save(join(out, 'model'));
  const summary: Record<string, unknown> = {
    schemaVersion: 1,
    kind: 'train',
    protocol: protocol.name,
    seed,
    backend: backend.name,
    batch,
    lr,
    pretrainLr: ctx.pretrainLr,
    sampler: opts.sampler,
    budget: ctx.budget,
    steps: result.steps,
    seconds: result.seconds,
    finalLoss: result.finalLoss,
    ledger: result.ledger,
  };
  if (opts.eval !== 'none') {
    const split = opts.eval as Split;
    const examples = Array.from({ length: down.sizes[split] ?? 0 }, (_, i) => down.example(split, i));
    const ev = await evaluatePredictions(down, split, result.trainer.predict(examples), join(out, split));
    summary['eval'] = { split, mAP: ev.run.summary.mAP, perClass: ev.run.summary.classes.map((c) => ({ id: c.id, name: c.name, ap: Number.isNaN(c.ap) ? null : c.ap })), files: ev.files };
    for (const u of upstream.filter((u) => result.trainer.params[`up:${u}`] !== undefined)) {
      const d = datasets[u]!;
      const n = Math.min(1000, d.sizes.val ?? 0);
      const acc = result.trainer.accuracy(Array.from({ length: n }, (_, i) => (d.kind === 'classification' ? d.example('val', i) : null)!), u);
      (summary['upstreamAccuracy'] ??= {} as Record<string, number>);
      (summary['upstreamAccuracy'] as Record<string, number>)[u] = acc;
    }
  }
  const json = JSON.stringify(summary, null, 2) + '\n';
  writeFileAtomic(join(out, 'train.json'), json);
  if (opts.json) process.stdout.write(json);
  else {
    const ev = summary['eval'] as { split: string; mAP: number } | undefined;
    process.stdout.write(
      `${protocol.name}: ${result.steps} steps in ${result.seconds.toFixed(1)} s on ${backend.name}` +
        (ev ? `; ${down.name} ${ev.split} frame-mAP ${ev.mAP.toFixed(4)}` : '') +
        `\nwrote ${join(out, 'model')} and ${join(out, 'train.json')}\n`,
    );
  }
  return 0;
}
