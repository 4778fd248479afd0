/**
 * Worker thread of the parallel evaluator (evaluator.ts): reads one byte range of the
 * prediction file, reports its keyframe keys, then — once the main thread has read the GT
 * and sends the ScoringContext — matches that range's detections and returns the matches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RowError } from '../data/ava-csv-scanner.js';
import { readPredictionRange } from '../data/prediction-chunk.js';
import { Scorer, type ScoringContext } from './frame-map.js';
import { getPreset } from './presets.js';
import { packKeys, unpackKeys, type PackedContext, type WorkerJob, type WorkerMessage } from './worker-protocol.js';

const port = parentPort!;
const job = workerData as WorkerJob;
try {
  const chunk = readPredictionRange(job.path, job.start, job.end, { preset: getPreset(job.preset), whitelist: job.whitelist, skipBadRows: job.skipBadRows });
  port.postMessage({ kind: 'scanned', keys: packKeys(chunk.keys), counts: chunk.counts } satisfies WorkerMessage);
  port.once('message', (packed: PackedContext) => {
    try {
      const ctx: ScoringContext = {
        preset: getPreset(job.preset),
        gt: { ...packed.gt, keys: unpackKeys(packed.gt.keys) },
        excluded: unpackKeys(packed.excluded),
        gtFileKeys: unpackKeys(packed.gtFileKeys),
      };
      const parts = new Scorer(ctx).matchParts(chunk.boxes());
      port.postMessage(
        { kind: 'matched', parts: parts.map((m) => ({ ...m, keys: packKeys(m.keys) })) } satisfies WorkerMessage,
        parts.flatMap((m) => [m.start.buffer, m.cls.buffer, m.score.buffer, m.tp.buffer]) as ArrayBuffer[],
      );
    } catch (err) {
      port.postMessage({ kind: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerMessage);
    }
  });
} catch (err) {
  if (err instanceof RowError) port.postMessage({ kind: 'row-error', message: err.message, line: err.line } satisfies WorkerMessage);
  else port.postMessage({ kind: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerMessage);
}
