/**
 * Writes examples/ava-slice/pred.csv.gz: deterministic predictions of a simulated person
 * detector + action classifier on the real AVA slice, so `cft-bench eval` has a realistic
 * bundled example. Not a model: jittered GT persons (6% missed), 1–3 false-positive boxes per
 * keyframe, and for each box the 12 highest of 60 class scores (true labels boosted).
 *
 *   node --import tsx examples/ava-slice/make-predictions.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../src/data/rng.js';
import { parseLabelMap } from '../../src/data/label-map.js';

const here = new URL('.', import.meta.url).pathname;
const ids = parseLabelMap(readFileSync(here + 'labelmap.pbtxt', 'utf8')).classes.map((c) => c.id);
const rng = new Rng(2022);
const persons = new Map<string, Map<string, { box: number[]; labels: Set<number> }>>();
for (const line of readFileSync(here + 'gt.csv', 'utf8').trim().split('\n')) {
  const [vid, ts, x1, y1, x2, y2, cls] = line.split(',');
  const key = `${vid},${ts}`;
  if (!persons.has(key)) persons.set(key, new Map());
  const boxKey = [x1, y1, x2, y2].join(',');
  const kf = persons.get(key)!;
  if (!kf.has(boxKey)) kf.set(boxKey, { box: [x1, y1, x2, y2].map(Number), labels: new Set() });
  kf.get(boxKey)!.labels.add(Number(cls));
}
const prior = ids.map(() => rng.normal(-2.5, 0.8));
const out: string[] = [];
const f3 = (x: number) => Math.min(1, Math.max(0, x)).toFixed(3);
for (const [key, kf] of persons) {
  const boxes: { box: number[]; labels: Set<number> }[] = [];
  for (const p of kf.values()) {
    if (rng.random() < 0.06) continue;
    const [x1, y1, x2, y2] = p.box as [number, number, number, number];
    const s = rng.random() < 0.8 ? 0.04 : 0.15;
    const w = x2 - x1;
    const h = y2 - y1;
    boxes.push({ box: [x1 + rng.normal(0, s) * w, y1 + rng.normal(0, s) * h, x2 + rng.normal(0, s) * w, y2 + rng.normal(0, s) * h], labels: p.labels });
  }
  for (let i = rng.int(1, 4); i > 0; i--) {
    const w = rng.uniform(0.1, 0.4);
    const h = rng.uniform(0.3, 0.9);
    const x = rng.uniform(0, 1 - w);
    const y = rng.uniform(0, 1 - h);
    boxes.push({ box: [x, y, x + w, y + h], labels: new Set() });
  }
  for (const b of boxes) {
    const scored = ids.map((id, c) => {
      const logit = prior[c]! + rng.normal(0, 1.0) + (b.labels.has(id) ? 2.5 + rng.normal(0, 1) : 0);
      return { id, score: 1 / (1 + Math.exp(-logit)) };
    });
    scored.sort((a, z) => z.score - a.score);
    for (const { id, score } of scored.slice(0, 12)) out.push(`${key},${b.box.map(f3).join(',')},${id},${score.toFixed(6)}`);
  }
}
writeFileSync(here + 'pred.csv.gz', gzipSync(out.join('\n') + '\n', { level: 9 }));
console.log(`wrote ${out.length} rows`);
