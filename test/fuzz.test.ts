/**
 * The permanent fuzz of issue 17: every option of every command is given values that are not
 * what it means, and every input file is mutated (missing, a folder, empty, garbage, cut in half,
 * corrupt or empty gzip, JSON fields nulled, retyped or dropped, evidence sidecars re-sealed with
 * damaged headers). Each case must end with exit 0, 1 or 2 — never a stack trace or "internal
 * error" —, say what is wrong when it fails, and leave no partial output (its --out folder is
 * absent or whole; no staging folder or temp file is left beside it).
 *
 * Heavy commands (training, inference, dataset export) get only values that must be refused
 * before any work. The figure (cases, clean) is printed at the end.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, tempDir } from './helpers/cli.js';
import { GT, PRED } from './helpers/ava-slice.js';

const ROOT = tempDir();
const f = (name: string) => join(ROOT, name);
const BASELINE = new URL('../baselines/default/', import.meta.url).pathname;

// fixtures: valid inputs, and damaged copies of each kind
const GT_TEXT = readFileSync(GT, 'utf8');
const PRED_GZ = readFileSync(PRED);
const fixtures = {
  missing: f('no-such-file.csv'),
  folder: f('a-folder'),
  empty: f('empty.csv'),
  garbage: f('garbage.bin'),
  halfGt: f('half-gt.csv'),
  corruptGz: f('corrupt.csv.gz'),
  emptyGz: f('empty.csv.gz'),
  halfGz: f('half.csv.gz'),
  notJson: f('not.json'),
  nullJson: f('null.json'),
  arrayJson: f('array.json'),
  badModule: f('bad-module.mjs'),
};

function makeFixtures(): void {
  mkdirSync(fixtures.folder, { recursive: true });
  writeFileSync(fixtures.empty, '');
  writeFileSync(fixtures.garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
  writeFileSync(fixtures.halfGt, GT_TEXT.slice(0, Math.floor(GT_TEXT.length / 2) + 7)); // cut inside a row
  const bad = Buffer.from(PRED_GZ);
  bad[bad.length - 6] ^= 0xff; // the CRC
  writeFileSync(fixtures.corruptGz, bad);
  writeFileSync(fixtures.emptyGz, gzipSync(Buffer.alloc(0)));
  writeFileSync(fixtures.halfGz, PRED_GZ.subarray(0, PRED_GZ.length >> 1));
  writeFileSync(fixtures.notJson, '{"kind": "frame-map", ');
  writeFileSync(fixtures.nullJson, 'null');
  writeFileSync(fixtures.arrayJson, '[1,2,3]');
  writeFileSync(fixtures.badModule, 'export default { name: 42 };');
}

const INPUT_FILES = [fixtures.missing, fixtures.folder, fixtures.empty, fixtures.garbage, fixtures.halfGt, fixtures.corruptGz, fixtures.emptyGz, fixtures.halfGz, fixtures.notJson, ''];
const NUMBERS = ['', ' ', 'abc', 'NaN', '-1', '0', '1e400', 'Infinity', '-Infinity', '1.5', '0x10', '1e9', '99999999999999999999'];
const MUST_FAIL_NUMBERS = ['', 'abc', 'NaN', '-1', '1e400', 'Infinity'];
/** Values no numeric option accepts: these must be exit 2, whatever the option. */
const NEVER_NUMBERS = new Set(['', ' ', 'abc', 'NaN', '1e400', 'Infinity', '-Infinity', '0x10', '99999999999999999999']);
const numberCase = (v: string) => (NEVER_NUMBERS.has(v) ? [2] : undefined);
/** Inputs no command reads as valid (an empty exclusions file is valid: no exclusions). */
const badInput = (v: string) => (v === fixtures.halfGt ? undefined : [2]);
const NAMES = ['', ',', 'bogus', 'NaN', ' , '];

interface Case {
  readonly name: string;
  readonly args: (out: string) => string[];
  /** The only acceptable exit codes (default 0, 1, 2); a function when it depends on fixtures made later. */
  readonly codes?: readonly number[] | (() => readonly number[] | undefined);
}

let evalResult = '';
let compareResult = '';
const cases: Case[] = [];
const add = (name: string, args: (out: string) => string[], codes?: Case['codes']) => cases.push({ name, args, ...(codes ? { codes } : {}) });

// --- eval: every option, every input file
const evalArgs = (over: Record<string, string | null>) => (out: string) => {
  const base: Record<string, string | null> = { '--gt': GT, '--pred': PRED, '--labelmap': LABEL_MAP, '--out': out, ...over };
  return ['eval', ...Object.entries(base).flatMap(([k, v]) => (v === null ? [] : [k, v]))];
};
for (const opt of ['--gt', '--pred', '--labelmap', '--exclusions', '--train-gt', '--class-counts']) for (const v of INPUT_FILES) add(`eval ${opt} ${v.replace(ROOT, '')}`, evalArgs({ [opt]: v }), opt === '--exclusions' && (v === fixtures.empty || v === fixtures.emptyGz) ? [0] : badInput(v));
for (const v of NUMBERS) add(`eval --workers ${JSON.stringify(v)}`, evalArgs({ '--workers': v }), numberCase(v));
for (const v of ['', 'bogus', 'thresholds=', 'thresholds=300,30', 'thresholds=a,b', 'file=', `file=${fixtures.garbage}`, 'tertiles,']) add(`eval --groups ${v}`, evalArgs({ '--groups': v }));
for (const v of ['', 'bogus']) for (const opt of ['--protocol', '--ties']) add(`eval ${opt} ${v}`, evalArgs({ [opt]: v }));
add('eval --out is a file', (out) => evalArgs({ '--out': fixtures.garbage })(out), [2]);
add('eval --out ""', evalArgs({ '--out': '' }), [2]);
add('eval --name ""', evalArgs({ '--name': '' }), [2]);

// --- check and diff: numbers, and every field of a result.json damaged
const checkArgs = (over: Record<string, string>) => () => ['check', ...Object.entries({ '--baseline': evalResult, '--candidate': evalResult, ...over }).flat()];
for (const v of NUMBERS) add(`check --resamples ${JSON.stringify(v)}`, checkArgs({ '--resamples': v }), numberCase(v) ?? (['0', '-1', '1.5', '1e9'].includes(v) ? [2] : undefined));
for (const v of NUMBERS) add(`check --threads ${JSON.stringify(v)}`, checkArgs({ '--threads': v }), numberCase(v));
for (const v of ['', 'abc', '-1', 'NaN', 'tail=', 'tail=x', 'nogroup=1', '1e400', '101']) add(`check --max-drop ${JSON.stringify(v)}`, checkArgs({ '--max-drop': v }));
for (const v of ['', 'bogus']) add(`check --by ${v}`, checkArgs({ '--by': v }));
for (const v of INPUT_FILES) for (const side of ['--baseline', '--candidate']) add(`check ${side} ${v.replace(ROOT, '')}`, checkArgs({ [side]: v }), [2]);
for (const v of NUMBERS) add(`diff --resamples ${JSON.stringify(v)}`, (out) => ['diff', evalResult, evalResult, '--out', out, '--resamples', v], numberCase(v));
for (const v of NUMBERS) add(`diff --seed ${JSON.stringify(v)}`, (out) => ['diff', evalResult, evalResult, '--out', out, '--seed', v], numberCase(v));
for (const v of INPUT_FILES) add(`diff B=${v.replace(ROOT, '')}`, (out) => ['diff', evalResult, v, '--out', out], [2]);
add('diff --out is a file', () => ['diff', evalResult, evalResult, '--out', fixtures.garbage], [2]);
add('diff --markdown is a folder', (out) => ['diff', evalResult, evalResult, '--out', out, '--markdown', fixtures.folder], [2]);

// result.json fields nulled, retyped and dropped; evidence sidecars re-sealed with damage
const damagedResults: string[] = [];
/** Fields check and diff do not read (provenance, row counts): damaging them may pass. */
const unread = new Set<number>();
function makeDamagedResults(): void {
  const doc = JSON.parse(readFileSync(join(evalResult, 'result.json'), 'utf8')) as Record<string, unknown>;
  const variants: [string, (d: Record<string, unknown>) => void][] = [];
  for (const k of Object.keys(doc)) {
    variants.push([`${k}-null`, (d) => (d[k] = null)], [`${k}-string`, (d) => (d[k] = 'x')], [`${k}-array`, (d) => (d[k] = [])], [`${k}-dropped`, (d) => delete d[k]]);
  }
  variants.push(['perClass-ap-2', (d) => ((d['perClass'] as { ap: number }[])[0]!.ap = 2)], ['perClass-id-dup', (d) => ((d['perClass'] as { id: number }[])[1]!.id = (d['perClass'] as { id: number }[])[0]!.id)]);
  variants.push(['mAP-NaN-text', (d) => (d['mAP'] = 'NaN')], ['groups-class-unknown', (d) => ((d['groups'] as Record<string, { classes: number[] }>)['head']!.classes.push(99999))]);
  for (const [name, change] of variants) {
    const dir = f(`damaged-${name}`);
    cpSync(evalResult, dir, { recursive: true });
    const d = structuredClone(doc);
    change(d);
    writeFileSync(join(dir, 'result.json'), JSON.stringify(d));
    if (/^(tool|counts|inputs)-/.test(name)) unread.add(damagedResults.length);
    damagedResults.push(dir);
  }
  // the sidecar: header fields and payload damaged, then its sha256 re-recorded (so the parser itself is tested)
  const side = gunzipSync(readFileSync(join(evalResult, 'per_keyframe.bin.gz')));
  const len = side.readUInt32LE(0);
  const header = JSON.parse(side.subarray(4, 4 + len).toString('utf8')) as Record<string, unknown>;
  const payload = side.subarray(4 + len);
  const sidecars: [string, Buffer][] = [];
  const withHeader = (h: unknown, p = payload) => {
    const hb = Buffer.from(JSON.stringify(h));
    const lb = Buffer.alloc(4);
    lb.writeUInt32LE(hb.length);
    return gzipSync(Buffer.concat([lb, hb, p]));
  };
  for (const k of Object.keys(header)) {
    sidecars.push([`h-${k}-null`, withHeader({ ...header, [k]: null })], [`h-${k}-huge`, withHeader({ ...header, [k]: 2 ** 31 })], [`h-${k}-neg`, withHeader({ ...header, [k]: -1 })]);
  }
  sidecars.push(['h-detections-huge', withHeader({ ...header, detections: (header['detections'] as number[]).map(() => 2 ** 28) })]);
  sidecars.push(['payload-cut', withHeader(header, payload.subarray(0, payload.length >> 1))], ['payload-extra', withHeader(header, Buffer.concat([payload, payload]))]);
  sidecars.push(['payload-flipped', withHeader(header, Buffer.from(payload.map((b, i) => (i % 97 === 0 ? b ^ 0xff : b))))]);
  sidecars.push(['header-len-huge', gzipSync(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f]), side.subarray(4)]))], ['not-gzip', Buffer.from('plain text')], ['tiny', gzipSync(Buffer.from([1]))]);
  for (const [name, bytes] of sidecars) {
    const dir = f(`sidecar-${name}`);
    cpSync(evalResult, dir, { recursive: true });
    writeFileSync(join(dir, 'per_keyframe.bin.gz'), bytes);
    const d = structuredClone(doc) as { evidence: { sha256: string; bytes: number } };
    d.evidence.sha256 = createHash('sha256').update(bytes).digest('hex');
    d.evidence.bytes = bytes.length;
    writeFileSync(join(dir, 'result.json'), JSON.stringify(d));
    damagedResults.push(dir);
  }
}
const DAMAGED_SLOTS = 120; // cases are declared before the fixtures exist; each slot reads its result lazily
for (let i = 0; i < DAMAGED_SLOTS; i++) {
  const damaged = () => (i < damagedResults.length && !unread.has(i) ? [2] : undefined);
  add(`check --candidate damaged #${i}`, () => ['check', '--baseline', evalResult, '--candidate', damagedResults[i] ?? evalResult, '--resamples', '20'], damaged);
  add(`diff B=damaged #${i}`, (out) => ['diff', evalResult, damagedResults[i] ?? evalResult, '--out', out, '--resamples', '20'], damaged);
}

// --- leaderboard
for (const v of [...INPUT_FILES, fixtures.nullJson, fixtures.arrayJson]) add(`leaderboard ${v.replace(ROOT, '')}`, (out) => ['leaderboard', v, '--out', out], [2]);
add('leaderboard of an eval result', (out) => ['leaderboard', join(evalResult, 'result.json'), '--out', out], [0]);
add('leaderboard of an eval and a compare result', (out) => ['leaderboard', join(evalResult, 'result.json'), compareResult, '--out', out], [2]);
for (const v of ['', 'nobody']) add(`leaderboard --reference ${JSON.stringify(v)}`, (out) => ['leaderboard', evalResult, evalResult, '--reference', v, '--out', out], [2]);
for (const v of NUMBERS) add(`leaderboard --resamples ${JSON.stringify(v)}`, (out) => ['leaderboard', evalResult, '--resamples', v, '--out', out], numberCase(v));
add('leaderboard --out is a file', () => ['leaderboard', compareResult, '--out', fixtures.garbage], [2]);

// --- compare (--plan: every check runs, nothing trains) and train (--write-plan)
const planArgs = (...extra: string[]) => () => ['compare', '--quick', '--plan', ...extra];
for (const opt of ['--budget-scale', '--seeds', '--lr-extend', '--pretrain-lr', '--batch', '--workers', '--resamples', '--trainer-timeout']) for (const v of NUMBERS) add(`compare ${opt} ${JSON.stringify(v)}`, planArgs(opt, v), numberCase(v));
for (const v of [...NUMBERS, '0.003,', ',0.003', '0.003,,0.006', '0.003,abc']) add(`compare --lr-grid ${JSON.stringify(v)}`, planArgs('--lr-grid', v), v.includes(',') ? [2] : numberCase(v));
for (const v of NAMES) add(`compare --protocols ${JSON.stringify(v)}`, planArgs('--protocols', v), [2]);
for (const v of ['', 'bogus', 'temperature=', 'temperature=0', 'temperature=-1', 'temperature=abc']) add(`compare --sampler ${JSON.stringify(v)}`, planArgs('--sampler', v));
for (const v of ['', 'bogus']) for (const opt of ['--budget', '--backend']) add(`compare ${opt} ${JSON.stringify(v)}`, planArgs(opt, v));
for (const v of [...INPUT_FILES, fixtures.nullJson, fixtures.arrayJson]) add(`compare --budget-file ${v.replace(ROOT, '')}`, planArgs('--budget-file', v), [2]);
for (const v of [...INPUT_FILES, fixtures.badModule]) add(`compare --protocol ${v.replace(ROOT, '')}`, planArgs('--protocol', v), [2]);
for (const v of [...INPUT_FILES, fixtures.nullJson]) add(`compare --lr-from ${v.replace(ROOT, '')}`, () => ['compare', '--plan', '--lr-from', v]);
for (const v of ['', 'bogus', '0/2', '3/2', '-1/2', '1/0', 'auto']) add(`compare --shard ${JSON.stringify(v)}`, planArgs('--shard', v));
add('compare --out is a file', () => ['compare', '--quick', '--out', fixtures.garbage], [2]);
add('compare --cache is a file', () => ['compare', '--quick', '--cache', fixtures.garbage], [2]);
const trainArgs = (...extra: string[]) => (out: string) => ['train', '--steps', '30', '--write-plan', join(out, 'plan.json'), ...extra];
for (const opt of ['--steps', '--lr', '--pretrain-lr', '--batch', '--seed', '--trainer-timeout']) for (const v of NUMBERS) add(`train ${opt} ${JSON.stringify(v)}`, trainArgs(opt, v), numberCase(v));
for (const v of NAMES) add(`train --upstream ${JSON.stringify(v)}`, trainArgs('--upstream', v), [2]);
for (const v of ['', 'bogus', 'synth-kinetics', fixtures.folder]) add(`train --benchmark ${JSON.stringify(v)}`, trainArgs('--benchmark', v));
for (const v of ['', 'bogus', fixtures.badModule, fixtures.garbage]) add(`train --protocol ${JSON.stringify(v.replace(ROOT, ''))}`, trainArgs('--protocol', v));
for (const v of ['', 'bogus']) for (const opt of ['--eval', '--backend', '--sampler']) add(`train ${opt} ${JSON.stringify(v)}`, trainArgs(opt, v));

// --- heavy commands: only values refused before any work
for (const v of MUST_FAIL_NUMBERS) {
  add(`infer --threads ${JSON.stringify(v)}`, (out) => ['infer', '--model', join(BASELINE, 'model.onnx'), '--threads', v, '--out', out], [2]);
  add(`data export --seed ${JSON.stringify(v)}`, (out) => ['data', 'export', '--seed', v, '--out', out], [2]);
  add(`data show --count ${JSON.stringify(v)}`, (out) => ['data', 'show', '--count', v, '--out', join(out, 'x.png')], [2]);
  add(`baseline update --steps ${JSON.stringify(v)}`, (out) => ['baseline', 'update', '--steps', v, '--dir', out], [2]);
  add(`compare --seeds ${JSON.stringify(v)} (no --plan)`, (out) => ['compare', '--seeds', v, '--out', out], [2]);
}
for (const v of ['', 'bogus']) add(`infer --split ${JSON.stringify(v)}`, (out) => ['infer', '--model', join(BASELINE, 'model.onnx'), '--split', v, '--out', out], [2]);
for (const v of INPUT_FILES) add(`infer --model ${v.replace(ROOT, '')}`, (out) => ['infer', '--model', v, '--out', out], [2]);
for (const v of [fixtures.missing, fixtures.folder, fixtures.garbage, '']) add(`export --model ${v.replace(ROOT, '')}`, (out) => ['export', '--model', v, '--onnx', join(out, 'm.onnx')], [2]);
add('export --onnx is a folder', () => ['export', '--model', join(BASELINE, 'model'), '--onnx', fixtures.folder], [2]);
for (const broken of ['model-json-garbage', 'weights-short']) {
  add(`export --model (${broken})`, (out) => {
    const dir = f(broken);
    if (!existsSync(dir)) {
      cpSync(join(BASELINE, 'model'), dir, { recursive: true });
      if (broken === 'model-json-garbage') writeFileSync(join(dir, 'model.json'), '{"format": 7');
      else writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(16));
    }
    return ['export', '--model', dir, '--onnx', join(out, 'm.onnx')];
  }, [2]);
}

const outcomes: { name: string; clean: boolean; why: string }[] = [];

/** What is wrong with a case's outcome (empty: clean). */
function problems(c: Case, r: { code: number; stdout: string; stderr: string }, caseDir: string): string[] {
  const out: string[] = [];
  const codes = (typeof c.codes === 'function' ? c.codes() : c.codes) ?? [0, 1, 2];
  if (!codes.includes(r.code)) out.push(`exit ${r.code}, expected ${codes.join(' or ')}`);
  if (/\n\s+at |internal error/.test(r.stderr)) out.push('a stack trace or internal error');
  if (r.code !== 0 && r.stderr.trim() === '') out.push('failed without a message');
  if (r.code === 2 && !/:/.test(r.stderr)) out.push('a message without what: where: why');
  // no partial output: nothing staged or temporary left, and a report folder is whole or absent
  const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)])) : []);
  const debris = walk(caseDir).filter((p) => /\.(partial|tmp)$/.test(p));
  if (debris.length > 0) out.push(`debris: ${debris.join(', ')}`);
  const report = join(caseDir, 'out');
  if (r.code !== 0 && existsSync(report) && readdirSync(report).length > 0 && !c.name.startsWith('train')) out.push('a failed command left a report');
  if (existsSync(join(report, 'summary.md')) && !existsSync(join(report, 'result.json'))) out.push('a report without its result.json');
  return out;
}

describe('fuzz: every option and input file of every command', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    makeFixtures();
    evalResult = f('eval-result');
    const e = await cli(['eval', '--gt', GT, '--pred', PRED, '--labelmap', LABEL_MAP, '--groups', 'thresholds=30,300', '--out', evalResult]);
    expect(e.code, e.stderr).toBe(0);
    const c = await cli(['compare', '--quick', '--budget-scale', '0.2', '--protocols', 'downstream-only', '--resamples', '20', '--out', f('compare-result')]);
    expect(c.code, c.stderr).toBe(0);
    compareResult = join(f('compare-result'), 'result.json');
    copyFileSync(compareResult, f('compare-result.json'));
    makeDamagedResults();
  });

  it(`${cases.length} cases: exit 0, 1 or 2, a message, no stack trace, no partial output`, async () => {
    for (const [i, c] of cases.entries()) {
      const caseDir = f(`case-${i}`);
      mkdirSync(caseDir);
      if (process.env['FUZZ_TRACE']) writeFileSync(process.env['FUZZ_TRACE'], `${i} ${c.name}\n`, { flag: 'a' });
      const r = await cli(c.args(join(caseDir, 'out')));
      const why = problems(c, r, caseDir);
      outcomes.push({ name: c.name, clean: why.length === 0, why: `${why.join('; ')} — stderr: ${r.stderr.slice(0, 300)}` });
    }
    const dirty = outcomes.filter((o) => !o.clean);
    expect(dirty.map((o) => `${o.name}: ${o.why}`)).toEqual([]);
  });

  afterAll(() => {
    const clean = outcomes.filter((o) => o.clean).length;
    process.stdout.write(`fuzz: ${outcomes.length} cases, ${clean} clean, ${outcomes.length - clean} not\n`);
  });
});
