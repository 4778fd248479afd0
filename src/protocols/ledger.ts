/**
 * The budget ledger: what each run actually consumed, per phase and dataset — the count and a
 * SHA-256 of the example ids in order. Each dataset's examples come from its own seeded stream
 * (epochs of a shuffled train split), so two protocols that consume the same count of a
 * dataset consumed the very same examples in the same order, and their hashes are equal:
 * fairness is checked, not assumed.
 */
import { createHash, type Hash } from 'node:crypto';
import { Rng } from '../data/rng.js';
import { seedFor } from '../data/synth/seed.js';

/**
 * The bytes the ledger hashes for `ids`: each id in decimal followed by a comma (`3,17,5,`).
 * Written digit by digit into one buffer: joining strings cost ~0.35 s per million ids, which
 * at the paper's scale (20M ids, hashed twice) was most of the plan's time.
 */
export function idBytes(ids: readonly number[]): Uint8Array {
  const out = new Uint8Array(ids.length * 11);
  let p = 0;
  for (let k = 0; k < ids.length; k++) {
    let v = ids[k]!;
    if (!(Number.isInteger(v) && v >= 0 && v < 4294967296)) throw new Error(`example id ${v} is not a whole number in [0, 2^32)`);
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    for (let i = p + digits - 1; i >= p; i--) {
      const r = v % 10;
      out[i] = 48 + r;
      v = (v - r) / 10;
    }
    p += digits;
    out[p++] = 44;
  }
  return out.subarray(0, p);
}

/** Example indices of a dataset's train split: shuffled epochs, seeded by (seed, dataset). */
export class ExampleStream {
  private order: number[] = [];
  private at = 0;
  private epoch = 0;
  private readonly hash: Hash = createHash('sha256');
  consumed = 0;

  constructor(
    readonly dataset: string,
    readonly size: number,
    private readonly seed: number,
  ) {
    if (!(size > 0)) throw new Error(`dataset ${dataset} has no training examples`);
  }

  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.at === this.order.length) {
        // one array for every epoch, refilled in place (a fresh one per epoch is garbage of the dataset's size each time)
        if (this.order.length !== this.size) this.order = new Array<number>(this.size);
        for (let i = 0; i < this.size; i++) this.order[i] = i;
        new Rng(seedFor(this.seed, 'stream', this.dataset, this.epoch++)).shuffle(this.order);
        this.at = 0;
      }
      out.push(this.order[this.at++]!);
    }
    this.hash.update(idBytes(out));
    this.consumed += n;
    return out;
  }

  /** Hash of the ids consumed so far (the stream continues). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

export interface LedgerEntry {
  readonly examples: number;
  readonly steps: number;
  /** SHA-256 of this dataset's example ids consumed in the phase, in order. */
  readonly idsSha256: string;
}

export interface LedgerPhase {
  readonly name: string;
  readonly sampler: string;
  readonly steps: number;
  readonly datasets: Record<string, LedgerEntry>;
}

export interface Ledger {
  readonly phases: LedgerPhase[];
  /** Examples per dataset over all phases, and the hash of each dataset's whole id stream. */
  readonly totals: Record<string, { examples: number; idsSha256: string }>;
}

export class LedgerRecorder {
  private readonly phases: LedgerPhase[] = [];
  private readonly streams = new Map<string, ExampleStream>();
  private current: { name: string; sampler: string; steps: number; counts: Map<string, { examples: number; steps: number; hash: Hash }> } | null = null;

  constructor(private readonly seed: number) {}

  stream(dataset: string, size: number): ExampleStream {
    let s = this.streams.get(dataset);
    if (s === undefined) {
      s = new ExampleStream(dataset, size, this.seed);
      this.streams.set(dataset, s);
    }
    return s;
  }

  beginPhase(name: string, sampler: string): void {
    this.endPhase();
    this.current = { name, sampler, steps: 0, counts: new Map() };
  }

  /** Records one step's parts (dataset → example ids). */
  record(parts: readonly (readonly [string, readonly number[]])[]): void {
    const c = this.current!;
    c.steps++;
    for (const [d, ids] of parts) {
      let e = c.counts.get(d);
      if (e === undefined) c.counts.set(d, (e = { examples: 0, steps: 0, hash: createHash('sha256') }));
      e.examples += ids.length;
      e.steps++;
      e.hash.update(idBytes(ids));
    }
  }

  /**
   * Records, in bulk, ids of `dataset` consumed in the current phase (a streamed plan: chunk by
   * chunk, in order) — the same ledger entry as recording them step by step; `steps` (how many of
   * the phase's steps use the dataset) and `phaseSteps` are added once, with the first chunk.
   */
  recordIds(dataset: string, ids: readonly number[], steps: number, phaseSteps: number): void {
    const c = this.current!;
    let e = c.counts.get(dataset);
    if (e === undefined) {
      c.counts.set(dataset, (e = { examples: 0, steps, hash: createHash('sha256') }));
      c.steps = Math.max(c.steps, phaseSteps);
    }
    e.examples += ids.length;
    e.hash.update(idBytes(ids));
  }

  endPhase(): void {
    const c = this.current;
    if (c === null) return;
    this.phases.push({
      name: c.name,
      sampler: c.sampler,
      steps: c.steps,
      datasets: Object.fromEntries([...c.counts].map(([d, e]) => [d, { examples: e.examples, steps: e.steps, idsSha256: e.hash.digest('hex') }])),
    });
    this.current = null;
  }

  finish(): Ledger {
    this.endPhase();
    return { phases: this.phases, totals: Object.fromEntries([...this.streams].map(([d, s]) => [d, { examples: s.consumed, idsSha256: s.digest() }])) };
  }
}

/**
 * Ledger differences that break an equal-budget comparison: datasets whose totals (count and
 * id hash) differ between runs that use them. Empty = fair.
 */
export function ledgerMismatches(runs: readonly { name: string; ledger: Ledger }[], mustMatch: readonly string[]): string[] {
  const problems: string[] = [];
  for (const d of mustMatch) {
    const users = runs.filter((r) => r.ledger.totals[d] !== undefined);
    const first = users[0];
    for (const r of users.slice(1)) {
      const a = first!.ledger.totals[d]!;
      const b = r.ledger.totals[d]!;
      if (a.examples !== b.examples) problems.push(`${d}: ${first!.name} saw ${a.examples} examples, ${r.name} ${b.examples}`);
      else if (a.idsSha256 !== b.idsSha256) problems.push(`${d}: ${first!.name} and ${r.name} saw different examples (id hashes differ)`);
    }
  }
  return problems;
}
