/**
 * AVA-format text for datasets and predictions: GT CSV, prediction CSV, label map pbtxt.
 * Numbers are written in shortest round-trip form, so reading a file back gives the exact
 * same float64 values (evaluating a file equals evaluating the values).
 */
import type { LocalisationClass, LocalisationDataset, Split } from './datasets.js';

export interface PredictionRow {
  readonly videoId: string;
  readonly timestamp: number;
  readonly box: readonly [number, number, number, number];
  readonly classId: number;
  readonly score: number;
}

const ts4 = (t: number) => String(t).padStart(4, '0');

/** GT rows `video,timestamp,x1,y1,x2,y2,action,person` for every example of a split. */
export function groundTruthCsv(dataset: LocalisationDataset, split: Split, count = dataset.sizes[split] ?? 0): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = dataset.example(split, i);
    e.boxes.forEach((b, person) => {
      for (const cls of e.labels[person]!) lines.push(`${e.videoId},${ts4(e.timestamp)},${b.join(',')},${cls},${person}`);
    });
  }
  return lines.join('\n') + '\n';
}

export function predictionsCsv(rows: readonly PredictionRow[]): string {
  return rows.map((r) => `${r.videoId},${ts4(r.timestamp)},${r.box.join(',')},${r.classId},${r.score}`).join('\n') + '\n';
}

export function labelMapPbtxt(classes: readonly LocalisationClass[]): string {
  return classes.map((c) => `item {\n  name: "${c.name.replace(/"/g, "'")}"\n  id: ${c.id}\n}\n`).join('');
}
