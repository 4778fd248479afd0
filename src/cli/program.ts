/**
 * The `cft-bench` command table (commander) and `runCli`, which maps outcomes to exit codes
 * (errors.ts). Each command's module is imported only when that command runs (TensorFlow.js
 * alone costs ~0.6 s to import; `eval` should not pay for it).
 */
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../data/input-error.js';
import { EXIT, UsageError } from './errors.js';
import { VERSION } from './version.js';
import { integer, nameList, outDir, outFile, path, positive, positiveList, repeatable, sampler } from './options.js';

const BACKENDS = ['auto', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'];
export const PROTOCOL_CHOICES = ['activitynet-2019', 'activitynet', 'activitynet-2018', 'mmaction2', 'slowfast'];

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cft-bench')
    .description('Co-finetuning benchmark and AVA frame-mAP evaluation toolkit')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('eval')
    .description('frame-mAP of AVA-format predictions (one file or shards), with head/mid/tail groups; writes per_class.csv, summary.md, result.json')
    .requiredOption('--gt <file>', 'ground-truth CSV (AVA format; .gz accepted)', path)
    .requiredOption('--pred <files...>', 'predictions CSV (AVA format; .gz accepted); several files or a quoted glob are shards of one prediction set (exact repeats across shards counted once)')
    .requiredOption('--labelmap <file>', 'label map (pbtxt, `id:` or `label_id:` form)', path)
    .option('--exclusions <file>', 'excluded keyframes CSV (video,timestamp)', path)
    .addOption(new Option('--protocol <name>', 'evaluator preset').choices(PROTOCOL_CHOICES).default('activitynet-2019'))
    .option('--train-gt <file>', 'training GT CSV: per-class instance counts define head/mid/tail', path)
    .option('--class-counts <file>', 'per-class training counts CSV (header id,count)', path)
    .option('--groups <rule>', 'tertiles | thresholds=N1,N2 | file=groups.csv | ava-groups', 'tertiles')
    .addOption(new Option('--ties <mode>', 'exact: official tie order; bounds: also the range over tie orders').choices(['exact', 'bounds']).default('exact'))
    .option('--out <dir>', 'output directory (default reports/<name>/)', outDir)
    .option('--name <name>', 'report name (default: the prediction file name)', path)
    .option('--json', 'print result.json to stdout instead of the summary')
    .option('--skip-bad-rows', 'skip malformed rows (counted by reason) instead of failing')
    .option('--workers <n>', 'threads for large prediction files (1-64)', integer(1, 64), 2)
    .action(async (opts) => {
      const { evalCommand } = await import('./commands/eval.js');
      setExit(await evalCommand(opts));
    });

  program
    .command('train')
    .description('train one model with one protocol on the embedded benchmark; writes the model, ledger and eval reports')
    .option('--manifest <file>', 'a benchmark manifest (YAML or JSON): train on its datasets (--benchmark/--upstream name them; default its roles) with its budgets (else --steps)', path)
    .option('--benchmark <name>', 'downstream localisation set', path, 'synth-ava')
    .option('--upstream <names>', 'upstream set(s), comma-separated', nameList, ['synth-kinetics'])
    .option('--protocol <name|path>', 'cofinetune | pretrain-finetune | linear-probe-finetune | downstream-only | multi-cofinetune | ./my-protocol.js', 'cofinetune')
    .option('--steps <n>', 'total optimizer steps (1/3 downstream, 2/3 upstream examples; at most 1,000,000: the plan is held in memory)', integer(3, 1e6), 3000)
    .option('--lr <lr>', 'peak learning rate (warmup 5% + cosine)', positive({ max: 1e6 }), 0.003)
    .option('--pretrain-lr <lr>', 'peak learning rate of upstream pretraining phases', positive({ max: 1e6 }), 0.003)
    .option('--sampler <name>', 'weighted-without-replacement | proportional | temperature=T | uniform | mixed-batch', sampler, 'weighted-without-replacement')
    .option('--batch <n>', 'batch size', integer(1, 65536), 32)
    .option('--seed <n>', 'training seed (initialisation and sampling)', integer(0, 2 ** 31 - 1), 0)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .addOption(new Option('--eval <split>', 'evaluate on a split, or none').choices(['val', 'test', 'none']).default('val'))
    .option('--out <dir>', 'output directory (default reports/train-<protocol>-seed<seed>/)', outDir)
    .option('--trainer <tfjs|torch|command>', 'tfjs (built in); torch (the shipped PyTorch mirror of the built-in model, CUDA when available; "torch --device cpu|cuda"); or a command of any framework run on the plan under the external-trainer contract (docs/external-trainer.md)', path, 'tfjs')
    .option('--trainer-timeout <s>', 'refuse an external trainer that has not finished after this many seconds (0: no limit; at most 2,000,000, ~23 days)', positive({ zero: true, max: 2e6 }), 3600)
    .option('--write-plan <file|dir/>', 'write the run\'s whole schedule (per step: dataset, example ids, LR; its ledger) and exit without training: as JSON, or with a trailing slash as a folder (plan.json + NPY arrays, for plans of any size)', path)
    .option('--json', 'print result.json to stdout')
    .action(async (opts) => {
      const { trainCommand } = await import('./commands/train.js');
      setExit(await trainCommand(opts));
    });

  program
    .command('compare')
    .description('protocols under identical data budgets on the embedded benchmark: leaderboard, paired comparison, per-class gains')
    .addOption(new Option('--budget <mode>', 'equal (same examples per dataset) | equal-total (same total, each protocol its own split)').choices(['equal', 'equal-total']).default('equal'))
    .option('--budget-scale <s>', 'scale the budgets (the manifest\'s; the embedded benchmark\'s are 32k downstream + 64k upstream examples); at most 100', positive({ max: 100 }), 1)
    .option('--manifest <file>', 'a benchmark manifest (YAML or JSON): your datasets, which is downstream and upstream, and each one\'s budget in examples or epochs (default: the embedded benchmark)', path)
    .option('--budget-file <file>', 'JSON {"synth-ava": 32000, "synth-kinetics": 64000}; with --manifest also {"ava": {"epochs": 20}}', path)
    .option('--seeds <n>', 'training seeds (mean ± std and CIs over seeds)', integer(1, 1000), 1)
    .option('--quick', 'smoke run (~1/10 budget, one LR): "pipeline check, no claim"')
    .option('--protocols <list>', 'built-in protocols', nameList, ['downstream-only', 'pretrain-finetune', 'linear-probe-finetune', 'cofinetune', 'multi-cofinetune'])
    .option('--protocol <module>', 'add a plug-in protocol module (repeatable)', repeatable(path))
    .option('--lr-grid <lrs>', 'learning rates tried for every protocol (default 0.0015,0.003,0.006; --quick 0.003)', positiveList)
    .option('--lr-from <file|none>', 'run each protocol at the LR tuned by an earlier compare (its tuned-lr.json); default: baselines/tuned-lr.json when it was tuned for this setting, else search --lr-grid', path)
    .option('--lr-extend <n>', 'times the grid may be extended ×2 past an edge a protocol chose (0: fail at once)', integer(0, 20), 2)
    .option('--pretrain-lr <lr>', 'fixed LR of upstream pretraining phases', positive({ max: 1e6 }), 0.003)
    .option('--sampler <name>', 'weighted-without-replacement | proportional | temperature=T | uniform | mixed-batch', sampler, 'weighted-without-replacement')
    .option('--batch <n>', 'batch size', integer(1, 65536), 32)
    .option('--workers <n>', 'parallel training processes (tfjs-wasm is single-threaded)', integer(1, 64), 2)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .option('--resamples <n>', 'bootstrap resamples for CIs (10 to 1,000,000)', integer(10, 1e6), 1000)
    .option('--out <dir>', 'output directory (default reports/compare-<timestamp>/)', outDir)
    .option('--json', 'print result.json to stdout')
    .option('--plan', 'print what would run (protocols, seeds, LRs and where they come from) and exit')
    .option('--write-plans <dir>', 'with --plan: write every run\'s whole plan (example ids per step, LRs, ledger) as plan.json + NPY arrays per run into DIR', outDir)
    .option('--trainer <tfjs|torch|command>', 'tfjs (built in); torch (the shipped PyTorch mirror of the built-in model; "torch --device cpu|cuda"); or a command run on each run\'s plan under the external-trainer contract (docs/external-trainer.md)', path, 'tfjs')
    .option('--trainer-timeout <s>', 'refuse an external trainer run that has not finished after this many seconds (0: no limit; at most 2,000,000, ~23 days)', positive({ zero: true, max: 2e6 }), 3600)
    .option('--shard <I/N|auto>', 'run only shard I of N of the protocol × seed × LR matrix into --cache (auto: from SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX with CFT_BENCH_SHARDS, or CFT_BENCH_SHARD)')
    .option('--merge', 'write the leaderboard from the cache alone (after every shard finished); exit 1 naming missing runs')
    .option('--cache <dir>', 'results cache shared by shards (runs and pretraining checkpoints; default <out>/../.cache)', outDir)
    .option('--fresh', 'redo every run and pretraining the cache holds from before this command (e.g. after changing something the trainer command does not name); the old ones are set aside, not deleted')
    .option('--gpus <ids>', 'give worker process i the device(s) ids[i mod n] as CUDA_VISIBLE_DEVICES (e.g. 0,1 with --workers 2)', nameList)
    .action(async (opts) => {
      const { compareCommand } = await import('./commands/compare.js');
      setExit(await compareCommand(opts, process.argv.slice(2)));
    });

  program
    .command('leaderboard')
    .description('one table of results: compare results merged, or eval/infer results of models on the same GT ranked with CIs (Markdown to stdout; --out DIR also writes CSV, JSON and report.html)')
    .argument('<result...>', 'result.json files (or their folders) of compare, or of eval/infer — one kind per table')
    .option('--out <dir>', 'write leaderboard.md, leaderboard.csv, leaderboard.json here', outDir)
    .option('--json', 'print JSON instead of Markdown')
    .option('--reference <name>', 'eval/infer results: the model (its result folder\'s name) every other is paired with')
    .addOption(new Option('--by <unit>', 'eval/infer results: resample keyframes, or whole videos').choices(['keyframe', 'video']).default('keyframe'))
    .option('--resamples <n>', 'eval/infer results: bootstrap resamples (10 to 1,000,000)', integer(10, 1e6), 1000)
    .action(async (files: string[], opts) => {
      const { leaderboardCommand } = await import('./commands/compare.js');
      setExit(await leaderboardCommand(files, opts));
    });

  program
    .command('export')
    .description('write a trained cft-bench model as ONNX (I/O contract: clips + boxes -> scores; see src/trainers/onnx-export.ts)')
    .option('--model <dir>', 'model directory written by train', path, 'reports/train-cofinetune-seed0/model')
    .requiredOption('--onnx <file>', 'output .onnx file', outFile)
    .action(async (opts) => {
      const { exportCommand } = await import('./commands/variants.js');
      setExit(await exportCommand(opts));
    });

  program
    .command('infer')
    .description('run an ONNX model (onnxruntime) on a localisation set; writes predictions and frame-mAP reports')
    .requiredOption('--model <file.onnx>', 'a model following the cft-bench ONNX contract', path)
    .option('--benchmark <name|dir>', 'synth-ava or a dataset directory', path, 'synth-ava')
    .addOption(new Option('--split <split>', 'split to run on').choices(['val', 'test']).default('test'))
    .option('--threads <n>', 'onnxruntime intra-op threads', integer(1, 256), 1)
    .addOption(new Option('--device <d>', 'cpu, or cuda (CUDA provider, if installed)').choices(['cpu', 'cuda']).default('cpu'))
    .option('--out <dir>', 'output directory (default reports/infer-<model>/)', outDir)
    .option('--json', 'print result.json to stdout')
    .action(async (opts) => {
      const { inferCommand } = await import('./commands/variants.js');
      setExit(await inferCommand(opts));
    });

  program
    .command('check')
    .description('regression gate: a candidate (variant.onnx, or an infer or eval result) vs a baseline, paired over keyframes; exit 0 pass, 1 regression, 2 bad input')
    .requiredOption('--baseline <results...>', 'baseline: a directory such as baselines/default, or the result.json (or directory) of cft-bench infer or eval; several (or a quoted glob) are the training seeds of one recipe')
    .requiredOption('--candidate <results...>', 'variant.onnx, or the result.json (or directory) of cft-bench infer or eval; several (or a quoted glob) are the training seeds of one recipe')
    .option('--max-drop <points>', 'tolerated drop in mAP points: 0.5 (all metrics) or tail=1.0 (one metric); repeatable', repeatable(path))
    .option('--resamples <n>', 'paired bootstrap resamples (10 to 1,000,000)', integer(10, 1e6), 1000)
    .addOption(new Option('--by <unit>', 'resample keyframes, or whole videos').choices(['keyframe', 'video']).default('keyframe'))
    .option('--threads <n>', 'onnxruntime threads for an .onnx candidate', integer(1, 256), 1)
    .option('--markdown <file>', 'write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)', outFile)
    .option('--github', 'print GitHub Actions annotations')
    .option('--json', 'print the verdict as JSON')
    .action(async (opts) => {
      const { checkCommand } = await import('./commands/variants.js');
      setExit(await checkCommand(opts));
    });

  program
    .command('diff')
    .description('paired comparison of two eval (or infer) results on the same GT, no verdict: per class and per group Δ AP (B − A) with paired bootstrap 95% CIs; writes diff.md, diff.csv, diff.json, diff-vs-count.svg')
    .argument('<a>', 'result A (the reference): result.json of cft-bench eval or infer, or its directory')
    .argument('<b>', 'result B, the same forms')
    .addOption(new Option('--by <unit>', 'resample keyframes, or whole videos (keyframes of a video are correlated)').choices(['keyframe', 'video']).default('keyframe'))
    .option('--resamples <n>', 'paired bootstrap resamples (10 to 1,000,000)', integer(10, 1e6), 1000)
    .option('--seed <n>', 'bootstrap seed', integer(0, 2 ** 31 - 1), 7)
    .option('--out <dir>', 'output directory (default reports/diff-<B>-vs-<A>/)', outDir)
    .option('--markdown <file>', 'also write the Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)', outFile)
    .option('--github', 'print GitHub Actions annotations (a warning per group that dropped beyond noise)')
    .option('--json', 'print diff.json to stdout instead of the tables')
    .action(async (a: string, b: string, opts) => {
      const { diffCommand } = await import('./commands/diff.js');
      setExit(await diffCommand(a, b, opts));
    });

  program
    .command('baseline')
    .description('stored reference results for the regression gate')
    .command('update')
    .description('retrain the reference model and regenerate baselines/<name> (records command, seed, code version)')
    .option('--name <name>', 'baseline name', path, 'default')
    .option('--dir <dir>', 'baselines directory', outDir, 'baselines')
    .option('--protocol <name>', 'training protocol', path, 'cofinetune')
    .option('--steps <n>', 'training steps (1/3 downstream)', integer(3, 1e6), 1500)
    .option('--lr <lr>', 'peak learning rate', positive({ max: 1e6 }), 0.003)
    .option('--seed <n>', 'training seed', integer(0, 2 ** 31 - 1), 0)
    .action(async (opts) => {
      const { baselineUpdateCommand } = await import('./commands/variants.js');
      setExit(await baselineUpdateCommand(opts, process.argv.slice(2)));
    });

  const data = program.command('data').description('the embedded benchmark as files, and a look at it');
  data
    .command('export')
    .description('write datasets as NPY clips + AVA-format CSVs (see src/data/dataset-files.ts)')
    .option('--benchmark <name>', 'synth-ava | synth-kinetics | synth-ssv2 | synth-mit | all', path, 'synth-ava')
    .option('--upstream <names>', 'also export these upstream sets, comma-separated', nameList)
    .requiredOption('--out <dir>', 'output directory (one subdirectory per dataset)', outDir)
    .option('--seed <n>', 'benchmark seed', integer(0, 2 ** 31 - 1), 0)
    .action(async (opts) => {
      const { dataExportCommand } = await import('./commands/data.js');
      setExit(await dataExportCommand(opts));
    });
  data
    .command('show')
    .description('write a PNG contact sheet of localisation clips with boxes and labels')
    .option('--benchmark <name|dir>', 'a localisation set: synth-ava or a dataset directory', path, 'synth-ava')
    .addOption(new Option('--split <split>', 'split to show').choices(['train', 'val', 'test']).default('train'))
    .option('--count <n>', 'clips', integer(1, 1000), 8)
    .option('--start <i>', 'first clip index', integer(0), 0)
    .option('--out <file.png>', 'output PNG', outFile, 'reports/synth-ava.png')
    .option('--seed <n>', 'benchmark seed', integer(0, 2 ** 31 - 1), 0)
    .action(async (opts) => {
      const { dataShowCommand } = await import('./commands/data.js');
      setExit(await dataShowCommand(opts));
    });

  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput; // help/--version exit 0
    if (err instanceof InputError || err instanceof UsageError) {
      process.stderr.write(`cft-bench: ${err.message}\n`);
      return EXIT.badInput;
    }
    const io = ioFailure(err);
    if (io !== null) {
      process.stderr.write(`cft-bench: ${io}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`cft-bench: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}

/** What the system said, in words, for the errors a machine (not cft-bench) causes. */
const IO_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
};

/** A file-system failure as `path: what it was doing: why` (exit 2: the machine's state, not a bug), or null. */
function ioFailure(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || IO_ERRORS[e.code] === undefined) return null;
  return `${e.path ?? '(file system)'}: ${e.syscall ?? 'i/o'}: ${IO_ERRORS[e.code]} (${e.code}); no report was written`;
}
