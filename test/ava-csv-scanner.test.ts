/**
 * The byte scanner: the fast path and the Python-rule slow path agree; chunk boundaries
 * (including a CRLF split across chunks) change nothing; universal newlines; quoting.
 */
import { describe, expect, it } from 'vitest';
import { AvaCsvScanner, type RowSink } from '../src/data/ava-csv-scanner.js';
import { getPreset } from '../src/metrics/presets.js';
import { Rng } from '../src/data/rng.js';
import { parsePyFloat, parsePyInt, formatFixed6, formatPyDecimal6 } from '../src/data/python-syntax.js';

const whitelist = new Uint8Array(81).fill(1);

function scanAll(text: string | Uint8Array, chunk = Infinity, kind: 'predictions' | 'ground-truth' = 'predictions', preset = 'activitynet-2019') {
  const rows: (string | number)[][] = [];
  const sink: RowSink = { accept: (key, cls, x1, y1, x2, y2, score) => rows.push([key, cls, x1, y1, x2, y2, score]) };
  const sc = new AvaCsvScanner({ kind, preset: getPreset(preset), whitelist, skipBadRows: false }, sink);
  const bytes = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text);
  let carry = Buffer.alloc(0);
  for (let i = 0; i < bytes.length; i += chunk) {
    const buf = Buffer.concat([carry, bytes.subarray(i, Math.min(bytes.length, i + chunk))]);
    const last = i + chunk >= bytes.length;
    const used = sc.scan(buf, buf.length, last);
    carry = Buffer.from(buf.subarray(used));
  }
  return { rows: rows.map((r) => [sc.keys.keys[r[0] as number], ...r.slice(1)]), counts: sc.counts, lines: sc.lines };
}

describe('AvaCsvScanner', () => {
  it('gives the same rows whatever the chunk size (incl. CRLF and lone CR split across chunks)', () => {
    const rng = new Rng(7);
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const ts = 900 + Math.floor(i / 7);
      const num = () => (rng.random() < 0.2 ? `${(rng.random() * 100).toFixed(0)}e-2` : rng.random().toFixed(rng.int(1, 9)));
      lines.push(`vid${i % 3},${ts},${num()},${num()},${num()},${num()},${rng.int(1, 81)}${rng.random() < 0.1 ? '' : ',' + num()}`);
    }
    const text = lines.map((l, i) => l + ['\n', '\r\n', '\r'][i % 3]).join('');
    const whole = scanAll(text);
    expect(whole.rows).toHaveLength(300);
    for (const chunk of [1, 2, 3, 7, 64, 1000]) expect(scanAll(text, chunk)).toEqual(whole);
  });

  it('fast path equals the Python-rule path on every line (quoting forces the slow path)', () => {
    const rng = new Rng(11);
    for (let i = 0; i < 500; i++) {
      const f = () => [rng.random().toFixed(rng.int(0, 12)), '-' + rng.random().toFixed(3), String(rng.int(0, 2)), '0.' + '1'.repeat(rng.int(1, 20))][rng.int(0, 4)]!;
      const fields = ['v' + rng.int(0, 5), String(rng.int(900, 1000)), f(), f(), f(), f(), String(rng.int(1, 81)), f()];
      const plain = fields.join(',') + '\n';
      const quoted = fields.map((x) => `"${x}"`).join(',') + '\n';
      expect(scanAll(quoted).rows).toEqual(scanAll(plain).rows);
      const expected = [`${fields[0]},${String(Number(fields[1])).padStart(4, '0')}`, Number(fields[6]), ...[2, 3, 4, 5, 7].map((k) => parsePyFloat(fields[k]!))];
      const r = scanAll(plain).rows[0]!;
      expect([r[0], r[1], r[2], r[3], r[4], r[5], r[6]]).toEqual(expected);
    }
  });

  it('keys: video ids verbatim (case, leading dash, BOM), timestamps normalised', () => {
    const text = '\uFEFFvid,902,0.1,0.1,0.5,0.5,1,0.5\n-Vid,0902,0.1,0.1,0.5,0.5,1,0.5\n-Vid, 902 ,0.1,0.1,0.5,0.5,1,0.5\n"a,b",9_02,0.1,0.1,0.5,0.5,1,0.5\n';
    expect(scanAll(text).rows.map((r) => r[0])).toEqual(['\uFEFFvid,0902', '-Vid,0902', '-Vid,0902', 'a,b,0902']);
    const head = scanAll('v,904.5,0.1,0.1,0.5,0.5,1,0.5\nv,0904.50,0.1,0.1,0.5,0.5,1,0.5\n', Infinity, 'predictions', 'activitynet');
    expect(head.rows.map((r) => r[0])).toEqual(['v,904.500000', 'v,904.500000']);
  });

  it('labels outside the label map are counted, and their score is not parsed (as the official)', () => {
    const wl = new Uint8Array(81);
    wl[12] = 1;
    const sc = new AvaCsvScanner({ kind: 'predictions', preset: getPreset('activitynet-2019'), whitelist: wl, skipBadRows: false }, null);
    const b = Buffer.from('v,902,0.1,0.1,0.5,0.5,13,not-a-number\nv,902,0.1,0.1,0.5,0.5,012,0.5\n');
    sc.scan(b, b.length, true);
    expect(sc.counts).toMatchObject({ rows: 2, notInLabelMap: 1 });
  });
});

describe('Python number syntax', () => {
  it('float(): accepts what Python accepts, rejects what it rejects', () => {
    for (const [s, v] of [['1', 1], [' 1.5 ', 1.5], ['+.5', 0.5], ['5.', 5], ['1_000.5', 1000.5], ['1e-3', 0.001], ['-inf', -Infinity], ['Infinity', Infinity], ['\u00a02', 2]] as const) {
      expect(parsePyFloat(s)).toBe(v);
    }
    expect(parsePyFloat('nan')).toBeNaN();
    for (const s of ['', ' ', '0x10', '1__0', '_1', '1_', '1e', '.', '1.2.3', '--1', 'infinit', '\uFEFF1']) expect(parsePyFloat(s), s).toBeUndefined();
  });
  it('int(): leading zeros, signs, underscores; no decimals', () => {
    expect([parsePyInt('0902'), parsePyInt('+902'), parsePyInt(' 9_02 '), parsePyInt('-5')]).toEqual([902, 902, 902, -5]);
    for (const s of ['902.0', '9__02', '', '1e3']) expect(parsePyInt(s), s).toBeUndefined();
  });
  it('%.6f rounds the binary value half-to-even like C printf', () => {
    expect(formatFixed6(0.0078125)).toBe('0.007812'); // an exact tie: even
    expect(formatFixed6(0.0234375)).toBe('0.023438'); // an exact tie: even (upwards)
    expect(formatFixed6(950.2500001)).toBe('950.250000');
    expect(formatFixed6(-0)).toBe('-0.000000');
    expect(formatPyDecimal6('0950.25')).toBe('950.250000');
    expect(formatPyDecimal6('sNaN')).toBeUndefined();
  });
});
