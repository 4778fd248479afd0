/**
 * Compare matrices split across cluster jobs: `compare --shard I/N` runs a deterministic share
 * of the protocol × seed × LR matrix into a shared results cache; `compare --merge` (or the plain
 * command, once every run is cached) writes the leaderboard from the cache alone.
 *
 * Jobs that share a pretraining (every LR of a seed; pretrain-finetune and LP-FT) go to the same
 * shard, so no two shards train the same checkpoint. Shares are dealt round-robin over those
 * groups in the matrix's own order, which every shard computes identically from the same options.
 */
import { jobHash, pretrainKey, type JobSpec } from './job.js';

export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

/**
 * `I/N` (1-based I, as people count array tasks), or `auto`: Slurm job arrays
 * (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT), a Kubernetes Indexed
 * Job (JOB_COMPLETION_INDEX, 0-based, of CFT_BENCH_SHARDS — Kubernetes does not expose the
 * completion count), or CFT_BENCH_SHARD=I/N.
 */
export function parseShard(arg: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const explicit = (text: string, source: string): Shard => {
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    if (m === null || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new Error(`${source} '${text}': expected I/N with 1 ≤ I ≤ N (e.g. 2/4)`);
    return { index: Number(m[1]) - 1, count: Number(m[2]) };
  };
  if (arg !== 'auto') return explicit(arg, '--shard');
  // whole numbers ≥ 0 written as digits: '' is not 0, '-1' and '1e3' are not indices
  const whole = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : NaN);
  if (env['SLURM_ARRAY_TASK_ID'] !== undefined) {
    const id = whole(env['SLURM_ARRAY_TASK_ID']);
    const min = env['SLURM_ARRAY_TASK_MIN'] === undefined ? 0 : whole(env['SLURM_ARRAY_TASK_MIN']);
    const count = whole(env['SLURM_ARRAY_TASK_COUNT']);
    if (!(id >= min) || !(count >= 1) || id - min >= count) throw new Error(`--shard auto: SLURM_ARRAY_TASK_ID ${env['SLURM_ARRAY_TASK_ID']}, _MIN ${env['SLURM_ARRAY_TASK_MIN']}, _COUNT ${env['SLURM_ARRAY_TASK_COUNT']} do not name a task of a contiguous array (use --array=0-N or 1-N)`);
    return { index: id - min, count };
  }
  if (env['JOB_COMPLETION_INDEX'] !== undefined) {
    const index = whole(env['JOB_COMPLETION_INDEX']);
    const count = whole(env['CFT_BENCH_SHARDS']);
    if (!(index >= 0) || !(count >= 1) || index >= count) throw new Error(`--shard auto: JOB_COMPLETION_INDEX '${env['JOB_COMPLETION_INDEX']}' must be an index 0 ≤ i < CFT_BENCH_SHARDS, the Job's completions (got CFT_BENCH_SHARDS ${env['CFT_BENCH_SHARDS'] ?? 'unset'})`);
    return { index, count };
  }
  if (env['CFT_BENCH_SHARD'] !== undefined) return explicit(env['CFT_BENCH_SHARD'], 'CFT_BENCH_SHARD');
  throw new Error('--shard auto: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CFT_BENCH_SHARD is set');
}

/** This shard's share of `specs`: whole pretraining groups, dealt round-robin in matrix order. */
export async function shareOf(specs: readonly JobSpec[], shard: Shard): Promise<JobSpec[]> {
  const groupOf = new Map<string, number>();
  const mine: JobSpec[] = [];
  for (const s of specs) {
    const key = (await pretrainKey(s)) ?? `job:${jobHash(s)}`;
    if (!groupOf.has(key)) groupOf.set(key, groupOf.size);
    if (groupOf.get(key)! % shard.count === shard.index) mine.push(s);
  }
  return mine;
}
