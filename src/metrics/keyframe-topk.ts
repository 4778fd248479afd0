/**
 * The official reader's per-keyframe detection cap (spec §4.2): a RowSink that keeps, for each
 * keyframe, the top `cap` whitelisted rows over all classes in a Python-heapq layout
 * (python-heap.ts), then orders them as the official does.
 *
 * Memory is O(keyframes × cap) whatever the file size: this is what lets a 1.2 GB prediction
 * file be evaluated in a few hundred MB. Storage is in fixed pages of PAGE_SLOTS keyframes
 * (no copying on growth). Keyframes get a dense slot in order of their first whitelisted row
 * (the official keyframe order, §6.5).
 */
import type { RowSink } from '../data/ava-csv-scanner.js';
import { allocateBoxes, type KeyframeBoxes } from './keyframe-boxes.js';
import { TupleHeapStore } from './python-heap.js';

const PAGE_SLOTS = 4096;

export class KeyframeTopK implements RowSink {
  private keyOfSlot: number[] = [];
  private count = new Int32Array(PAGE_SLOTS);
  private slotOfKey = new Int32Array(1024).fill(-1);
  private readonly pages: (TupleHeapStore | null)[] = [];
  // The current keyframe (rows usually arrive grouped by keyframe).
  private curKey = -1;
  private curSlot = -1;
  private base = 0;
  private page!: TupleHeapStore;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new Error('KeyframeTopK needs cap >= 1');
  }

  get slots(): number {
    return this.keyOfSlot.length;
  }

  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void {
    if (key !== this.curKey) this.select(key);
    const n = this.count[this.curSlot]!;
    if (n < this.cap) {
      this.page.push(this.base, n, score, cls, y1, x1, y2, x2, 0);
      this.count[this.curSlot] = n + 1;
    } else if (score > this.page.rootScore(this.base)) {
      this.page.replaceRoot(this.base, n, score, cls, y1, x1, y2, x2, 0);
    }
  }

  /** The kept rows, each keyframe's in the official order. Call once: it releases the heaps. */
  toBoxes(keyNames: readonly string[]): KeyframeBoxes {
    const slots = this.slots;
    let total = 0;
    for (let s = 0; s < slots; s++) total += this.count[s]!;
    const out = allocateBoxes(this.keyOfSlot.map((k) => keyNames[k]!), total);
    const order = new Int32Array(this.cap);
    let j = 0;
    for (let s = 0; s < slots; s++) {
      // drop each page once copied, so its memory can go while the rest is copied (lower peak)
      if (s > 0 && s % PAGE_SLOTS === 0) this.pages[s / PAGE_SLOTS - 1] = null;
      const pg = this.pages[Math.floor(s / PAGE_SLOTS)]!;
      const base = (s % PAGE_SLOTS) * this.cap;
      const n = this.count[s]!;
      pg.sortedPositions(base, n, order);
      for (let i = 0; i < n; i++, j++) {
        const at = base + order[i]!;
        out.cls[j] = pg.cls[at]!;
        out.score[j] = pg.score[at]!;
        out.x1[j] = pg.x1[at]!;
        out.y1[j] = pg.y1[at]!;
        out.x2[j] = pg.x2[at]!;
        out.y2[j] = pg.y2[at]!;
      }
      out.start[s + 1] = j;
    }
    this.pages.length = 0; // the heaps are spent: let their memory go before matching starts
    this.curKey = -1;
    return out;
  }

  private select(key: number): void {
    if (key >= this.slotOfKey.length) {
      const grown = new Int32Array(Math.max(key + 1, this.slotOfKey.length * 2)).fill(-1);
      grown.set(this.slotOfKey);
      this.slotOfKey = grown;
    }
    let slot = this.slotOfKey[key]!;
    if (slot < 0) {
      slot = this.keyOfSlot.length;
      this.keyOfSlot.push(key);
      this.slotOfKey[key] = slot;
      if (slot % PAGE_SLOTS === 0) this.pages.push(new TupleHeapStore(PAGE_SLOTS * this.cap));
      if (slot >= this.count.length) {
        const c = new Int32Array(this.count.length * 2);
        c.set(this.count);
        this.count = c;
      }
    }
    this.curKey = key;
    this.curSlot = slot;
    this.page = this.pages[Math.floor(slot / PAGE_SLOTS)]!;
    this.base = (slot % PAGE_SLOTS) * this.cap;
  }
}
