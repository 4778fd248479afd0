#!/usr/bin/env node
/** Entry point of the `cft-bench` bin (see program.ts for the commands). */
import { runCli } from './program.js';

// Ctrl-C, `kill`, `timeout`, a cancelled CI job: exit through process.exit so that 'exit' handlers
// run — worker processes see the IPC channel close and stop, trainer process groups are
// killed, cache claims are released. (Without a handler Node would die without running them.)
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    process.stderr.write(`cft-bench: ${signal}: stopping (finished runs are kept in the cache)\n`);
    process.exit(code);
  });
}

process.exitCode = await runCli(process.argv);
