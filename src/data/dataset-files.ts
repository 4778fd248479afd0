/**
 * Datasets as files — what `cft-bench data export` writes and what file-backed datasets read,
 * so a PyTorch/JAX user can train on the same data and evaluate with `cft-bench eval`, and real
 * data can replace the embedded benchmark. One directory per dataset:
 *
 *   dataset.json              {"format": "cft-bench-dataset/1", kind, name, description, shape, keyframe?, sizes}
 *   <split>_clips.npy         uint8 [N, T, H, W, C]
 * localisation (AVA format):
 *   labelmap.pbtxt            class ids and names
 *   train_counts.csv          header id,count: GT instances per class in train (head/mid/tail)
 *   <split>_keyframes.csv     video_id,timestamp of clip row i (no header)
 *   <split>_gt.csv            video_id,timestamp,x1,y1,x2,y2,action_id,person_id (AVA GT)
 *   <split>_detections.csv    video_id,timestamp,x1,y1,x2,y2,,score (person detector; AVA's
 *                             predicted-boxes layout, empty action column)
 *   <split>_negatives.csv     video_id,timestamp,x1,y1,x2,y2 (non-person boxes; optional)
 * classification:
 *   classes.csv               header id,name
 *   <split>_labels.csv        header label: class index of clip row i
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Box, ClassificationDataset, Dataset, Detection, EvaluationFiles, LocalisationDataset, LocalisationExample, Split } from './datasets.js';
import { clipLength } from './datasets.js';
import { groundTruthCsv, labelMapPbtxt } from './ava-writer.js';
import { InputError } from './input-error.js';
import { readLabelMap } from './label-map.js';
import { npyBytes, readNpyHeader, readNpyRow, type NpyHeader } from './npy.js';
import { splitCsvRecord } from './csv-record.js';
import { parsePyFloat, parsePyInt } from './python-syntax.js';
import { normaliseTimestamp } from './keyframe-key.js';

export const DATASET_FORMAT = 'cft-bench-dataset/1';
const SPLITS: Split[] = ['train', 'val', 'test'];
const ts4 = (t: number) => String(t).padStart(4, '0');

/** Writes `dataset` into `dir` (created); returns the files written. */
export function exportDataset(dataset: Dataset, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, content: string | Uint8Array) => {
    writeFileSync(join(dir, name), content);
    written.push(join(dir, name));
  };
  const meta = { format: DATASET_FORMAT, kind: dataset.kind, name: dataset.name, description: dataset.description, shape: dataset.shape, sizes: dataset.sizes, ...(dataset.kind === 'localisation' ? { keyframe: dataset.keyframe } : {}) };
  put('dataset.json', JSON.stringify(meta, null, 2) + '\n');
  const { frames: T, height: H, width: W, channels: C } = dataset.shape;
  const len = clipLength(dataset.shape);
  for (const split of SPLITS) {
    const n = dataset.sizes[split] ?? 0;
    if (n === 0) continue;
    const clips = new Uint8Array(n * len);
    if (dataset.kind === 'localisation') {
      const keyframes: string[] = [];
      const dets: string[] = [];
      const negs: string[] = [];
      for (let i = 0; i < n; i++) {
        const e = dataset.example(split, i);
        clips.set(e.clip, i * len);
        const key = `${e.videoId},${ts4(e.timestamp)}`;
        keyframes.push(key);
        for (const d of e.detections) dets.push(`${key},${d.box.join(',')},,${d.score}`);
        for (const b of e.negatives) negs.push(`${key},${b.join(',')}`);
      }
      put(`${split}_keyframes.csv`, keyframes.join('\n') + '\n');
      put(`${split}_gt.csv`, groundTruthCsv(dataset, split));
      put(`${split}_detections.csv`, dets.join('\n') + '\n');
      put(`${split}_negatives.csv`, negs.length > 0 ? negs.join('\n') + '\n' : '');
    } else {
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const e = dataset.example(split, i);
        clips.set(e.clip, i * len);
        labels.push(e.label);
      }
      put(`${split}_labels.csv`, 'label\n' + labels.join('\n') + '\n');
    }
    put(`${split}_clips.npy`, npyBytes(clips, [n, T, H, W, C]));
  }
  if (dataset.kind === 'localisation') {
    put('labelmap.pbtxt', labelMapPbtxt(dataset.classes));
    put('train_counts.csv', 'id,count\n' + [...dataset.trainCounts()].map(([id, c]) => `${id},${c}`).join('\n') + '\n');
  } else {
    put('classes.csv', 'id,name\n' + dataset.classes.map((c, i) => `${i},${c}`).join('\n') + '\n');
  }
  return written;
}

interface DatasetMeta {
  format: string;
  kind: 'localisation' | 'classification';
  name: string;
  description: string;
  shape: Dataset['shape'];
  sizes: Partial<Record<Split, number>>;
  keyframe?: number;
  /** false: a set declared by its annotation files (declared-files.ts), no pixels here. */
  clips?: boolean;
  evaluation?: EvaluationFiles;
}

function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split(/\r\n|\r|\n/);
}

function fields(path: string, line: string, i: number, want: number): string[] {
  const f = splitCsvRecord(line);
  if (f === undefined || f.length !== want) throw new InputError(path, i + 1, `expected ${want} fields, got ${f?.length ?? 'an unterminated quote'}`);
  return f;
}

function num(path: string, i: number, text: string, what: string): number {
  const v = parsePyFloat(text);
  if (v === undefined || Number.isNaN(v)) throw new InputError(path, i + 1, `${what} ${JSON.stringify(text)} is not a number`);
  return v;
}

/** `video,timestamp,...` key of a row, normalised as the evaluator does (2019 rules). */
function keyOf(path: string, i: number, f: string[]): string {
  const ts = normaliseTimestamp(f[1]!, 'int4');
  if (ts === undefined) throw new InputError(path, i + 1, `timestamp ${JSON.stringify(f[1])} is not an integer`);
  return `${f[0]},${ts}`;
}

/** Opens a dataset directory written by `exportDataset` (or prepared by hand in that format). */
export function openDatasetDir(dir: string): Dataset {
  const metaPath = join(dir, 'dataset.json');
  if (!existsSync(metaPath)) throw new InputError(metaPath, null, 'file not found (a dataset directory needs dataset.json; see `cft-bench data export`)');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DatasetMeta;
  if (meta.format !== DATASET_FORMAT) throw new InputError(metaPath, null, `format must be ${DATASET_FORMAT}`);
  // a split's clips are checked when present and needed only when used: `infer --split val`
  // runs on a folder holding the val clips alone
  const headers = new Map<Split, NpyHeader>();
  for (const split of SPLITS) {
    if (!(meta.sizes[split]! > 0)) continue;
    const p = join(dir, `${split}_clips.npy`);
    if (!existsSync(p)) continue;
    const h = readNpyHeader(p);
    const want = [meta.sizes[split]!, meta.shape.frames, meta.shape.height, meta.shape.width, meta.shape.channels];
    if (h.dtype !== '|u1' || h.shape.join(',') !== want.join(',')) throw new InputError(p, null, `expected uint8 [${want.join(', ')}], got ${h.dtype} [${h.shape.join(', ')}]`);
    headers.set(split, h);
  }
  const clip = (split: Split, index: number) => {
    const h = headers.get(split);
    if (h === undefined && meta.clips === false) throw new InputError(dir, null, `${meta.name} is declared by its annotation files: cft-bench has no pixels of it, so the built-in trainer cannot train on it (give --trainer: your trainer reads its own frames)`);
    if (h === undefined && meta.sizes[split]! > 0) throw new InputError(join(dir, `${split}_clips.npy`), null, `file not found (the ${split} split's clips: dataset.json gives ${meta.sizes[split]} examples)`);
    if (h === undefined || index < 0 || index >= h.shape[0]!) throw new RangeError(`${meta.name}: no example ${index} in split '${split}'`);
    return readNpyRow(join(dir, `${split}_clips.npy`), h, index);
  };
  if (meta.kind === 'classification') {
    const classes = lines(join(dir, 'classes.csv')).slice(1).filter(Boolean).map((l) => l.slice(l.indexOf(',') + 1));
    const labels = new Map<Split, number[]>();
    // every split with labels, clips or not: a declared set's upstream predictions are scored on them
    for (const split of SPLITS.filter((x) => meta.sizes[x]! > 0 && existsSync(join(dir, `${x}_labels.csv`)))) {
      const p = join(dir, `${split}_labels.csv`);
      labels.set(split, lines(p).slice(1).filter(Boolean).map((l, i) => {
        const v = parsePyInt(l);
        if (v === undefined || v < 0 || v >= classes.length) throw new InputError(p, i + 2, `label ${JSON.stringify(l)} is not a class index in 0..${classes.length - 1}`);
        return v;
      }));
      if (labels.get(split)!.length !== meta.sizes[split]) throw new InputError(p, null, `${labels.get(split)!.length} labels; dataset.json gives ${meta.sizes[split]} ${split} examples`);
    }
    const label = (split: Split, index: number): number => {
      const ls = labels.get(split);
      if (ls === undefined) throw new InputError(join(dir, `${split}_labels.csv`), null, `file not found (the ${split} split's labels: dataset.json gives ${meta.sizes[split] ?? 0} examples)`);
      if (index < 0 || index >= ls.length) throw new RangeError(`${meta.name}: no example ${index} in split '${split}'`);
      return ls[index]!;
    };
    const ds: ClassificationDataset = { kind: 'classification', name: meta.name, description: meta.description, shape: meta.shape, sizes: meta.sizes, classes, example: (split, index) => ({ clip: clip(split, index), label: label(split, index) }), label };
    return ds;
  }
  const labelMap = readLabelMap(join(dir, 'labelmap.pbtxt'));
  const perSplit = new Map<Split, LocalisationExample[]>();
  for (const split of SPLITS.filter((x) => meta.sizes[x]! > 0 && existsSync(join(dir, `${x}_keyframes.csv`)))) {
    const keys = lines(join(dir, `${split}_keyframes.csv`)).filter(Boolean);
    const byKey = new Map<string, { boxes: Box[]; labels: number[][]; persons: Map<string, number>; negatives: Box[]; detections: Detection[] }>();
    const entry = (k: string) => {
      let e = byKey.get(k);
      if (e === undefined) byKey.set(k, (e = { boxes: [], labels: [], persons: new Map(), negatives: [], detections: [] }));
      return e;
    };
    const kfPath = join(dir, `${split}_keyframes.csv`);
    const ordered = keys.map((l, i) => keyOf(kfPath, i, fields(kfPath, l, i, 2)));
    const gtPath = join(dir, `${split}_gt.csv`);
    lines(gtPath).forEach((l, i) => {
      if (l === '') return;
      const f = fields(gtPath, l, i, 8);
      const e = entry(keyOf(gtPath, i, f));
      const box = [2, 3, 4, 5].map((c) => num(gtPath, i, f[c]!, 'coordinate')) as unknown as Box;
      const cls = parsePyInt(f[6]!);
      if (cls === undefined || labelMap.whitelist[cls] !== 1) throw new InputError(gtPath, i + 1, `action id ${JSON.stringify(f[6])} is not in labelmap.pbtxt`);
      const person = `${f[7]}|${box.join(',')}`;
      let p = e.persons.get(person);
      if (p === undefined) {
        p = e.boxes.length;
        e.persons.set(person, p);
        e.boxes.push(box);
        e.labels.push([]);
      }
      e.labels[p]!.push(cls);
    });
    const detPath = join(dir, `${split}_detections.csv`);
    lines(detPath).forEach((l, i) => {
      if (l === '') return;
      const f = fields(detPath, l, i, 8);
      entry(keyOf(detPath, i, f)).detections.push({ box: [2, 3, 4, 5].map((c) => num(detPath, i, f[c]!, 'coordinate')) as unknown as Box, score: num(detPath, i, f[7]!, 'score') });
    });
    const negPath = join(dir, `${split}_negatives.csv`);
    lines(negPath).forEach((l, i) => {
      if (l === '') return;
      const f = fields(negPath, l, i, 6);
      entry(keyOf(negPath, i, f)).negatives.push([2, 3, 4, 5].map((c) => num(negPath, i, f[c]!, 'coordinate')) as unknown as Box);
    });
    perSplit.set(
      split,
      ordered.map((k) => {
        const e = entry(k);
        const comma = k.lastIndexOf(',');
        return { clip: new Uint8Array(0), videoId: k.slice(0, comma), timestamp: Number(k.slice(comma + 1)), boxes: e.boxes, labels: e.labels.map((ls) => [...ls].sort((a, b) => a - b)), negatives: e.negatives, detections: e.detections };
      }),
    );
  }
  const counts = new Map<number, number>(labelMap.classes.map((c) => [c.id, 0]));
  const cPath = join(dir, 'train_counts.csv');
  if (existsSync(cPath)) {
    lines(cPath).slice(1).forEach((l, i) => {
      if (l === '') return;
      const [id, c] = l.split(',').map(Number);
      if (!counts.has(id!) || !Number.isInteger(c)) throw new InputError(cPath, i + 2, `bad row ${JSON.stringify(l)}`);
      counts.set(id!, c!);
    });
  } else {
    for (const e of perSplit.get('train') ?? []) for (const ls of e.labels) for (const l of ls) counts.set(l, counts.get(l)! + 1);
  }
  const ds: LocalisationDataset = {
    kind: 'localisation',
    name: meta.name,
    description: meta.description,
    shape: meta.shape,
    sizes: meta.sizes,
    keyframe: meta.keyframe ?? Math.floor(meta.shape.frames / 2),
    classes: labelMap.classes,
    example: (split, index) => {
      const rows = perSplit.get(split);
      if (rows === undefined) throw new InputError(join(dir, `${split}_keyframes.csv`), null, `file not found (the ${split} split's keyframes: dataset.json gives ${meta.sizes[split] ?? 0} examples)`);
      return { ...rows[index]!, clip: clip(split, index) };
    },
    trainCounts: () => new Map(counts),
    ...(meta.evaluation !== undefined ? { evaluationFiles: meta.evaluation } : {}),
  };
  return ds;
}
