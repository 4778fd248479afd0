/**
 * `cft-bench eval` as a user runs it: report files, --json, group rules, tie bounds, and that
 * text from input files cannot inject Markdown or spreadsheet formulas.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, LABEL_MAP, readJson, tempDir, writeFiles } from './helpers/cli.js';

const REAL = new URL('../../shared/data/ava-parity/cases/public-real/', import.meta.url).pathname;
const TIES = new URL('../../shared/data/ava-parity/cases/public-ties/', import.meta.url).pathname;
const haveShared = existsSync(REAL);

function realArgs(out: string): string[] {
  return ['eval', '--gt', join(REAL, 'gt.csv'), '--pred', join(REAL, 'pred.csv'), '--labelmap', LABEL_MAP, '--exclusions', join(REAL, 'exclusions.csv'), '--out', out];
}

describe.skipIf(!haveShared)('eval on the public-real parity case (skipped only without ../shared)', () => {
  it('writes the three files and prints the official mAP', async () => {
    const out = tempDir();
    const r = await cli(realArgs(out));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0.4401');
    for (const f of ['per_class.csv', 'summary.md', 'result.json']) expect(existsSync(join(out, f))).toBe(true);
    const doc = readJson(join(out, 'result.json'));
    const expected = readJson(join(REAL, 'expected.json'));
    expect(doc.schemaVersion).toBe(1);
    expect(Math.abs(doc.mAP - expected.results.official_2019.mAP)).toBeLessThan(1e-12);
    expect(doc.protocol.name).toBe('activitynet-2019');
    expect(doc.protocol.cap).toBe(50);
    expect(doc.protocol.labelMap.sha256).toBe('6759290ef3cb5b0339291f2e9dc8994ce74277123f75911fc30d53e30baa5e28');
    expect(Object.keys(doc.groups)).toEqual(['head', 'mid', 'tail']);
    expect(doc.grouping.countsSource).toBe('evaluated-gt');
    expect(doc.grouping.note).toMatch(/no training counts/);
    const cls11 = doc.perClass.find((c: { id: number }) => c.id === 11);
    expect(cls11.numGt).toBe(expected.results.official_2019.per_class['11'].num_gt);
    expect(doc.perClass.find((c: { id: number }) => c.id === 3).ap).toBeNull(); // no GT -> null, as official NaN
    // counts by drop reason add up: every prediction row is accounted for once
    const p = doc.counts.predictions;
    expect(p.rowsRead).toBe(30436);
    expect(p.notInLabelMap + p.overCap + p.excludedKeyframe + p.ignoredKeyframe + p.invalidBox + p.belowScoreFloor + p.scored).toBe(p.rowsRead);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('## Protocol fingerprint');
    expect(md).toContain(doc.inputs[1].sha256);
    const csv = readFileSync(join(out, 'per_class.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,name,group,train_count,num_gt,num_dets,num_tp,ap');
    expect(csv).toHaveLength(61);
  });

  it('--json prints exactly result.json on stdout, and the same inputs give byte-identical files', async () => {
    const a = tempDir();
    const b = tempDir();
    const r = await cli([...realArgs(a), '--json']);
    await cli([...realArgs(b), '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(a, 'result.json'), 'utf8'));
    for (const f of ['per_class.csv', 'summary.md']) expect(readFileSync(join(a, f), 'utf8')).toBe(readFileSync(join(b, f), 'utf8'));
  });

  it('--train-gt and --class-counts give the same groups when they encode the same counts', async () => {
    const counts = new Map<number, number>();
    const gt = readFileSync(join(REAL, 'gt.csv'), 'utf8');
    for (const line of gt.trim().split('\n')) {
      const id = Number(line.split(',')[6]);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const dir = writeFiles({ 'counts.csv': 'id,count\n' + [...counts].filter(([id]) => id !== 40).map(([id, n]) => `${id},${n}`).join('\n') + '\n' });
    const viaGt = tempDir();
    const viaCounts = tempDir();
    expect((await cli([...realArgs(viaGt), '--train-gt', join(REAL, 'gt.csv')])).code).toBe(0);
    expect((await cli([...realArgs(viaCounts), '--class-counts', join(dir, 'counts.csv')])).code).toBe(0);
    const g1 = readJson(join(viaGt, 'result.json'));
    const g2 = readJson(join(viaCounts, 'result.json'));
    expect(g1.groups).toEqual(g2.groups);
    expect(g1.grouping.countsSource).toBe('train-gt');
    expect(g1.grouping.note).toBeNull();
    // tertiles: classes with training data split 3 ways by count, most frequent in head
    const byGroup = (g: string) => g1.perClass.filter((c: { group: string; trainCount: number }) => c.group === g && c.trainCount > 0);
    expect(Math.min(...byGroup('head').map((c: { trainCount: number }) => c.trainCount))).toBeGreaterThanOrEqual(Math.max(...byGroup('mid').map((c: { trainCount: number }) => c.trainCount)));
    expect(byGroup('head').length - byGroup('tail').length).toBeLessThanOrEqual(1);
    // a group's mAP is the mean AP of its classes with GT
    const head = g1.perClass.filter((c: { group: string; ap: number | null }) => c.group === 'head' && c.ap !== null);
    expect(g1.groups.head.mAP).toBeCloseTo(head.reduce((s: number, c: { ap: number }) => s + c.ap, 0) / head.length, 12);
  });

  it('ava-groups, thresholds and file group rules', async () => {
    const ava = tempDir();
    expect((await cli([...realArgs(ava), '--groups', 'ava-groups'])).code).toBe(0);
    const doc = readJson(join(ava, 'result.json'));
    expect(Object.keys(doc.groups)).toEqual(['person-movement', 'object-manipulation', 'person-interaction']);
    expect(doc.perClass.find((c: { id: number }) => c.id === 14).group).toBe('person-movement');
    expect(doc.perClass.find((c: { id: number }) => c.id === 64).group).toBe('person-interaction');

    const th = tempDir();
    expect((await cli([...realArgs(th), '--groups', 'thresholds=10,100'])).code).toBe(0);
    for (const c of readJson(join(th, 'result.json')).perClass) {
      expect(c.group).toBe(c.numGt >= 100 ? 'head' : c.numGt >= 10 ? 'mid' : 'tail');
    }

    const lines = ['id,group', ...readFileSync(LABEL_MAP, 'utf8').split('\n').filter((l) => l.startsWith('  id:')).map((l) => `${l.split(' ').pop()},${Number(l.split(' ').pop()) % 2 ? 'odd' : 'even'}`)];
    const dir = writeFiles({ 'groups.csv': lines.join('\n') + '\n' });
    const fileOut = tempDir();
    expect((await cli([...realArgs(fileOut), '--groups', `file=${join(dir, 'groups.csv')}`])).code).toBe(0);
    expect(Object.keys(readJson(join(fileOut, 'result.json')).groups).sort()).toEqual(['even', 'odd']);
  });
});

describe.skipIf(!existsSync(TIES))('eval --ties bounds (skipped only without ../shared)', () => {
  it('reports per-class and mAP ranges that contain the exact value', async () => {
    const out = tempDir();
    const r = await cli(['eval', '--gt', join(TIES, 'gt.csv'), '--pred', join(TIES, 'pred.csv'), '--labelmap', LABEL_MAP, '--ties', 'bounds', '--out', out]);
    expect(r.code).toBe(0);
    const doc = readJson(join(out, 'result.json'));
    const [lo, hi] = doc.mAPRange;
    expect(lo).toBeLessThan(doc.mAP);
    expect(hi).toBeGreaterThan(doc.mAP);
    for (const c of doc.perClass.filter((c: { ap: number | null }) => c.ap !== null)) {
      expect(c.apMin).toBeLessThanOrEqual(c.ap + 1e-15);
      expect(c.apMax).toBeGreaterThanOrEqual(c.ap - 1e-15);
    }
    expect(readFileSync(join(out, 'per_class.csv'), 'utf8').split('\n')[0]).toContain('ap_min,ap_max');
  });
});

describe('names from input files cannot inject', () => {
  it('escapes Markdown and neutralises spreadsheet formulas', async () => {
    const labelmap = 'item {\n  name: "=HYPERLINK(1)|*x*"\n  id: 1\n}\nitem {\n  name: "@sum <b>"\n  id: 2\n}\n';
    const dir = writeFiles({
      'lm.pbtxt': labelmap,
      'gt.csv': 'v,0902,0.1,0.1,0.5,0.5,1,0\nv,0902,0.1,0.1,0.5,0.5,2,0\n',
      'pred.csv': 'v,0902,0.1,0.1,0.5,0.5,1,0.9\nv,0902,0.1,0.1,0.5,0.5,2,0.8\n',
    });
    const out = tempDir();
    const r = await cli(['eval', '--gt', join(dir, 'gt.csv'), '--pred', join(dir, 'pred.csv'), '--labelmap', join(dir, 'lm.pbtxt'), '--out', out]);
    expect(r.code).toBe(0);
    const csv = readFileSync(join(out, 'per_class.csv'), 'utf8');
    expect(csv).toContain(`"'=HYPERLINK(1)|*x*"`);
    expect(csv).toContain(`'@sum <b>`);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('=HYPERLINK\\(1\\)\\|\\*x\\*');
    expect(md).toContain('@sum \\<b\\>');
    expect(readJson(join(out, 'result.json')).mAP).toBe(1);
  });
});

const SLICE = new URL('../../shared/data/ava/ava_val_v2.2.slice.csv', import.meta.url).pathname;
const EXAMPLE = new URL('../examples/ava-slice/', import.meta.url).pathname;

describe.skipIf(!existsSync(SLICE))('the real AVA v2.2 validation slice (skipped only without ../shared)', () => {
  const args = (out: string) => ['eval', '--gt', SLICE, '--pred', join(EXAMPLE, 'pred.csv.gz'), '--labelmap', LABEL_MAP, '--out', out];
  it('is rejected as the official rejects it: person id `3_` on line 16', async () => {
    const r = await cli(args(tempDir()));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${SLICE}:16: person_id "3_" is not a number`);
  });
  it('evaluates with --skip-bad-rows (one row skipped) like the sanitised bundled copy minus that row', async () => {
    const out = tempDir();
    const r = await cli([...args(out), '--skip-bad-rows']);
    expect(r.code).toBe(0);
    const doc = readJson(join(out, 'result.json'));
    expect(doc.counts.gt['badRows.number']).toBe(1);
    expect(doc.counts.gt.rowsRead).toBe(2694);
    const sanitised = tempDir();
    expect((await cli(['eval', '--gt', join(EXAMPLE, 'gt.csv'), '--pred', join(EXAMPLE, 'pred.csv.gz'), '--labelmap', LABEL_MAP, '--out', sanitised])).code).toBe(0);
    const full = readJson(join(sanitised, 'result.json'));
    const c80 = (d: { perClass: { id: number; numGt: number }[] }) => d.perClass.find((c) => c.id === 80)!.numGt;
    expect(c80(full) - c80(doc)).toBe(1);
    expect(doc.mAP).toBeGreaterThan(0.2);
  });
});
