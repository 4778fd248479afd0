/**
 * Data budgets: the number of examples each dataset contributes (steps × batch size). A fair
 * comparison gives every protocol the same per-dataset budget (`equal`, the default), or the
 * same total with each protocol's own split (`equal-total`, reported as such).
 */
import { InputError } from '../data/input-error.js';
import { budgetExamples, type DeclaredBudget } from '../data/manifest.js';

/** Dataset name → examples seen. */
export type Budget = Readonly<Record<string, number>>;

export type BudgetMode = 'equal' | 'equal-total';

export const DEFAULT_BATCH = 32;

/** The prototype's default: 32k downstream examples (32 epochs of 1,000 clips), 64k upstream. */
export const DEFAULT_BUDGET = { downstream: 32_000, upstream: 64_000 } as const;

export function scaleBudget(b: Budget, scale: number, batch: number): Budget {
  if (!(scale > 0)) throw new Error(`--budget-scale must be > 0 (got ${scale})`);
  // whole batches only
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Math.max(batch, Math.round((v * scale) / batch) * batch)]));
}

/** Splits `total` upstream examples equally over `names` (in whole batches; the remainder to the first sets). */
export function splitUpstream(total: number, names: readonly string[], batch: number): Record<string, number> {
  const steps = Math.round(total / batch);
  const base = Math.floor(steps / names.length);
  const extra = steps - base * names.length;
  return Object.fromEntries(names.map((n, i) => [n, (base + (i < extra ? 1 : 0)) * batch]));
}

/**
 * A budget file: JSON `{"synth-ava": 32000, "synth-kinetics": 64000}`. Every key must name a
 * dataset of the comparison and every count be whole batches: a key that is silently ignored,
 * or a count silently rounded, would run a budget other than the one written.
 */
export function parseBudgetJson(text: string, source: string, datasets: readonly string[], batch: number): Record<string, number> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new InputError(source, null, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(source, null, 'expected an object {dataset: examples}');
  if (Object.keys(obj).length === 0) throw new InputError(source, null, 'names no dataset');
  for (const [k, v] of Object.entries(obj)) {
    if (!datasets.includes(k)) throw new InputError(source, null, `${k}: unknown dataset (this comparison has ${datasets.join(', ')})`);
    if (!Number.isInteger(v) || (v as number) <= 0) throw new InputError(source, null, `${k}: the budget must be a whole number of examples > 0 (got ${JSON.stringify(v)})`);
    if ((v as number) % batch !== 0) throw new InputError(source, null, `${k}: ${v} examples are not whole batches of ${batch} (use ${Math.max(1, Math.round((v as number) / batch)) * batch})`);
  }
  return obj as Record<string, number>;
}

/** A manifest's budgets resolved for a comparison: examples per dataset (whole batches), and what they are in epochs. */
export interface ResolvedBudgets {
  readonly examples: Readonly<Record<string, number>>;
  readonly epochs: Readonly<Record<string, number>>;
}

/**
 * Budgets of a manifest (with `--budget-file` entries over them) for the datasets a comparison
 * trains on, in examples: epochs become examples of the train split, rounded to whole batches;
 * examples must already be whole batches (a count silently rounded would run a budget other
 * than the one written). `scale` (`--budget-scale`, `--quick`) multiplies every budget.
 */
export function resolveBudgets(
  declared: Readonly<Record<string, DeclaredBudget>>,
  sizes: Readonly<Record<string, number>>,
  used: readonly string[],
  batch: number,
  scale: number,
  source: string,
): ResolvedBudgets {
  const examples: Record<string, number> = {};
  const epochs: Record<string, number> = {};
  for (const d of used) {
    const b = declared[d];
    if (b === undefined) throw new InputError(source, null, `budgets.${d}: missing (every dataset the comparison trains on needs a budget: {examples: N} or {epochs: E})`);
    if ('examples' in b && b.examples % batch !== 0) throw new InputError(source, null, `budgets.${d}: ${b.examples} examples are not whole batches of ${batch} (use ${Math.max(1, Math.round(b.examples / batch)) * batch})`);
    const n = budgetExamples(b, sizes[d]!, batch);
    examples[d] = scale === 1 ? n : Math.max(batch, Math.round((n * scale) / batch) * batch);
    epochs[d] = examples[d]! / sizes[d]!;
  }
  return { examples, epochs };
}
