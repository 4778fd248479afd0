/**
 * A dataset declared by its annotation files (manifest.ts, `kind` with `gt`/`list` files) made
 * into the folder a trainer is handed: the `data export` layout without clips — the trainer
 * reads its own frames — plus where cft-bench scores it (the user's own GT, exclusions and
 * evaluation preset), recorded in dataset.json.
 *
 *   localisation: labelmap.pbtxt; per split <split>_keyframes.csv (example id = row: keyframes
 *     sorted by video id, then timestamp), <split>_gt.csv (the GT rows of label-map classes),
 *     <split>_detections.csv (the split's `proposals`, else its GT person boxes with score 1);
 *     train_counts.csv (GT instances per class in train: head/mid/tail)
 *   classification: classes.csv (header id,name); <split>_labels.csv (header label; the class
 *     index of row i of the split's list); <split>_list.csv (the declared list itself, so the
 *     trainer finds example i's clip: its row i after the header)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EvaluationFiles, Split } from './datasets.js';
import { DATASET_FORMAT } from './dataset-files.js';
import { InputError } from './input-error.js';
import { readLabelMap } from './label-map.js';
import type { DeclaredDataset } from './manifest.js';
import { splitCsvRecord } from './csv-record.js';
import { readNpyHeader } from './npy.js';

const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** The content digest of a files-declared dataset: its declaration and every file it names. */
export function declaredDigest(d: DeclaredDataset): string {
  if (d.source.kind !== 'files') throw new Error(`${d.name} is not declared by files`);
  const hash = createHash('sha256').update(JSON.stringify({ kind: d.kind, sizes: d.sizes, preset: d.preset, files: Object.keys(d.source.files).sort() }));
  for (const role of Object.keys(d.source.files).sort()) hash.update(`${role}\n`).update(readFileSync(d.source.files[role]!));
  // clips are not read whole (hundreds of GB at real scale): each file by path, size and modification time
  for (const f of clipFiles(d)) {
    const st = statSync(f.path);
    hash.update(`clips ${f.name} ${f.path} ${st.size} ${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const rows = (path: string) =>
  readFileSync(path, 'utf8')
    .split(/\r\n|\r|\n/)
    .map((line, i) => ({ line, i }))
    .filter((r) => r.line.trim() !== '');

function fields(path: string, line: string, i: number): string[] {
  const f = splitCsvRecord(line);
  if (f === undefined) throw new InputError(path, i + 1, 'an unterminated quote');
  return f;
}

/** A files-declared set's clip files (`clips:` folder), one per declared split. */
function clipFiles(d: DeclaredDataset): { name: string; path: string }[] {
  if (d.source.kind !== 'files' || d.source.clips === null) return [];
  const dir = d.source.clips;
  return SPLITS.filter((x) => d.sizes[x] !== undefined).map((split) => ({ name: `${split}_clips.npy`, path: resolve(dir, `${split}_clips.npy`) }));
}

/** Writes the trainer's folder for `d` into `dir` (created; the caller stages and publishes it). */
export function materialiseDeclared(d: DeclaredDataset, dir: string): void {
  if (d.source.kind !== 'files') throw new Error(`${d.name} is not declared by files`);
  const files = d.source.files;
  mkdirSync(dir, { recursive: true });
  const clips = clipFiles(d);
  // declared clips are linked in (the `data export` layout): trainers that need cft-bench to hold the pixels, and the built-in one, read them
  for (const f of clips) symlinkSync(f.path, join(dir, f.name));
  const shape = clips.length === 0 ? null : (([, frames, height, width, channels]) => ({ frames, height, width, channels }))(readNpyHeader(clips[0]!.path).shape);
  const meta: Record<string, unknown> = {
    format: DATASET_FORMAT,
    kind: d.kind,
    name: d.name,
    description: clips.length === 0 ? `${d.name}, declared by its annotation files (no clips: the trainer reads its own frames)` : `${d.name}, declared by its annotation files and clips`,
    shape,
    sizes: d.sizes,
    clips: clips.length > 0,
  };
  if (d.kind === 'localisation') {
    const labelMap = readLabelMap(files['labelmap']!);
    writeFileSync(join(dir, 'labelmap.pbtxt'), readFileSync(files['labelmap']!));
    const evaluation: EvaluationFiles = { preset: d.preset ?? 'activitynet-2019', labelMap: files['labelmap']!, splits: {} };
    const counts = new Map(labelMap.classes.map((c) => [c.id, 0]));
    for (const split of SPLITS) {
      const gtPath = files[`${split}.gt`];
      if (gtPath === undefined) continue;
      const keys = new Map<string, [string, number]>();
      const gt: string[] = [];
      const persons = new Map<string, string[]>(); // key -> distinct GT boxes (for detections without proposals)
      for (const { line, i } of rows(gtPath)) {
        const f = fields(gtPath, line, i);
        if (f.length < 7) throw new InputError(gtPath, i + 1, `expected 7 or 8 fields, got ${f.length}`);
        const ts = Number(f[1]);
        if (!Number.isInteger(ts)) throw new InputError(gtPath, i + 1, `timestamp ${JSON.stringify(f[1])} is not an integer`);
        const key = `${f[0]},${ts}`;
        keys.set(key, [f[0]!, ts]);
        const cls = Number(f[6]);
        if (!counts.has(cls)) continue; // a class the label map leaves out (AVA's 80 of 60): not evaluated, not trained
        gt.push(`${f[0]},${String(ts).padStart(4, '0')},${f.slice(2, 6).join(',')},${cls},${f[7] ?? '0'}`);
        if (split === 'train') counts.set(cls, counts.get(cls)! + 1);
        const box = f.slice(2, 6).join(',');
        const ps = persons.get(key) ?? [];
        if (!ps.includes(box)) persons.set(key, [...ps, box]);
      }
      const sorted = [...keys.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      writeFileSync(join(dir, `${split}_keyframes.csv`), sorted.map(([v, t]) => `${v},${String(t).padStart(4, '0')}\n`).join(''));
      writeFileSync(join(dir, `${split}_gt.csv`), gt.map((l) => `${l}\n`).join(''));
      const proposals = files[`${split}.proposals`];
      const dets: string[] = [];
      if (proposals !== undefined) {
        for (const { line, i } of rows(proposals)) {
          const f = fields(proposals, line, i);
          if (f.length < 7) throw new InputError(proposals, i + 1, `expected a person box and a score (video,timestamp,x1,y1,x2,y2,[action],score), got ${f.length} fields`);
          const key = `${f[0]},${Number(f[1])}`;
          if (keys.has(key)) dets.push(`${f[0]},${String(Number(f[1])).padStart(4, '0')},${f.slice(2, 6).join(',')},,${f[f.length - 1]}`);
        }
      } else for (const [key, boxes] of persons) for (const box of boxes) dets.push(`${key.split(',')[0]},${String(Number(key.split(',')[1])).padStart(4, '0')},${box},,1`);
      writeFileSync(join(dir, `${split}_detections.csv`), dets.map((l) => `${l}\n`).join(''));
      (evaluation.splits as Record<string, unknown>)[split] = { gt: gtPath, exclusions: files[`${split}.exclusions`] ?? null };
    }
    writeFileSync(join(dir, 'train_counts.csv'), 'id,count\n' + [...counts].map(([id, n]) => `${id},${n}\n`).join(''));
    meta['evaluation'] = evaluation;
    meta['keyframe'] = shape === null ? 0 : Math.floor(shape.frames! / 2);
  } else {
    const classFile = files['classes'];
    const names = classFile === undefined ? null : rows(classFile).map((r) => r.line.split(',').pop()!.trim()).filter((n, k) => !(k === 0 && (n === 'name' || n === 'class')));
    const labelIndex = (text: string, path: string, i: number): number => {
      const byName = names?.indexOf(text) ?? -1;
      if (byName >= 0) return byName;
      const v = Number(text);
      if (Number.isInteger(v) && v >= 0 && (names === null || v < names.length)) return v;
      throw new InputError(path, i + 1, `label ${JSON.stringify(text)} is neither a class name nor a class index`);
    };
    let classes = names?.length ?? d.classCount ?? 0;
    for (const split of SPLITS) {
      const list = files[`${split}.list`];
      if (list === undefined) continue;
      const [head, ...body] = rows(list);
      const col = fields(list, head!.line, head!.i).indexOf('label');
      if (col < 0) throw new InputError(list, head!.i + 1, 'the header has no `label` column');
      const labels = body.map(({ line, i }) => labelIndex(fields(list, line, i)[col] ?? '', list, i));
      for (const x of labels) classes = Math.max(classes, x + 1); // a loop: spreading a Kinetics-size list overflows the stack
      writeFileSync(join(dir, `${split}_labels.csv`), 'label\n' + labels.map((x) => `${x}\n`).join(''));
      // the list as declared (its paths or video ids): example id i is its row i after the header
      writeFileSync(join(dir, `${split}_list.csv`), readFileSync(list));
    }
    writeFileSync(join(dir, 'classes.csv'), 'id,name\n' + Array.from({ length: classes }, (_, k) => `${k},${names?.[k] ?? `class-${k}`}\n`).join(''));
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify(meta, null, 2) + '\n');
}
