/**
 * The reader's per-keyframe top-K (keyframe-topk.ts): its rows come out page by page, compacted
 * in place; many small pages give exactly the rows, order and keyframe order of one page, and
 * with distinct scores the kept rows are each keyframe's top K in descending score order.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/data/rng.js';
import { KeyframeTopK } from '../src/metrics/keyframe-topk.js';
import type { KeyframeBoxes } from '../src/metrics/keyframe-boxes.js';

type Row = [key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number];

function rows(seed: number, distinct: boolean): Row[] {
  const rng = new Rng(seed);
  const out: Row[] = [];
  let u = 0;
  for (let i = 0; i < 3000; i++) {
    // mostly grouped by keyframe, with revisits (interleaved files)
    const key = rng.random() < 0.9 ? Math.floor(i / 6) : Math.floor(rng.random() * 500);
    const q = (v: number) => Math.round(v * 4) / 4; // coarse: tied scores and coordinates
    const score = distinct ? (u++ * 7919) % 3001 / 3001 : q(rng.random());
    out.push([key, 1 + Math.floor(rng.random() * 4), q(rng.random()), q(rng.random()), q(rng.random()), q(rng.random()), score]);
  }
  return out;
}

function drainAll(topk: KeyframeTopK, names: string[]): { pages: number; boxes: { key: string; row: number[] }[] } {
  const out: { key: string; row: number[] }[] = [];
  let pages = 0;
  for (const b of topk.drain(names) as Iterable<KeyframeBoxes>) {
    pages++;
    b.keys.forEach((key, g) => {
      for (let i = b.start[g]!; i < b.start[g + 1]!; i++) out.push({ key, row: [b.cls[i]!, b.x1[i]!, b.y1[i]!, b.x2[i]!, b.y2[i]!, b.score[i]!] });
    });
  }
  return { pages, boxes: out };
}

const names = Array.from({ length: 600 }, (_, k) => `v,${k}`);
const feed = (topk: KeyframeTopK, rs: Row[]) => rs.forEach(([k, c, x1, y1, x2, y2, s]) => topk.accept(k, c, x1, y1, x2, y2, s));

describe('KeyframeTopK', () => {
  it('many pages (compacted in place) = one page: same keyframes, rows and order, ties included', () => {
    const rs = rows(1, false);
    const one = new KeyframeTopK(5);
    const many = new KeyframeTopK(5, 40); // 8 keyframes per page
    feed(one, rs);
    feed(many, rs);
    const a = drainAll(one, names);
    const b = drainAll(many, names);
    expect(a.pages).toBe(1);
    expect(b.pages).toBeGreaterThan(50);
    expect(b.boxes).toEqual(a.boxes);
    expect(a.boxes.length).toBeGreaterThan(2000);
  });

  it('distinct scores: each keyframe keeps its top K, highest first, keyframes in order of first row', () => {
    const rs = rows(2, true);
    const topk = new KeyframeTopK(5, 40);
    feed(topk, rs);
    const got = drainAll(topk, names).boxes;
    const firstSeen: number[] = [];
    const byKey = new Map<number, Row[]>();
    for (const r of rs) {
      if (!byKey.has(r[0])) (byKey.set(r[0], []), firstSeen.push(r[0]));
      byKey.get(r[0])!.push(r);
    }
    const want = firstSeen.flatMap((k) =>
      byKey.get(k)!.sort((p, q) => q[6] - p[6]).slice(0, 5).map((r) => ({ key: names[k]!, row: [r[1], r[2], r[3], r[4], r[5], r[6]] })),
    );
    expect(got).toEqual(want);
  });
});
