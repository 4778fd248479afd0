/**
 * `cft-bench diff A B`: the paired comparison of two eval (or infer) results on the same GT,
 * without a verdict — per class and per group Δ AP (B − A) with paired bootstrap 95% CIs over
 * keyframes or videos; writes diff.md, diff.csv, diff.json and diff-vs-count.svg into --out.
 * Exit 0, or 2 on bad input (unreadable results, different GT/label map/exclusions/protocol).
 */
import { basename, dirname, join, resolve } from 'node:path';
import { pairedDiff, type ResampleUnit } from '../../metrics/paired-diff.js';
import { writeFileAtomic, writeReportFiles } from '../../reports/atomic-write.js';
import { diffCsv, diffGithubAnnotations, diffMarkdown, diffSvg, diffTerminal } from '../../reports/diff-report.js';
import { diffHtml } from '../../reports/html-report.js';
import { InputError } from '../../data/input-error.js';
import { incomparable, readPairedSides } from '../../reports/paired-inputs.js';
import { UsageError } from '../errors.js';

export interface DiffOptions {
  by: string;
  resamples: string;
  seed: string;
  out?: string;
  markdown?: string;
  json?: boolean;
  github?: boolean;
}

/** A short name for a result: its directory's name. */
const sideName = (arg: string) => basename(arg.endsWith('.json') ? dirname(resolve(arg)) : resolve(arg));

export async function diffCommand(a: string, b: string, opts: DiffOptions): Promise<number> {
  if (opts.by !== 'keyframe' && opts.by !== 'video') throw new UsageError(`--by '${opts.by}': expected keyframe or video`);
  const resamples = Number(opts.resamples);
  const seed = Number(opts.seed);
  if (!(Number.isInteger(resamples) && resamples >= 10)) throw new UsageError('--resamples must be an integer >= 10');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  // a quoted glob on a side: that recipe's training seeds
  const sidesA = readPairedSides([a], 'A');
  const sidesB = readPairedSides([b], 'B');
  for (const s of [...sidesA.slice(1), ...sidesB]) {
    const why = incomparable(sidesA[0]!, s);
    if (why !== null) throw new InputError(s.path, null, why.replace('the baseline', sidesA.length === 1 ? a : sidesA[0]!.path));
  }
  const names = { a: sideName(a), b: sideName(b) };
  if (names.a === names.b) Object.assign(names, { a: `A:${names.a}`, b: `B:${names.b}` });
  const d = pairedDiff(sidesA.map((s) => ({ doc: s.doc, ranked: s.ranked })), sidesB.map((s) => ({ doc: s.doc, ranked: s.ranked })), { by: opts.by as ResampleUnit, resamples, seed });
  const md = diffMarkdown(d, names);
  const json = JSON.stringify({ schemaVersion: 1, kind: 'diff', a: { name: names.a, path: a }, b: { name: names.b, path: b }, ...d }, null, 2) + '\n';
  const files: Record<string, string> = { 'diff.md': md, 'diff.csv': await diffCsv(d), 'diff.json': json, 'report.html': diffHtml(d, names) };
  const svg = await diffSvg(d, names);
  if (svg !== null) files['diff-vs-count.svg'] = svg;
  const out = opts.out ?? join('reports', `diff-${names.b}-vs-${names.a}`.replace(/[^\w.-]+/g, '_'));
  const written = writeReportFiles(out, files);
  if (opts.markdown) writeFileAtomic(opts.markdown, md);
  if (opts.json) process.stdout.write(json);
  else process.stdout.write(`${diffTerminal(d, names)}wrote ${written.join(', ')}\n`);
  if (opts.github) process.stdout.write(diffGithubAnnotations(d, names));
  return 0;
}
