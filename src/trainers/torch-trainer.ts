/**
 * `--trainer torch`: the reference PyTorch trainer shipped with cft-bench
 * (src/trainers/torch_trainer.py, a mirror of the built-in tfjs model under the external-trainer
 * contract), run by the first Python that can import PyTorch and NumPy. Arguments after the
 * name go to the script: `--trainer "torch --device cpu"`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TrainerError } from './trainer-error.js';

/** Same path from src/trainers/*.ts and dist/trainers/*.js (the script ships in src/, see package.json files). */
export const TORCH_TRAINER_SCRIPT = fileURLToPath(new URL('../../src/trainers/torch_trainer.py', import.meta.url));

/** Where cftbench.py, the contract's Python module, lives (src/trainers, from the sources or the built package): on PYTHONPATH for every trainer. */
export const PYTHON_MODULE_DIR = fileURLToPath(new URL('../../src/trainers/', import.meta.url));

/** Tried in order unless CFT_BENCH_PYTHON names one (pyenv/conda shims often lack Debian's python3-torch). */
const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3', 'python'];

export const isTorchTrainer = (command: string) => /^torch(\s|$)/.test(command.trim());

/** CFT_BENCH_PYTHON value → the Python found for it (a probe imports torch: ~1 s). */
const found = new Map<string, string>();

/** A Python that imports torch and numpy, or a TrainerError saying how to get one. */
export function torchPython(): string {
  const asked = process.env['CFT_BENCH_PYTHON'] ?? '';
  const known = found.get(asked);
  if (known !== undefined) return known;
  const candidates = asked !== '' ? [asked] : PYTHON_CANDIDATES;
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 120_000 });
    if (probe.status === 0) {
      found.set(asked, python);
      return python;
    }
  }
  throw new TrainerError(
    `--trainer torch needs Python 3 with PyTorch and NumPy; ${asked ? `CFT_BENCH_PYTHON=${asked} cannot` : `none of ${PYTHON_CANDIDATES.join(', ')} can`} import them. ` +
      'Install them (pip install torch numpy, conda install pytorch numpy, or on Debian/Ubuntu apt-get install python3-torch) ' +
      'or point CFT_BENCH_PYTHON at a Python that has them.',
  );
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command a `--trainer` value runs: `torch [args]` expanded to the shipped script;
 * `{python}` in any command replaced by the Python that imports PyTorch (pyenv/conda shims on
 * PATH often lack it); anything else as given.
 */
export function trainerCommand(command: string): string {
  if (command.includes('{python}')) command = command.replaceAll('{python}', shellQuote(torchPython()));
  if (!isTorchTrainer(command)) return command;
  const args = command.trim().slice('torch'.length);
  return `${shellQuote(torchPython())} ${shellQuote(TORCH_TRAINER_SCRIPT)}${args}`;
}
