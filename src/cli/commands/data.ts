/**
 * `cft-bench data export` (the embedded benchmark as NPY + AVA-format files) and
 * `cft-bench data show` (a PNG contact sheet of localisation examples).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedDataset, EMBEDDED_DATASETS } from '../../data/benchmarks.js';
import { exportDataset, openDatasetDir } from '../../data/dataset-files.js';
import type { Dataset, Split } from '../../data/datasets.js';
import { contactSheetPng } from '../../reports/contact-sheet.js';
import { writeFileAtomic, writeReportDir } from '../../reports/atomic-write.js';
import { UsageError } from '../errors.js';

/** An embedded dataset by name, or a dataset directory (dataset.json inside). */
export function openDataset(nameOrDir: string, seed = 0): Dataset {
  if (existsSync(nameOrDir) && statSync(nameOrDir).isDirectory()) return openDatasetDir(nameOrDir);
  try {
    return embeddedDataset(nameOrDir, seed);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}, or a dataset directory`);
  }
}

export async function dataExportCommand(opts: { benchmark: string; upstream?: string[]; out: string; seed: number }): Promise<number> {
  const names = opts.benchmark === 'all' ? Object.keys(EMBEDDED_DATASETS) : [opts.benchmark, ...(opts.upstream ?? [])];
  for (const n of names) {
    const d = openDataset(n, opts.seed);
    const t0 = performance.now();
    // each dataset folder whole or absent (staged, then swapped in)
    const files = await writeReportDir(join(opts.out, d.name), async (stage) => exportDataset(d, stage).length);
    process.stdout.write(`${d.name}: ${files} files in ${join(opts.out, d.name)} (${((performance.now() - t0) / 1e3).toFixed(1)} s)\n`);
  }
  return 0;
}

export async function dataShowCommand(opts: { benchmark: string; split: string; count: number; start: number; out: string; seed: number }): Promise<number> {
  const d = openDataset(opts.benchmark, opts.seed);
  if (d.kind !== 'localisation') throw new UsageError(`data show draws localisation sets (boxes and labels); ${d.name} is a classification set`);
  const split = opts.split as Split;
  const size = d.sizes[split] ?? 0;
  const start = opts.start;
  const count = Math.min(opts.count, size - start);
  if (!(count > 0)) throw new UsageError(`--split ${split} has ${size} examples; nothing to show from ${start}`);
  const examples = Array.from({ length: count }, (_, i) => d.example(split, start + i));
  writeFileAtomic(opts.out, contactSheetPng(d, examples));
  process.stdout.write(`wrote ${opts.out} (${count} ${d.name} ${split} examples from ${start})\n`);
  return 0;
}
