/**
 * Columnar, growable store of AVA rows (typed arrays, no per-row objects): what a RowSink
 * collects when every row is kept (GT; detections under presets without a per-keyframe cap).
 * `score` holds the detection score, or the GT person id (1.0 when absent).
 */
import type { RowSink } from './ava-csv-scanner.js';

export interface RowColumns {
  readonly length: number;
  readonly key: Int32Array;
  readonly cls: Int32Array;
  readonly x1: Float64Array;
  readonly y1: Float64Array;
  readonly x2: Float64Array;
  readonly y2: Float64Array;
  readonly score: Float64Array;
}

export class RowStore implements RowSink, RowColumns {
  length = 0;
  key: Int32Array;
  cls: Int32Array;
  x1: Float64Array;
  y1: Float64Array;
  x2: Float64Array;
  y2: Float64Array;
  score: Float64Array;

  constructor(capacity = 1024) {
    this.key = new Int32Array(capacity);
    this.cls = new Int32Array(capacity);
    this.x1 = new Float64Array(capacity);
    this.y1 = new Float64Array(capacity);
    this.x2 = new Float64Array(capacity);
    this.y2 = new Float64Array(capacity);
    this.score = new Float64Array(capacity);
  }

  accept(key: number, cls: number, x1: number, y1: number, x2: number, y2: number, score: number): void {
    const n = this.length;
    if (n === this.key.length) this.grow(n * 2);
    this.key[n] = key;
    this.cls[n] = cls;
    this.x1[n] = x1;
    this.y1[n] = y1;
    this.x2[n] = x2;
    this.y2[n] = y2;
    this.score[n] = score;
    this.length = n + 1;
  }

  private grow(capacity: number): void {
    const growI = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    const growF = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    this.key = growI(this.key);
    this.cls = growI(this.cls);
    this.x1 = growF(this.x1);
    this.y1 = growF(this.y1);
    this.x2 = growF(this.x2);
    this.y2 = growF(this.y2);
    this.score = growF(this.score);
  }
}
