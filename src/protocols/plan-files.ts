/**
 * A training plan as files, for runs of any size: a directory numpy reads without extra
 * packages, written streaming (memory independent of the number of example ids).
 *
 *   plan.json                 format cft-bench-plan/2: protocol, seed, downstream, batch, and
 *                             per phase its name, sampler, peak LR, freshOptimizers,
 *                             headsOnly, steps, datasets (column order) and files; the ledger
 *   phase<K>_counts.npy       int32 [steps, D]: examples of each of the phase's D datasets in
 *                             each step (a step's batch, in dataset column order)
 *   phase<K>_lr.npy           float64 [steps]: the LR of each step
 *   phase<K>_ids_<j>.npy      int32 [examples]: dataset j's example ids in consumption order;
 *                             step s takes the next counts[s, j] of them
 *
 * The same plan as training-plan.ts (the JSON form): the same steps, ids, LRs and ledger
 * (tested), built from the same sampler, streams and schedule.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'npyjs';
import { readNpyHeader } from '../data/npy.js';
import { LedgerRecorder, type Ledger } from './ledger.js';
import type { Protocol, ProtocolContext } from './protocol.js';
import { planSteps, samplerName } from './sampler.js';
import { warmupCosine } from './schedule.js';
import { planSeed } from './training-plan.js';

export const PLAN_DIR_FORMAT = 'cft-bench-plan/2';

/** Ids written per chunk: bounds memory, whatever the budget. */
const CHUNK = 1 << 16;

export interface PlanDirPhase {
  readonly name: string;
  readonly sampler: string;
  readonly lr: number;
  readonly freshOptimizers: boolean;
  readonly headsOnly: boolean;
  readonly steps: number;
  readonly datasets: readonly string[];
  readonly files: { readonly counts: string; readonly lr: string; readonly ids: readonly string[] };
}

export interface PlanDirHeader {
  readonly format: typeof PLAN_DIR_FORMAT;
  readonly protocol: string;
  readonly seed: number;
  readonly downstream: string;
  readonly batch: number;
  readonly phases: readonly PlanDirPhase[];
  readonly ledger: Ledger;
}

/** An NPY file written in pieces: the header for the whole shape first, then the data as it comes. */
class NpyWriter {
  private readonly fd: number;
  constructor(path: string, dtype: 'int32' | 'float64', shape: number[]) {
    this.fd = openSync(path, 'w');
    const empty = dtype === 'int32' ? new Int32Array(0) : new Float64Array(0);
    writeSync(this.fd, new Uint8Array(dump(empty, shape)));
  }
  write(data: Int32Array | Float64Array): void {
    writeSync(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Each step's kind (training-plan.ts stepKind: its datasets, in column order) of a written phase, from its counts file. */
export function readStepKinds(dir: string, phase: PlanDirPhase): string[] {
  const path = join(dir, phase.files.counts);
  const h = readNpyHeader(path);
  const D = phase.datasets.length;
  if (h.dtype !== '<i4' || h.shape.join(',') !== `${phase.steps},${D}`) throw new Error(`${path}: expected int32 [${phase.steps}, ${D}], got ${h.dtype} [${h.shape.join(', ')}]`);
  const bytes = readFileSync(path).subarray(h.dataOffset);
  const counts = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + phase.steps * D * 4));
  return Array.from({ length: phase.steps }, (_, s) => phase.datasets.filter((_, j) => counts[s * D + j]! > 0).join('+'));
}

/**
 * Writes the plan of `protocol` under `ctx` into `dir`, plan.json last (created; the caller
 * makes it whole or absent). `trainSizes`: each dataset's train split size (the ids the streams draw from).
 */
export function writePlanDir(protocol: Protocol, ctx: ProtocolContext, trainSizes: Readonly<Record<string, number>>, seed: number, dir: string): PlanDirHeader {
  mkdirSync(dir, { recursive: true });
  const ledger = new LedgerRecorder(seed);
  const phases: PlanDirPhase[] = [];
  for (const [k, phase] of protocol.phases(ctx).entries()) {
    let plan: ReturnType<typeof planSteps> | null = planSteps(phase.examples, ctx.batch, phase.sampler, planSeed(seed, protocol, phase));
    const steps = plan.length;
    const datasets = Object.keys(phase.examples);
    for (const d of datasets) if (!(trainSizes[d]! > 0)) throw new Error(`dataset ${d} has no training examples`);
    const col = new Map(datasets.map((d, j) => [d, j]));
    const D = datasets.length;
    ledger.beginPhase(phase.name, samplerName(phase.sampler));
    // counts and LRs: one row per step
    const counts = new Int32Array(steps * D);
    const lrs = new Float64Array(steps);
    const used = new Array<number>(D).fill(0);
    plan.forEach((parts, s) => {
      for (const [d, n] of parts) {
        counts[s * D + col.get(d)!]! += n;
        used[col.get(d)!]!++;
      }
      lrs[s] = warmupCosine(phase.lr, s, steps);
    });
    plan = null; // the per-step parts (tens of MB at the paper's scale) are in `counts` now
    const files = { counts: `phase${k}_counts.npy`, lr: `phase${k}_lr.npy`, ids: datasets.map((_, j) => `phase${k}_ids_${j}.npy`) };
    const c = new NpyWriter(join(dir, files.counts), 'int32', [steps, D]);
    c.write(counts);
    c.close();
    const l = new NpyWriter(join(dir, files.lr), 'float64', [steps]);
    l.write(lrs);
    l.close();
    // each dataset's ids in consumption order, streamed in chunks: a dataset's ids within a phase
    // are its stream's next ones, in step order, so they can be drawn all at once
    datasets.forEach((d, j) => {
      const total = phase.examples[d]!;
      const w = new NpyWriter(join(dir, files.ids[j]!), 'int32', [total]);
      const stream = ledger.stream(d, trainSizes[d]!);
      for (let done = 0; done < total; ) {
        const ids = stream.next(Math.min(CHUNK, total - done));
        ledger.recordIds(d, ids, used[j]!, steps);
        w.write(Int32Array.from(ids));
        done += ids.length;
      }
      w.close();
    });
    phases.push({ name: phase.name, sampler: samplerName(phase.sampler), lr: phase.lr, freshOptimizers: phase.freshOptimizers, headsOnly: phase.headsOnly === true, steps, datasets, files });
  }
  const header: PlanDirHeader = { format: PLAN_DIR_FORMAT, protocol: protocol.name, seed, downstream: ctx.downstream, batch: ctx.batch, phases, ledger: ledger.finish() };
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(header, null, 1) + '\n');
  return header;
}
