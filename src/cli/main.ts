#!/usr/bin/env node
/** Entry point of the `cft-bench` bin (see program.ts for the commands). */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
