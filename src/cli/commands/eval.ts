/**
 * `cft-bench eval`: frame-mAP of a prediction file against AVA-format GT, with head/mid/tail
 * groups; writes per_class.csv, summary.md, report.html and result.json (atomically) into --out.
 */
import { basename, join } from 'node:path';
import { expandPathArgs } from '../../data/path-args.js';
import { EVIDENCE_FILE, evidenceSidecar } from '../../reports/keyframe-data.js';
import { evaluateFiles } from '../../metrics/evaluator.js';
import { getPreset } from '../../metrics/presets.js';
import { perClassCsv } from '../../reports/csv.js';
import { evalSummaryMarkdown } from '../../reports/markdown.js';
import { buildEvalResultDoc } from '../../reports/result-doc.js';
import { evalTerminalSummary } from '../../reports/terminal.js';
import { writeReportFiles } from '../../reports/atomic-write.js';
import { evalHtml } from '../../reports/html-report.js';
import { UsageError } from '../errors.js';
import { resolveGrouping } from '../grouping.js';
import { VERSION } from '../version.js';

export interface EvalCommandOptions {
  gt: string;
  pred: string[];
  labelmap: string;
  exclusions?: string;
  protocol: string;
  trainGt?: string;
  classCounts?: string;
  groups?: string;
  ties: string;
  out?: string;
  name?: string;
  json?: boolean;
  skipBadRows?: boolean;
  workers: number;
}

export function reportName(predPath: string): string {
  return basename(predPath).replace(/\.gz$/i, '').replace(/\.csv$/i, '') || 'eval';
}


export async function evalCommand(opts: EvalCommandOptions): Promise<number> {
  let preset;
  try {
    preset = getPreset(opts.protocol);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (opts.ties !== 'exact' && opts.ties !== 'bounds') throw new UsageError(`--ties must be exact or bounds (got '${opts.ties}')`);
  const workers = opts.workers;
  const ties = opts.ties;
  const preds = expandPathArgs(opts.pred, '--pred', { onlyFiles: true }); // several files or a quoted glob: shards
  const run = await evaluateFiles({ gt: opts.gt, pred: preds, labelMap: opts.labelmap, exclusions: opts.exclusions }, preset, {
    tieBounds: ties === 'bounds',
    skipBadRows: opts.skipBadRows ?? false,
    workers,
  });
  const grouping = await resolveGrouping(opts, run);
  // the per-keyframe evidence `check` and `diff` need, as a compact sidecar named in result.json
  const { bytes: sidecar, evidence } = evidenceSidecar(run);
  const doc = { ...buildEvalResultDoc(run, grouping, ties, VERSION), evidence };
  const name = opts.name ?? (preds.length === 1 ? reportName(preds[0]!) : `${reportName(preds[0]!)}-and-${preds.length - 1}-more`);
  const outDir = opts.out ?? join('reports', name);
  const json = JSON.stringify(doc, null, 2) + '\n';
  const written = writeReportFiles(outDir, {
    'per_class.csv': await perClassCsv(doc),
    'summary.md': evalSummaryMarkdown(doc, name),
    'report.html': evalHtml(doc, name),
    [EVIDENCE_FILE]: sidecar,
    'result.json': json,
  });
  if (opts.json) process.stdout.write(json);
  else process.stdout.write(evalTerminalSummary(doc, written, run.timings.total) + '\n');
  return 0;
}
