/**
 * Protocols turn a data budget into phases that drive a Trainer. The built-ins:
 *
 * - `downstream-only`   the downstream examples only (reference);
 * - `pretrain-finetune` all upstream examples first (own LR schedule, lr fixed), then the
 *                       downstream ones with fresh optimizers and a fresh schedule; the upstream
 *                       head is not used again;
 * - `linear-probe-finetune` (LP-FT, Kumar et al. 2022) the same pretraining, then the new
 *                       localisation head alone on the first LPFT_PROBE_SHARE of the downstream
 *                       examples (trunk frozen), then everything on the rest;
 * - `cofinetune`        one upstream set + downstream together, one schedule;
 * - `multi-cofinetune`  several upstream sets (the same total upstream examples) + downstream.
 *
 * A protocol is plain data plus one function, so users can plug in their own:
 * `--protocol ./my-protocol.js` loads a module whose default export has the same shape.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { splitUpstream } from './budget.js';
import { FEATURE_NORM } from '../trainers/model.js';
import { existsSync } from 'node:fs';
import { InputError } from '../data/input-error.js';
import { parseSampler, samplerName, type SamplerSpec } from './sampler.js';

export interface ProtocolContext {
  readonly downstream: string;
  /** Upstream sets available, in order of preference (single-upstream protocols use the first). */
  readonly upstream: readonly string[];
  /** Examples: downstream total and upstream total. */
  readonly budget: { readonly downstream: number; readonly upstream: number };
  /**
   * Each upstream set's own examples (a manifest's budgets: "equal" is each dataset's count,
   * never a sum); absent: `budget.upstream` is every protocol's upstream total, split equally
   * by the multi-upstream protocol (the embedded benchmark's comparison).
   */
  readonly upstreamBudgets?: Readonly<Record<string, number>>;
  readonly batch: number;
  /** The learning rate under selection (the LR grid value). */
  readonly lr: number;
  /** Fixed LR for upstream pretraining phases. */
  readonly pretrainLr: number;
  readonly sampler: SamplerSpec;
}

export interface Phase {
  readonly name: string;
  /** Dataset → examples in this phase. */
  readonly examples: Readonly<Record<string, number>>;
  readonly sampler: SamplerSpec;
  readonly lr: number;
  /** Start this phase with fresh optimizer state (e.g. finetuning after pretraining). */
  readonly freshOptimizers: boolean;
  /** Train the heads only, trunk frozen (a linear probe). Default false. */
  readonly headsOnly?: boolean;
}

/**
 * LP-FT's probe: this share of the downstream examples (whole batches) trains the new head on
 * the frozen pretrained trunk before full finetuning. Kumar et al. probe to convergence; a
 * zero-initialised linear head on 64-d features converges within a few hundred steps here.
 */
export const LPFT_PROBE_SHARE = 0.25;

/**
 * The training practice every protocol gets alike (the field's standard choices), recorded in
 * every compare report so a reader sees what the baselines were given.
 */
export const TRAINING_PRACTICE = {
  headInit: 'new heads: zero weights; bias -2 (localisation, near the base rate), 0 (upstream)',
  featureNorm: FEATURE_NORM,
  optimizer: 'Adam (tfjs defaults, no weight decay), one per parameter group; a head steps only on its own batches',
  schedule: 'per phase: 5% linear warm-up, then cosine to 0',
  phases: 'every phase starts with fresh optimizer state (finetuning after pretraining, LP-FT probe and finetune)',
  lrSelection: 'one LR per protocol: best mean val frame-mAP over seeds, from the same grid for all; the grid is extended ×2 past any edge a protocol chooses',
  lpftProbeShare: LPFT_PROBE_SHARE,
} as const;

export interface Protocol {
  readonly name: string;
  readonly description: string;
  /** Which upstream sets it uses: none, the first, or all. */
  readonly upstream: 'none' | 'one' | 'all';
  phases(ctx: ProtocolContext): Phase[];
}

const single = (sampler: SamplerSpec) => sampler;

/** The examples of upstream set `u`: its own budget when each set has one, else the upstream total. */
export const upstreamExamples = (c: ProtocolContext, u: string): number => c.upstreamBudgets?.[u] ?? c.budget.upstream;

/** Every upstream set's examples for a multi-upstream phase: their own budgets, or the total split equally. */
const allUpstream = (c: ProtocolContext): Record<string, number> =>
  c.upstreamBudgets !== undefined ? Object.fromEntries(c.upstream.map((u) => [u, upstreamExamples(c, u)])) : splitUpstream(c.budget.upstream, c.upstream, c.batch);

export const PROTOCOLS: Record<string, Protocol> = {
  'downstream-only': {
    name: 'downstream-only',
    description: 'downstream examples only (reference)',
    upstream: 'none',
    phases: (c) => [{ name: 'train', examples: { [c.downstream]: c.budget.downstream }, sampler: single(c.sampler), lr: c.lr, freshOptimizers: true }],
  },
  'pretrain-finetune': {
    name: 'pretrain-finetune',
    description: 'all upstream examples first, then the downstream ones (fresh optimizers and schedule)',
    upstream: 'one',
    phases: (c) => [
      { name: 'pretrain', examples: { [c.upstream[0]!]: upstreamExamples(c, c.upstream[0]!) }, sampler: c.sampler, lr: c.pretrainLr, freshOptimizers: true },
      { name: 'finetune', examples: { [c.downstream]: c.budget.downstream }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
    ],
  },
  'linear-probe-finetune': {
    name: 'linear-probe-finetune',
    description: `LP-FT: pretraining as pretrain-finetune, then the new head alone (trunk frozen) on ${LPFT_PROBE_SHARE * 100}% of the downstream examples, then everything on the rest`,
    upstream: 'one',
    phases: (c) => {
      const probe = Math.max(1, Math.round((LPFT_PROBE_SHARE * c.budget.downstream) / c.batch)) * c.batch;
      return [
        { name: 'pretrain', examples: { [c.upstream[0]!]: upstreamExamples(c, c.upstream[0]!) }, sampler: c.sampler, lr: c.pretrainLr, freshOptimizers: true },
        { name: 'probe', examples: { [c.downstream]: probe }, sampler: c.sampler, lr: c.lr, freshOptimizers: true, headsOnly: true },
        { name: 'finetune', examples: { [c.downstream]: c.budget.downstream - probe }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
      ];
    },
  },
  cofinetune: {
    name: 'cofinetune',
    description: 'one upstream set and the downstream set together, one schedule',
    upstream: 'one',
    phases: (c) => [{ name: 'cofinetune', examples: { [c.downstream]: c.budget.downstream, [c.upstream[0]!]: upstreamExamples(c, c.upstream[0]!) }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }],
  },
  'multi-cofinetune': {
    name: 'multi-cofinetune',
    description: 'all upstream sets (each its own budget; without per-set budgets, the same total upstream examples split equally) and the downstream set together',
    upstream: 'all',
    phases: (c) => [
      { name: 'cofinetune', examples: { [c.downstream]: c.budget.downstream, ...allUpstream(c) }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
    ],
  },
};

export const BUILTIN_PROTOCOLS = Object.keys(PROTOCOLS);

function isProtocol(p: unknown): p is Protocol {
  const o = p as Protocol;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && o.name.trim() !== '' && typeof o.phases === 'function' && ['none', 'one', 'all'].includes(o.upstream);
}

/**
 * A protocol's phases, checked: every phase names datasets of the context, consumes a whole
 * number of batches (> 0) of each, has a known sampler (a plug-in may give it as text, e.g.
 * 'uniform'), a finite LR > 0 and unique name; the downstream set is trained. A plug-in that
 * throws, or returns anything else, is bad input naming its module — never a silent default.
 */
export function checkedPhases(source: string, protocol: Pick<Protocol, 'phases'>, ctx: ProtocolContext): Phase[] {
  const bad = (why: string): never => {
    throw new InputError(source, null, `phases(): ${why}`);
  };
  let raw: unknown;
  try {
    raw = protocol.phases(ctx);
  } catch (err) {
    return bad(`threw ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) return bad('must return a non-empty array of phases');
  const known = new Set([ctx.downstream, ...ctx.upstream]);
  const names = new Set<string>();
  let downstream = 0;
  const phases = raw.map((ph: Partial<Phase> & { sampler?: unknown }, i): Phase => {
    const at = `phase ${i + 1}${typeof ph?.name === 'string' ? ` '${ph.name}'` : ''}`;
    if (typeof ph !== 'object' || ph === null) return bad(`${at} is not an object`);
    if (typeof ph.name !== 'string' || ph.name.trim() === '') return bad(`${at}: name must be a non-empty string`);
    if (names.has(ph.name)) return bad(`${at}: the name is used by another phase`);
    names.add(ph.name);
    const examples = ph.examples as Record<string, unknown> | undefined;
    if (typeof examples !== 'object' || examples === null || Object.keys(examples).length === 0) return bad(`${at}: examples must map at least one dataset to a count`);
    for (const [d, n] of Object.entries(examples)) {
      if (!known.has(d)) return bad(`${at}: unknown dataset '${d}' (this run has ${[...known].join(', ')})`);
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) return bad(`${at}: examples of ${d} must be a whole number > 0 (got ${JSON.stringify(n)})`);
      if (n % ctx.batch !== 0) return bad(`${at}: ${n} examples of ${d} are not whole batches of ${ctx.batch}`);
      if (d === ctx.downstream) downstream += n;
    }
    let sampler: SamplerSpec;
    try {
      sampler = typeof ph.sampler === 'string' ? parseSampler(ph.sampler) : parseSampler(samplerName(ph.sampler as SamplerSpec));
    } catch (err) {
      return bad(`${at}: sampler ${JSON.stringify(ph.sampler)}: ${(err as Error).message}`);
    }
    if (typeof ph.lr !== 'number' || !Number.isFinite(ph.lr) || ph.lr <= 0) return bad(`${at}: lr must be a finite number > 0 (got ${JSON.stringify(ph.lr)})`);
    if (typeof ph.freshOptimizers !== 'boolean') return bad(`${at}: freshOptimizers must be true or false`);
    if (ph.headsOnly !== undefined && typeof ph.headsOnly !== 'boolean') return bad(`${at}: headsOnly must be true or false`);
    return { ...(ph as Phase), sampler };
  });
  if (downstream === 0) bad(`no phase trains the downstream set ${ctx.downstream}`);
  return phases;
}

/** A built-in protocol by name, or a plug-in module by path (`./my-protocol.js`); its phases are checked (checkedPhases). */
export async function resolveProtocol(nameOrPath: string): Promise<Protocol> {
  const builtin = PROTOCOLS[nameOrPath];
  if (builtin !== undefined) return { ...builtin, phases: (ctx) => checkedPhases(`protocol ${builtin.name}`, builtin, ctx) };
  if (!/[./\\]/.test(nameOrPath)) throw new InputError('--protocol', null, `unknown protocol '${nameOrPath}'. Built in: ${BUILTIN_PROTOCOLS.join(', ')}; or give a module path (./my-protocol.js)`);
  if (!existsSync(nameOrPath)) throw new InputError(nameOrPath, null, 'protocol module not found');
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(nameOrPath)).href)) as { default?: unknown };
  } catch (err) {
    throw new InputError(nameOrPath, null, `the protocol module failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const p = mod.default;
  if (!isProtocol(p)) throw new InputError(nameOrPath, null, `the default export must be a protocol { name, description, upstream: 'none'|'one'|'all', phases(ctx) }`);
  return { name: p.name, description: typeof p.description === 'string' ? p.description : '', upstream: p.upstream, phases: (ctx) => checkedPhases(nameOrPath, p, ctx) };
}

/** Refuses two protocols with one name (a plug-in named like a built-in would replace its row). */
export function checkUniqueNames(protocols: readonly { name: string }[], sources: readonly string[]): void {
  const seen = new Map<string, string>();
  protocols.forEach((p, i) => {
    const other = seen.get(p.name);
    if (other !== undefined) throw new InputError(sources[i]!, null, `protocol name '${p.name}' is already taken by ${other}; give the plug-in its own name`);
    seen.set(p.name, sources[i]!);
  });
}
