/**
 * Deterministic AVA-scale evaluation input for the benchmarks (never committed):
 * V videos × K keyframes, ~4 GT persons per keyframe with 1–3 labels each (Zipf-like class
 * popularity), ~6 detected boxes per keyframe (jittered GT persons + random false positives),
 * each with 60 class scores in label-map order. Default 64 × 900: ≈ 20.8M prediction rows, ≈ 1.2 GB.
 *
 *   node --import tsx bench/generate-ava-scale.ts [--videos 64] [--keyframes 900] [--out bench/data/ava-scale]
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readLabelMap } from '../src/data/label-map.js';
import { Rng } from '../src/data/rng.js';

const LABEL_MAP = join(import.meta.dirname, '../examples/ava-slice/labelmap.pbtxt');

class BufferedWriter {
  private buf = Buffer.allocUnsafe(8 << 20);
  private used = 0;
  private readonly fd: number;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(s: string): void {
    if (this.used + s.length * 3 > this.buf.length) this.flush();
    this.used += this.buf.write(s, this.used, 'utf8');
  }
  flush(): void {
    writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface ScaleInputPaths {
  gt: string;
  pred: string;
  labelMap: string;
  exclusions: string;
}

export function generateAvaScale(out: string, videos: number, keyframes: number, seed = 20261128): ScaleInputPaths {
  mkdirSync(out, { recursive: true });
  const rng = new Rng(seed);
  const ids = readLabelMap(LABEL_MAP).classes.map((c) => c.id);
  const pop = rng.shuffle(ids.map((_, i) => 1 / (i + 1) ** 1.3));
  const logPop = pop.map((p) => 0.5 * Math.log(p));
  const paths: ScaleInputPaths = {
    gt: join(out, 'gt.csv'),
    pred: join(out, 'pred.csv'),
    labelMap: join(out, 'labelmap.pbtxt'),
    exclusions: join(out, 'exclusions.csv'),
  };
  writeFileSync(paths.labelMap, readFileSync(LABEL_MAP));
  const gt = new BufferedWriter(paths.gt);
  const pred = new BufferedWriter(paths.pred);
  const excl = new BufferedWriter(paths.exclusions);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const f3 = (x: number) => x.toFixed(3);
  for (let v = 0; v < videos; v++) {
    let vid = '';
    for (let i = 0; i < 11; i++) vid += alphabet[rng.int(0, 64)];
    const withPersons: number[] = [];
    for (let t = 902; t < 902 + keyframes; t++) {
      const ts = String(t).padStart(4, '0');
      const k = rng.random() < 0.03 ? 0 : 1 + rng.poisson(3);
      if (k > 0) withPersons.push(t);
      const persons: number[][] = [];
      const truth: Set<number>[] = [];
      for (let p = 0; p < k; p++) {
        const w = rng.uniform(0.07, 0.45);
        const h = rng.uniform(0.25, 0.95);
        const x1 = rng.random() * (1 - w);
        const y1 = rng.random() * (1 - h);
        const box = [x1, y1, x1 + w, y1 + h];
        persons.push(box);
        const labels = new Set<number>();
        const nl = rng.int(1, 4);
        while (labels.size < nl) labels.add(rng.categorical(pop));
        truth.push(labels);
        const prefix = `${vid},${ts},${box.map(f3).join(',')},`;
        for (const l of labels) gt.write(`${prefix}${ids[l]},${p}\n`);
      }
      const nb = k + rng.poisson(2.15);
      for (let b = 0; b < Math.max(1, nb); b++) {
        let box: number[];
        let labels: Set<number> | undefined;
        if (b < k) {
          const [x1, y1, x2, y2] = persons[b]!;
          const s = [0.04, 0.08, 0.18][rng.categorical([0.5, 0.3, 0.2])]!;
          const w = x2! - x1!;
          const h = y2! - y1!;
          box = [x1! + rng.normal(0, s) * w, y1! + rng.normal(0, s) * h, x2! + rng.normal(0, s) * w, y2! + rng.normal(0, s) * h].map((c) => Math.min(1, Math.max(0, c)));
          if (box[2]! - box[0]! < 0.01 || box[3]! - box[1]! < 0.01) box = persons[b]!;
          labels = truth[b];
        } else {
          const w = rng.uniform(0.07, 0.45);
          const h = rng.uniform(0.25, 0.95);
          const x = rng.uniform(0, 1 - w);
          const y = rng.uniform(0, 1 - h);
          box = [x, y, x + w, y + h];
        }
        const prefix = `${vid},${ts},${box.map(f3).join(',')},`;
        let rows = '';
        for (let c = 0; c < ids.length; c++) {
          let logit = logPop[c]! + rng.normal(0, 1.2);
          if (labels?.has(c)) logit += 2.4 + rng.normal(0, 0.9);
          rows += `${prefix}${ids[c]},${(1 / (1 + Math.exp(-logit))).toFixed(9)}\n`;
        }
        pred.write(rows);
      }
    }
    for (let i = 0; i < 5 && withPersons.length > 0; i++) {
      excl.write(`${vid},${withPersons.splice(rng.int(0, withPersons.length), 1)[0]}\n`);
    }
  }
  gt.close();
  pred.close();
  excl.close();
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { videos: { type: 'string', default: '64' }, keyframes: { type: 'string', default: '900' }, out: { type: 'string', default: 'bench/data/ava-scale' } },
  });
  const t0 = performance.now();
  const p = generateAvaScale(values.out!, Number(values.videos), Number(values.keyframes));
  console.log(`wrote ${p.pred} and ${p.gt} in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
}
