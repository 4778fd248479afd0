/**
 * Terminal summary of an evaluation (cli-table3): headline, groups, and where the files went.
 */
import Table from 'cli-table3';
import { fmt } from './markdown.js';
import type { EvalResultDoc } from './result-doc.js';

export function evalTerminalSummary(doc: EvalResultDoc, written: string[], seconds: number): string {
  const head = new Table({ head: ['protocol', 'mAP', ...Object.keys(doc.groups).map((g) => `${g} mAP`)] });
  head.push([
    doc.protocol.name,
    fmt(doc.mAP) + (doc.mAPRange ? ` [${fmt(doc.mAPRange[0])}, ${fmt(doc.mAPRange[1])}]` : ''),
    ...Object.values(doc.groups).map((g) => `${fmt(g.mAP)} (${g.classesWithGt}/${g.classes.length})`),
  ]);
  const pred = doc.counts.predictions;
  const lines = [
    head.toString(),
    `groups: ${doc.grouping.rule}, counts from ${doc.grouping.countsSource}${doc.grouping.note ? ` — ${doc.grouping.note}` : ''}`,
    `rows: ${doc.counts.gt['rowsRead']} GT, ${pred['rowsRead']} predictions (${pred['scored']} scored, ${pred['overCap']} over the cap, ${pred['notInLabelMap']} not in the label map); ${doc.counts.keyframes['gtScored']} GT keyframes`,
    ...(doc.shards !== undefined ? [`${doc.shards.files.length} prediction shards merged: ${doc.shards.duplicateRows} rows repeated across shards counted once (${doc.shards.sharedKeyframes} keyframes in more than one shard)`] : []),
    `${seconds.toFixed(2)} s`,
    ...written.map((w) => `wrote ${w}`),
  ];
  return lines.join('\n');
}
