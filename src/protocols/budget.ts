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

/** Splits `total` upstream examples equally over `names` (in whole batches; the remainder to the first sets). */
export function splitUpstream(total: number, names: readonly string[], batch: number): Record<string, number> {
  const steps = Math.round(total / batch);
  const base = Math.floor(steps / names.length);
  const extra = steps - base * names.length;
  return Object.fromEntries(names.map((n, i) => [n, (base + (i < extra ? 1 : 0)) * batch]));
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
