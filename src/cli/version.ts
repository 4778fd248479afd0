import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON_MODULE_DIR, TORCH_TRAINER_SCRIPT } from '../trainers/torch-trainer.js';

/** cft-bench's version, from package.json (recorded in every result document). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let code: string | null = null;

/**
 * Version plus a hash of the running code (every file of the source or build tree this module
 * lives in, and the shipped PyTorch trainer), so cached experiment results are never reused across a code change.
 */
export function codeVersion(): string {
  if (code !== null) return code;
  const root = dirname(dirname(fileURLToPath(import.meta.url))); // src/ or dist/
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(name)) hash.update(name).update(readFileSync(p));
    }
  };
  walk(root);
  hash.update(readFileSync(TORCH_TRAINER_SCRIPT)); // shipped Python, outside dist/
  hash.update(readFileSync(join(PYTHON_MODULE_DIR, 'cftbench.py'))); // the contract's module the torch trainer imports
  return (code = `${VERSION}+${hash.digest('hex').slice(0, 12)}`);
}
