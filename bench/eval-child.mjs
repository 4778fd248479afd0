// Runs the built CLI once in this process and reports wall time and peak RSS (all threads)
// on stderr as JSON: the end-to-end measurement of bench/run.ts.
import { runCli } from '../dist/cli/program.js';

const t0 = performance.now();
const code = await runCli(['node', 'cft-bench', ...process.argv.slice(2)]);
const wall = (performance.now() - t0) / 1e3;
process.stderr.write(JSON.stringify({ code, wall, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
process.exitCode = code;
