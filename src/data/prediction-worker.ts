/**
 * Worker-thread entry: reads one byte range of a prediction file (see prediction-reader.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RowError } from './ava-csv-scanner.js';
import { readPredictionRange } from './prediction-chunk.js';
import { getPreset } from '../metrics/presets.js';

interface Job {
  path: string;
  start: number;
  end: number;
  preset: string;
  whitelist: Uint8Array;
  skipBadRows: boolean;
}

const job = workerData as Job;
try {
  const chunk = readPredictionRange(job.path, job.start, job.end, {
    preset: getPreset(job.preset),
    whitelist: job.whitelist,
    skipBadRows: job.skipBadRows,
  });
  const b = chunk.boxes;
  const transfer = [b.start, b.cls, b.score, b.x1, b.y1, b.x2, b.y2].map((a) => a.buffer as ArrayBuffer);
  parentPort!.postMessage({ chunk }, transfer);
} catch (err) {
  if (err instanceof RowError) {
    parentPort!.postMessage({ rowError: { reason: err.reason, message: err.message, line: err.line } });
  } else {
    parentPort!.postMessage({ fatal: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
}
