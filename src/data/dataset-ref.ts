/**
 * A dataset a run trains on, named by a manifest: a `data export` folder and the SHA-256 of its
 * content (every file's name and bytes), so a cached run is reused only on the same data.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './ava-inputs.js';

export interface DatasetRef {
  readonly dir: string;
  readonly sha256: string;
}

/** The content digest of a `data export` folder: its files (sorted by name), each name with its own sha256. */
export async function datasetRef(dir: string): Promise<DatasetRef> {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isFile()) continue;
    hash.update(`${name}\n${await sha256File(p)}\n`);
  }
  return { dir, sha256: hash.digest('hex') };
}
