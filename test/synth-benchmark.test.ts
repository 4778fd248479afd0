/**
 * The embedded benchmark: deterministic per (seed, split, index), AVA-like structure, the
 * long tail in train and balance in val, upstream labels balanced, and the file format round
 * trip (export → open gives the same examples).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createSynthAva } from '../src/data/synth/synth-ava.js';
import { createSynthKinetics, createSynthMit, createSynthSsv2 } from '../src/data/synth/upstream.js';
import { exportDataset, openDatasetDir } from '../src/data/dataset-files.js';
import { readNpyHeader } from '../src/data/npy.js';
import { tempDir } from './helpers/cli.js';
import type { LocalisationDataset, ClassificationDataset } from '../src/data/datasets.js';

describe('synth-ava', () => {
  const ava = createSynthAva(0);
  it('is deterministic per (seed, split, index) and differs across indices and seeds', () => {
    const a = ava.example('train', 17);
    expect(createSynthAva(0).example('train', 17)).toEqual(a);
    expect(ava.example('train', 18).clip).not.toEqual(a.clip);
    expect(createSynthAva(1).example('train', 17).clip).not.toEqual(a.clip);
  });
  it('has AVA-like examples: 1+ persons, 1 pose each, boxes in [0,1], detections with scores', () => {
    for (let i = 0; i < 200; i++) {
      const e = ava.example('val', i);
      expect(e.clip).toHaveLength(8 * 32 * 32);
      expect(e.boxes.length).toBeGreaterThan(0);
      expect(e.labels).toHaveLength(e.boxes.length);
      for (const [k, b] of e.boxes.entries()) {
        expect(b[0]).toBeGreaterThanOrEqual(0);
        expect(b[2]).toBeLessThanOrEqual(1);
        expect(b[0]).toBeLessThan(b[2]);
        expect(b[1]).toBeLessThan(b[3]);
        expect(e.labels[k]!.filter((l) => l <= 4)).toHaveLength(1); // exactly one pose
      }
      for (const d of e.detections) expect(d.score).toBeGreaterThan(0);
    }
  });
  it('train is long-tailed (tail classes have tens of examples); val is balanced enough to measure the tail', () => {
    const train = ava.trainCounts();
    const counts = [...train.values()].sort((a, b) => b - a);
    expect(counts[0]! / counts[counts.length - 1]!).toBeGreaterThan(20);
    expect(counts[counts.length - 1]!).toBeGreaterThanOrEqual(10);
    const val = new Map<number, number>();
    for (let i = 0; i < 500; i++) for (const ls of ava.example('val', i).labels) for (const l of ls) val.set(l, (val.get(l) ?? 0) + 1);
    for (const c of ava.classes.filter((c) => c.id > 4)) expect(val.get(c.id) ?? 0, c.name).toBeGreaterThanOrEqual(30);
  });
});

describe('upstream sets', () => {
  it.each([createSynthKinetics, createSynthSsv2, createSynthMit].map((f) => [f(0).name, f(0)] as const))('%s: balanced labels, deterministic', (_n, d) => {
    const counts = new Array(d.classes.length).fill(0);
    for (let i = 0; i < d.classes.length * 10; i++) counts[d.example('train', i).label]++;
    expect(new Set(counts).size).toBe(1);
    expect(d.example('val', 5)).toEqual(d.example('val', 5));
  });
});

describe('dataset files (data export format)', () => {
  it('export then open gives the same examples, localisation and classification', () => {
    const small = (d: LocalisationDataset): LocalisationDataset => ({ ...d, sizes: { train: 30, val: 10 }, trainCounts: () => d.trainCounts() });
    const dir = tempDir();
    const ava = small(createSynthAva(0));
    exportDataset(ava, join(dir, 'ava'));
    const back = openDatasetDir(join(dir, 'ava'));
    expect(back.kind).toBe('localisation');
    for (const split of ['train', 'val'] as const) {
      for (const i of [0, 3, 9]) expect(back.example(split, i)).toEqual(ava.example(split, i));
    }
    expect((back as LocalisationDataset).trainCounts()).toEqual(ava.trainCounts());
    expect(readNpyHeader(join(dir, 'ava', 'train_clips.npy'))).toMatchObject({ dtype: '|u1', shape: [30, 8, 32, 32, 1] });
    const kin: ClassificationDataset = { ...createSynthKinetics(0), sizes: { train: 24, val: 12 } };
    exportDataset(kin, join(dir, 'kin'));
    const kback = openDatasetDir(join(dir, 'kin'));
    for (const i of [0, 11, 23]) expect(kback.example('train', i)).toEqual(kin.example('train', i));
  });
});
