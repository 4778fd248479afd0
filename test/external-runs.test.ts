/**
 * External runs that never lie (issue 19), with the stdlib reference trainer
 * (examples/trainers/prior_trainer.py): an edited trainer is not served from the cache, a
 * diverging run is a result, reports state the trainer's declared practice (never the built-in
 * one), the trainer's output never reaches stdout, its progress is shown, Ctrl-C leaves no
 * process, --gpus gives each worker its own device.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';

const TRAINER = new URL('../examples/trainers/prior_trainer.py', import.meta.url).pathname;
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const havePython = spawnSync('python3', ['--version']).status === 0;
const base = ['compare', '--quick', '--budget-scale', '0.2', '--protocols', 'downstream-only,cofinetune', '--resamples', '20'];
const logs = (cache: string) => readdirSync(join(cache, 'runs')).filter((n) => /^[0-9a-f]{20}$/.test(n)).map((h) => readFileSync(join(cache, 'runs', h, 'trainer', 'log.txt'), 'utf8'));

describe.skipIf(!havePython)('external runs (skipped only without python3)', { timeout: 300_000 }, () => {
  it('an edited trainer is trained again, not served from the cache; --fresh redoes what the command cannot show', async () => {
    const dir = tempDir();
    const trainer = join(dir, 'trainer.py');
    copyFileSync(TRAINER, trainer);
    const args = [...base, '--trainer', `python3 ${trainer}`, '--out', join(dir, 'out')];
    expect((await cli(args)).code).toBe(0);
    const same = await cli(args);
    expect(same.stderr).toContain('2 run(s) reused from the cache');
    writeFileSync(trainer, readFileSync(trainer, 'utf8') + '\n# an edit\n');
    const edited = await cli(args);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stderr).not.toContain('reused from the cache');
    expect(readFileSync(join(dir, 'out', 'leaderboard.md'), 'utf8')).toMatch(/trainer\.py sha256 [0-9a-f]{12}…/);
    const fresh = await cli([...args, '--fresh']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toContain('reused from the cache');
    expect(fresh.stderr).toMatch(/made before this --fresh compare; set aside as .*quarantine/);
    expect(readJson(join(dir, 'out', 'result.json')).command).not.toContain('--fresh'); // it changes no number
  });

  it('a diverging trainer (NaN losses, bare NaN in report.json) is a result: recorded, reported, compare goes on to write the report', async () => {
    const dir = tempDir();
    const r = await cli([...base, '--trainer', `python3 ${TRAINER} --mode diverge`, '--out', join(dir, 'out')]);
    expect(r.code).toBe(1); // every protocol diverged: nothing to rank
    expect(r.stderr).not.toMatch(/not JSON|internal error/);
    expect(r.stderr).toMatch(/DIVERGED \(loss (NaN|null) at \w+ step 3\)/);
    const doc = readJson(join(dir, 'out', 'result.json'));
    expect(doc.diverged).toHaveLength(2);
    expect(doc.unscored.sort()).toEqual(['cofinetune', 'downstream-only']);
  });

  it("reports state the trainer's declared practice, or that it declared none — never the built-in trainer's", async () => {
    const dir = tempDir();
    const declared = await cli([...base, '--trainer', `python3 ${TRAINER}`, '--out', join(dir, 'declared')]);
    expect(declared.code, declared.stderr).toBe(0);
    const md = readFileSync(join(dir, 'declared', 'leaderboard.md'), 'utf8');
    expect(md).toContain('## Training practice (as declared by the trainer prior-trainer 1; LR selection by cft-bench)');
    expect(md).toContain('class prior x the detector');
    expect(md).not.toMatch(/zero weights|LayerNorm|tfjs/);
    expect(md).not.toContain('backend auto');
    // the same trainer without its declaration
    const silent = join(dir, 'silent.py');
    writeFileSync(silent, readFileSync(TRAINER, 'utf8').replace(/ {8}"practice": .*\n/, ''));
    const r = await cli([...base, '--trainer', `python3 ${silent}`, '--out', join(dir, 'silent')]);
    expect(r.code, r.stderr).toBe(0);
    const md2 = readFileSync(join(dir, 'silent', 'leaderboard.md'), 'utf8');
    expect(md2).toContain('## Training practice (not declared by the trainer prior-trainer 1)');
    expect(md2).not.toMatch(/zero weights|LayerNorm/);
    expect(readJson(join(dir, 'silent', 'result.json')).practice).toBeNull();
  });

  it("the trainer's output goes to its run's log and to stderr behind the run's name, never to stdout (--json stays JSON); its progress is shown", async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    // a process of its own: the trainer runs in a worker process, whose stderr is the command's
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...base, '--trainer', `python3 ${TRAINER} --mode chatty`, '--out', join(dir, 'out'), '--cache', cache, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).kind).toBe('compare');
    expect(r.stderr).toMatch(/\[cofinetune s0 lr0\.003\] step 1: a line on stdout that is not cft-bench's/);
    expect(r.stderr).not.toContain('cft-bench-progress'); // parsed, not printed
    expect(r.stderr).toMatch(/compare: \d+\/80 steps/);
    for (const log of logs(cache)) expect(log).toMatch(/step 1: a line on stdout[\s\S]*cft-bench-progress /);
  });

  it('a trainer that does not save shared pretrainings (it ignores saveModel) still runs every transfer protocol, each from scratch', async () => {
    const dir = tempDir();
    const r = await cli(['compare', '--quick', '--budget-scale', '0.2', '--protocols', 'pretrain-finetune,linear-probe-finetune', '--resamples', '20', '--trainer', `python3 ${TRAINER}`, '--out', join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(dir, 'out', 'result.json')).leaderboard).toHaveLength(2);
  });

  it('--gpus 0,1 with two workers: each worker (and its trainer) sees only its own device', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const r = await cli([...base, '--trainer', `python3 ${TRAINER}`, '--workers', '2', '--gpus', '0,1', '--out', join(dir, 'out'), '--cache', cache]);
    expect(r.code, r.stderr).toBe(0);
    const seen = logs(cache).map((l) => /prior_trainer: devices (\S+)/.exec(l)![1]).sort();
    expect(seen).toEqual(['0', '1']);
  });

  it('Ctrl-C (SIGINT) during compare --trainer leaves no trainer process, and --trainer-timeout 0 waits without limit', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...base, '--trainer', `python3 ${TRAINER} --mode hang`, '--trainer-timeout', '0', '--out', join(dir, 'out')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const hanging = () => spawnSync('pgrep', ['-f', `${TRAINER} --mode hang`]).status === 0;
    const deadline = Date.now() + 60_000;
    while (!hanging() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(hanging()).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // well past any timeout a 0 could have meant
    expect(hanging()).toBe(true);
    child.kill('SIGINT');
    await new Promise((r) => child.on('close', r));
    const gone = Date.now() + 5000;
    while (hanging() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(hanging()).toBe(false);
  });
});
