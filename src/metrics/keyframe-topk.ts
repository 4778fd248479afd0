/**
 * The official reader's per-keyframe detection cap (spec §4.2): a RowSink that keeps, for each
 * keyframe, the top `cap` whitelisted rows over all classes in a Python-heapq layout. Memory is
 * O(keyframes × cap), whatever the file size: this is what lets a 1.2 GB prediction file be
 * evaluated in a few hundred MB.
 *
 * Keyframes get a dense slot in order of their first whitelisted row (the official keyframe
 * order, §6.5). Row tags are the detection's running index among whitelisted rows, for tests.
 */
import type { RowSink } from '../data/ava-csv-scanner.js';
import { TupleHeapStore } from './python-heap.js';

export class KeyframeTopK implements RowSink {
  readonly heaps: TupleHeapStore;
  /** Key index (scanner KeyTable) of each slot, in slot order. */
  keyOfSlot = new Int32Array(1024);
  /** Entries used in each slot's heap. */
  count = new Int32Array(1024);
  slots = 0;
  private slotOfKey = new Int32Array(1024).fill(-1);
  private rowsSeen = 0;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new Error('KeyframeTopK needs cap >= 1');
    this.heaps = new TupleHeapStore(cap * 1024);
  }

  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void {
    const tag = this.rowsSeen++;
    if (key >= this.slotOfKey.length) {
      const grown = new Int32Array(Math.max(key + 1, this.slotOfKey.length * 2)).fill(-1);
      grown.set(this.slotOfKey);
      this.slotOfKey = grown;
    }
    let slot = this.slotOfKey[key]!;
    if (slot < 0) slot = this.newSlot(key);
    const cap = this.cap;
    const base = slot * cap;
    const n = this.count[slot]!;
    if (n < cap) {
      this.heaps.push(base, n, score, cls, y1, x1, y2, x2, tag);
      this.count[slot] = n + 1;
    } else if (score > this.heaps.score[base]!) {
      this.heaps.replaceRoot(base, n, score, cls, y1, x1, y2, x2, tag);
    }
  }

  /** Sorts every heap array by descending score (stable): the official matching order. */
  finish(): void {
    for (let s = 0; s < this.slots; s++) this.heaps.sortDescending(s * this.cap, this.count[s]!);
  }

  private newSlot(key: number): number {
    const slot = this.slots++;
    if (slot === this.keyOfSlot.length) {
      const k = new Int32Array(slot * 2);
      k.set(this.keyOfSlot);
      this.keyOfSlot = k;
      const c = new Int32Array(slot * 2);
      c.set(this.count);
      this.count = c;
    }
    this.heaps.ensure((slot + 1) * this.cap);
    this.keyOfSlot[slot] = key;
    this.slotOfKey[key] = slot;
    return slot;
  }
}
