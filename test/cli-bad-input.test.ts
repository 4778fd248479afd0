/**
 * Bad input: what the official evaluator rejects (and the extra cases the issue names) fails
 * with `path:line: what is wrong`, exit code 2, and no output file touched; `--skip-bad-rows`
 * skips such rows and counts them by reason.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, readJson, tempDir, writeFiles } from './helpers/cli.js';

const GT = ['vidA,0902,0.10,0.10,0.50,0.90,12,0', 'vidA,0902,0.50,0.10,0.90,0.90,80,1', 'vidA,0903,0.10,0.10,0.50,0.90,12,0'].join('\n') + '\n';
const PRED = ['vidA,0902,0.11,0.10,0.50,0.90,12,0.9', 'vidA,0902,0.50,0.12,0.90,0.90,80,0.8', 'vidA,0903,0.10,0.10,0.52,0.90,12,0.7', 'vidA,0903,0.60,0.10,0.90,0.90,80,0.2'].join('\n') + '\n';

interface Case {
  name: string;
  file: 'gt' | 'pred' | 'labelmap' | 'exclusions';
  content: string;
  line: number | null;
  message: RegExp;
  reason?: string;
}

const cases: Case[] = [
  { name: 'a header line', file: 'gt', content: 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id\n' + GT, line: 1, message: /timestamp "timestamp" is not an integer/, reason: 'timestamp' },
  { name: 'a blank line', file: 'pred', content: PRED.replace('\nvidA,0903', '\n\nvidA,0903'), line: 3, message: /empty line/, reason: 'field-count' },
  { name: 'a wrong field count', file: 'pred', content: PRED + 'vidA,0903,0.1,0.1,0.5\n', line: 5, message: /expected 7 or 8 fields, got 5/, reason: 'field-count' },
  { name: 'a non-numeric coordinate', file: 'gt', content: GT + 'vidA,0904,0.1,abc,0.5,0.9,12,0\n', line: 4, message: /y1 "abc" is not a number/, reason: 'number' },
  { name: 'a non-integer timestamp (2019 rules)', file: 'pred', content: 'vidA,0902.5,0.1,0.1,0.5,0.9,12,0.3\n' + PRED, line: 1, message: /timestamp "0902.5" is not an integer/, reason: 'timestamp' },
  { name: 'an inverted GT box', file: 'gt', content: GT + 'vidA,0904,0.5,0.1,0.1,0.9,12,0\n', line: 4, message: /inverted ground-truth box/, reason: 'inverted-box' },
  { name: 'a NaN score', file: 'pred', content: PRED.replace('0.8\n', 'nan\n'), line: 2, message: /score is NaN/, reason: 'nan-score' },
  { name: 'a non-numeric person id (the real slice has `3_`)', file: 'gt', content: GT.replace(',80,1', ',80,3_'), line: 2, message: /person_id "3_" is not a number/, reason: 'number' },
  { name: 'an empty prediction file', file: 'pred', content: '', line: null, message: /file is empty/ },
  { name: 'duplicate label ids', file: 'labelmap', content: 'item {\n  name: "a"\n  id: 12\n}\nitem {\n  name: "b"\n  id: 12\n}\n', line: 7, message: /duplicate class id 12 \(first on line 3\)/ },
  { name: 'a label map with no classes (one-line items)', file: 'labelmap', content: 'item { name: "a" id: 12 }\n', line: null, message: /no classes found/ },
  { name: 'a wrong field count in exclusions', file: 'exclusions', content: 'vidA,0902,x\n', line: 1, message: /expected 2 fields, got 3/, reason: 'field-count' },
];

function setup(override?: Case) {
  const files: Record<string, string> = { 'gt.csv': GT, 'pred.csv': PRED, 'lm.pbtxt': readFileSync(LABEL_MAP, 'utf8'), 'excl.csv': '' };
  if (override) files[{ gt: 'gt.csv', pred: 'pred.csv', labelmap: 'lm.pbtxt', exclusions: 'excl.csv' }[override.file]] = override.content;
  const dir = writeFiles(files);
  const path = (f: string) => join(dir, f);
  const args = ['eval', '--gt', path('gt.csv'), '--pred', path('pred.csv'), '--labelmap', path('lm.pbtxt'), '--exclusions', path('excl.csv')];
  return { dir, path, args };
}

describe('bad input is rejected with path:line, exit 2, nothing written', () => {
  it('the valid baseline input evaluates (so each failure below is the edit alone)', async () => {
    const { args } = setup();
    const out = tempDir();
    const r = await cli([...args, '--out', out]);
    expect(r.code).toBe(0);
    expect(readJson(join(out, 'result.json')).mAP).toBe(1);
  });

  it.each(cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const { path, args } = setup(c);
    const out = tempDir();
    const sentinel = join(out, 'result.json');
    writeFileSync(sentinel, 'previous result\n');
    const r = await cli([...args, '--out', out]);
    expect(r.code).toBe(2);
    const file = path({ gt: 'gt.csv', pred: 'pred.csv', labelmap: 'lm.pbtxt', exclusions: 'excl.csv' }[c.file]);
    expect(r.stderr).toContain(c.line === null ? `${file}: ` : `${file}:${c.line}: `);
    expect(r.stderr).toMatch(c.message);
    expect(readFileSync(sentinel, 'utf8')).toBe('previous result\n');
    expect(r.stdout).toBe('');
  });

  it.each(cases.filter((c) => c.reason !== undefined).map((c) => [c.name, c]))('--skip-bad-rows skips %s and counts it', async (_name, c) => {
    const { args } = setup(c);
    const out = tempDir();
    const r = await cli([...args, '--out', out, '--skip-bad-rows']);
    expect(r.code).toBe(0);
    const counts = readJson(join(out, 'result.json')).counts;
    const where = { gt: counts.gt, pred: counts.predictions, exclusions: counts.exclusions, labelmap: null }[c.file]!;
    expect(where[`badRows.${c.reason}`]).toBe(1);
  });

  it('a missing file', async () => {
    const { args } = setup();
    const r = await cli([...args.slice(0, 2), '/nonexistent/gt.csv', ...args.slice(3)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/gt.csv: file not found');
  });

  it('usage errors: unknown protocol, conflicting count sources, bad group rule', async () => {
    const { args, dir } = setup();
    expect((await cli([...args, '--protocol', 'coco'])).code).toBe(2);
    const both = await cli([...args, '--out', tempDir(), '--train-gt', join(dir, 'gt.csv'), '--class-counts', join(dir, 'gt.csv')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --train-gt or --class-counts/);
    const rule = await cli([...args, '--out', tempDir(), '--groups', 'quartiles']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/Expected one of: tertiles/);
  });

  it('what the official accepts is accepted the same way (Python number and key syntax)', async () => {
    // `+0.5`, `5e-1`, ` 0902` (space), `0_902`-style underscores, a 7-field detection (score 1.0), CRLF
    const pred = ['vidA, 902,0.11,0.10,0.50,0.90,12,+9e-1', 'vidA,0902,0.50,0.12,.9,0.90,80,8_0e-2', 'vidA,903,0.10,0.10,0.52,0.90,0012', 'vidA,0903,0.60,0.10,0.90,0.90,80,0.2'].join('\r\n') + '\r\n';
    const { args, path } = setup({ name: '', file: 'pred', content: pred, line: null, message: /x/ });
    const out = tempDir();
    const r = await cli([...args, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(out, 'result.json')).mAP).toBe(1);
    expect(path('pred.csv')).toBeTruthy();
  });
});
