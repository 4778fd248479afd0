/**
 * What defines an external trainer, for the run cache: its command and the content of every
 * file the command names (the script, a config: `python3 train.py --config cfg.yaml`). Edit one
 * and the runs it made are stale: they are trained again, not reused. What the command does not
 * name (an imported library, a data file it opens itself) cannot be seen here: change the command
 * (e.g. add `--tag v2`) or run `compare --fresh`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isTorchTrainer, TORCH_TRAINER_SCRIPT } from './torch-trainer.js';

/** The words of a shell command (quotes removed; `--opt=value` also gives `value`). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const w = m[1] ?? m[2] ?? m[3]!;
    out.push(w);
    const eq = w.indexOf('=');
    if (eq > 0) out.push(w.slice(eq + 1));
  }
  return out;
}

/** Path → sha256 of each existing regular file the command names (the shipped script for `torch`). */
export function trainerFiles(command: string): Record<string, string> {
  const paths = isTorchTrainer(command) ? [TORCH_TRAINER_SCRIPT, ...words(command).slice(1)] : words(command);
  const files: Record<string, string> = {};
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isFile()) continue;
    files[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return files;
}
