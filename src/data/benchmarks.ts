/**
 * The embedded benchmark's datasets by name (a typed registry that lists valid names on a miss).
 */
import type { Dataset } from './datasets.js';
import { createSynthAva } from './synth/synth-ava.js';
import { createSynthKinetics, createSynthMit, createSynthSsv2 } from './synth/upstream.js';

export const EMBEDDED_DATASETS = {
  'synth-ava': createSynthAva,
  'synth-kinetics': createSynthKinetics,
  'synth-ssv2': createSynthSsv2,
  'synth-mit': createSynthMit,
} as const;

export type EmbeddedDatasetName = keyof typeof EMBEDDED_DATASETS;

export function embeddedDataset(name: string, seed = 0): Dataset {
  const make = (EMBEDDED_DATASETS as Record<string, (seed?: number) => Dataset>)[name];
  if (make === undefined) throw new Error(`Unknown benchmark dataset '${name}'. Available: ${Object.keys(EMBEDDED_DATASETS).join(', ')}`);
  return make(seed);
}
