/**
 * The `cft-bench` command table (commander) and `runCli`, which maps outcomes to exit codes
 * (errors.ts). Each command's module is imported only when that command runs (TensorFlow.js
 * alone costs ~0.6 s to import; `eval` should not pay for it).
 */
import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../data/input-error.js';
import { EXIT, UsageError } from './errors.js';
import { VERSION } from './version.js';

export const PROTOCOL_CHOICES = ['activitynet-2019', 'activitynet', 'activitynet-2018', 'mmaction2', 'slowfast'];

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cft-bench')
    .description('Co-finetuning benchmark and AVA frame-mAP evaluation toolkit')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('eval')
    .description('frame-mAP of an AVA-format prediction file, with head/mid/tail groups; writes per_class.csv, summary.md, result.json')
    .requiredOption('--gt <file>', 'ground-truth CSV (AVA format; .gz accepted)')
    .requiredOption('--pred <file>', 'predictions CSV (AVA format; .gz accepted)')
    .requiredOption('--labelmap <file>', 'label map (pbtxt, `id:` or `label_id:` form)')
    .option('--exclusions <file>', 'excluded keyframes CSV (video,timestamp)')
    .addOption(new Option('--protocol <name>', 'evaluator preset').choices(PROTOCOL_CHOICES).default('activitynet-2019'))
    .option('--train-gt <file>', 'training GT CSV: per-class instance counts define head/mid/tail')
    .option('--class-counts <file>', 'per-class training counts CSV (header id,count)')
    .option('--groups <rule>', 'tertiles | thresholds=N1,N2 | file=groups.csv | ava-groups', 'tertiles')
    .addOption(new Option('--ties <mode>', 'exact: official tie order; bounds: also the range over tie orders').choices(['exact', 'bounds']).default('exact'))
    .option('--out <dir>', 'output directory (default reports/<name>/)')
    .option('--name <name>', 'report name (default: the prediction file name)')
    .option('--json', 'print result.json to stdout instead of the summary')
    .option('--skip-bad-rows', 'skip malformed rows (counted by reason) instead of failing')
    .option('--workers <n>', 'threads for large prediction files', '2')
    .action(async (opts) => {
      const { evalCommand } = await import('./commands/eval.js');
      setExit(await evalCommand(opts));
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
    process.stderr.write(`cft-bench: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}
