#!/bin/bash
# cft-bench compare as a Slurm job array: each task runs one shard of the protocol × seed × LR
# matrix into a cache on a shared filesystem; a dependent job merges the leaderboard.
#
#   sbatch examples/cluster/slurm-array.sh            # submits the array and the merge job
#
# Every task must run the same cft-bench checkout and the same options (the shard split and the
# cache keys are computed from them). If the LR grid has to be extended (a protocol chose an
# edge), the merge says so: submit the array again; finished runs are reused from the cache.
#SBATCH --job-name=cft-compare
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
OPTS=(--budget equal --seeds 5 --lr-from none --workers 2 --out reports/compare-cluster)
CACHE=${CFT_CACHE:-$PWD/reports/.cache-cluster}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  # submission: the array, then the merge once every task has ended
  array=$(sbatch --parsable "$0")
  sbatch --dependency=afterany:"$array" --job-name=cft-merge --wrap "npx cft-bench compare ${OPTS[*]} --cache $CACHE --merge"
  exit 0
fi
npx cft-bench compare "${OPTS[@]}" --cache "$CACHE" --shard auto
