/**
 * `summary.md` for an evaluation: mAP, group mAPs, the per-class table sorted by training
 * count, the protocol fingerprint, input files with sha256, and row counts by drop reason.
 * Text from input files (class names, paths) is escaped so it cannot break the Markdown.
 */
import type { EvalResultDoc } from './result-doc.js';

/** Escapes Markdown-significant characters (and pipes/newlines, for table cells). */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n|\r/g, ' ');
}

export function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits);
}

export function mdTable(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function evalSummaryMarkdown(doc: EvalResultDoc, title: string): string {
  const p = doc.protocol;
  const bounds = p.ties === 'bounds';
  const out: string[] = [];
  out.push(`# Frame-mAP@${p.iouThreshold}: ${mdEscape(title)}`, '');
  out.push(`**mAP ${fmt(doc.mAP)}**${doc.mAPRange ? ` (range over tie orders: ${fmt(doc.mAPRange[0])} – ${fmt(doc.mAPRange[1])})` : ''} · protocol \`${p.name}\``, '');
  out.push('## Groups', '');
  out.push(`Rule \`${mdEscape(doc.grouping.rule)}\`, counts from **${doc.grouping.countsSource}**${doc.grouping.countsPath ? ` (${mdEscape(doc.grouping.countsPath)})` : ''}.`);
  if (doc.grouping.note) out.push('', `> ${mdEscape(doc.grouping.note)}`);
  out.push('');
  out.push(
    mdTable(
      ['group', 'mAP', 'classes', 'with GT'],
      Object.entries(doc.groups).map(([g, s]) => [mdEscape(g), fmt(s.mAP), String(s.classes.length), String(s.classesWithGt)]),
      ['l', 'r', 'r', 'r'],
    ),
    '',
  );
  out.push(`## Per class (sorted by ${doc.grouping.countsSource === 'evaluated-gt' ? 'evaluated GT count' : 'training count'})`, '');
  // by training count; without training counts, by the evaluated GT counts the groups used
  const rows = [...doc.perClass].sort((a, b) => (b.trainCount ?? b.numGt) - (a.trainCount ?? a.numGt) || a.id - b.id);
  out.push(
    mdTable(
      ['id', 'name', 'group', 'train', 'GT', 'dets', 'TP', 'AP', ...(bounds ? ['AP min', 'AP max'] : [])],
      rows.map((c) => [String(c.id), mdEscape(c.name), mdEscape(c.group), c.trainCount === null ? '—' : String(c.trainCount), String(c.numGt), String(c.numDets), String(c.numTp), fmt(c.ap), ...(bounds ? [fmt(c.apMin), fmt(c.apMax)] : [])]),
      ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  out.push('## Protocol fingerprint', '');
  out.push(
    mdTable(
      ['field', 'value'],
      [
        ['protocol', `\`${p.name}\` — ${mdEscape(p.description)}`],
        ['label map', `${p.labelMap.classes} classes (max id ${p.labelMap.maxId}), sha256 \`${p.labelMap.sha256}\``],
        ['keyframe key', mdEscape(p.keyFormat)],
        ['exclusions', `${mdEscape(p.exclusions.policy)}; ${p.exclusions.keyframes} keyframes${p.exclusions.sha256 ? `, sha256 \`${p.exclusions.sha256}\`` : ''}`],
        ['negative keyframes', p.negativeKeyframes],
        ['per-keyframe cap', p.cap === null ? 'none' : `top ${p.cap} over all classes`],
        ['IoU threshold', `>= ${p.iouThreshold}`],
        ['ties', `${p.ties} (${mdEscape(p.tieRule)})`],
        ['detection / GT order', `${p.detectionOrder} / ${p.groundTruthOrder}`],
        ['precision', p.float32 ? 'float32 boxes and scores' : 'float64'],
        ['class with GT, no detections', p.classWithoutDetections === 'zero' ? 'AP 0, in the mean' : 'left out of the mean'],
      ],
    ),
    '',
  );
  out.push('## Inputs', '');
  out.push(mdTable(['role', 'path', 'bytes', 'sha256'], doc.inputs.map((f) => [f.role, mdEscape(f.path), String(f.bytes), `\`${f.sha256}\``]), ['l', 'l', 'r', 'l']), '');
  out.push('## Rows read and dropped', '');
  const countRows: string[][] = [];
  for (const [file, counts] of Object.entries(doc.counts)) {
    if (counts === null) continue;
    for (const [k, v] of Object.entries(counts)) countRows.push([file, k, String(v)]);
  }
  out.push(mdTable(['file', 'count', 'rows'], countRows, ['l', 'l', 'r']), '');
  return out.join('\n');
}
