/**
 * Protocols turn a data budget into phases that drive a Trainer. The built-ins:
 *
 * - `downstream-only`   the downstream examples only (reference);
 * - `pretrain-finetune` all upstream examples first (own LR schedule, lr fixed), then the
 *                       downstream ones with fresh optimizers and a fresh schedule; the upstream
 *                       head is not used again;
 * - `cofinetune`        one upstream set + downstream together, one schedule;
 * - `multi-cofinetune`  several upstream sets (the same total upstream examples) + downstream.
 *
 * A protocol is plain data plus one function, so users can plug in their own:
 * `--protocol ./my-protocol.js` loads a module whose default export has the same shape.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { splitUpstream } from './budget.js';
import type { SamplerSpec } from './sampler.js';

export interface ProtocolContext {
  readonly downstream: string;
  /** Upstream sets available, in order of preference (single-upstream protocols use the first). */
  readonly upstream: readonly string[];
  /** Examples: downstream total and upstream total. */
  readonly budget: { readonly downstream: number; readonly upstream: number };
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
}

export interface Protocol {
  readonly name: string;
  readonly description: string;
  /** Which upstream sets it uses: none, the first, or all. */
  readonly upstream: 'none' | 'one' | 'all';
  phases(ctx: ProtocolContext): Phase[];
}

const single = (sampler: SamplerSpec) => sampler;

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
      { name: 'pretrain', examples: { [c.upstream[0]!]: c.budget.upstream }, sampler: c.sampler, lr: c.pretrainLr, freshOptimizers: true },
      { name: 'finetune', examples: { [c.downstream]: c.budget.downstream }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
    ],
  },
  cofinetune: {
    name: 'cofinetune',
    description: 'one upstream set and the downstream set together, one schedule',
    upstream: 'one',
    phases: (c) => [{ name: 'cofinetune', examples: { [c.downstream]: c.budget.downstream, [c.upstream[0]!]: c.budget.upstream }, sampler: c.sampler, lr: c.lr, freshOptimizers: true }],
  },
  'multi-cofinetune': {
    name: 'multi-cofinetune',
    description: 'all upstream sets (same total upstream examples, split equally) and the downstream set together',
    upstream: 'all',
    phases: (c) => [
      { name: 'cofinetune', examples: { [c.downstream]: c.budget.downstream, ...splitUpstream(c.budget.upstream, c.upstream, c.batch) }, sampler: c.sampler, lr: c.lr, freshOptimizers: true },
    ],
  },
};

export const BUILTIN_PROTOCOLS = Object.keys(PROTOCOLS);

function isProtocol(p: unknown): p is Protocol {
  const o = p as Protocol;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.phases === 'function' && ['none', 'one', 'all'].includes(o.upstream);
}

/** A built-in protocol by name, or a plug-in module by path (`./my-protocol.js`). */
export async function resolveProtocol(nameOrPath: string): Promise<Protocol> {
  const builtin = PROTOCOLS[nameOrPath];
  if (builtin !== undefined) return builtin;
  if (!/[./\\]/.test(nameOrPath)) throw new Error(`Unknown protocol '${nameOrPath}'. Built in: ${BUILTIN_PROTOCOLS.join(', ')}; or give a module path (./my-protocol.js)`);
  const mod = (await import(pathToFileURL(resolve(nameOrPath)).href)) as { default?: unknown };
  if (!isProtocol(mod.default)) throw new Error(`${nameOrPath}: the default export must be a protocol { name, description, upstream: 'none'|'one'|'all', phases(ctx) }`);
  return mod.default;
}
