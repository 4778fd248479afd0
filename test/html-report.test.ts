/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * report.html in a real browser (Debian's headless Chromium through puppeteer-core): the pages
 * of compare, leaderboard (models and merged compares), diff and eval load from file:// with no
 * network request and no console error, every chart is drawn (an SVG with marks), the tables hold
 * the result's numbers, and a click on a header sorts (again: reverses).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, readJson, tempDir } from './helpers/cli.js';
import { PRED, evalSlice, shuffled, tailClasses, withScores } from './helpers/ava-slice.js';

const CHROMIUM = [process.env['CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p !== undefined && p !== '' && existsSync(p));
const inBrowser = CHROMIUM !== undefined ? it : it.skip;
const SKIP = CHROMIUM !== undefined ? '' : ' (skipped: no Chromium on this machine; apt-get install chromium, or set CHROMIUM=path)';

interface Loaded {
  page: Page;
  problems: string[];
  charts: { id: string; state: string | null; marks: number }[];
}

describe('report.html in headless Chromium', { timeout: 600_000 }, () => {
  const dir = tempDir();
  let browser: Browser | null = null;

  beforeAll(async () => {
    if (CHROMIUM === undefined) return;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: join(dir, 'profile'), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a report from file://, waits until every chart has settled; collects console errors and any non-file request. */
  async function open(file: string): Promise<Loaded> {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForFunction(() => [...document.querySelectorAll('div.chart')].every((c) => c.getAttribute('data-rendered') !== 'pending'), { timeout: 60_000 });
    const charts = await page.$$eval('div.chart', (cs) => cs.map((c) => ({ id: c.id, state: c.getAttribute('data-rendered'), marks: c.querySelectorAll('svg .mark-symbol path, svg .mark-line path, svg .mark-rule line').length })));
    return { page, problems, charts };
  }

  /** The text of column `col` of the page's `table`-th sortable table, top to bottom. */
  const column = (page: Page, table: number, col: number) => page.evaluate((t, c) => [...document.querySelectorAll('table.sortable')[t]!.querySelectorAll('tbody tr')].map((r) => (r as HTMLTableRowElement).cells[c]!.textContent!), table, col);

  function expectDrawn(l: Loaded, charts: number): void {
    expect(l.problems).toEqual([]);
    expect(l.charts.length).toBe(charts);
    for (const c of l.charts) {
      expect(c.state, c.id).toBe('ok');
      expect(c.marks, `${c.id}: marks drawn`).toBeGreaterThan(3);
    }
  }

  inBrowser(`compare: leaderboard, paired Δ, per-class gain, LR search, loss curves and ledger drawn; tables sort${SKIP}`, async () => {
    const out = join(dir, 'compare');
    const r = await cli(['compare', '--budget-scale', '0.02', '--lr-grid', '0.003,0.006', '--lr-extend', '0', '--resamples', '40', '--workers', '2', '--protocols', 'downstream-only,pretrain-finetune,cofinetune', '--out', out]);
    expect([0, 1], r.stderr).toContain(r.code); // an LR at the grid's edge is flagged (exit 1) with the report written
    const doc = readJson(join(out, 'result.json'));
    const l = await open(join(out, 'report.html'));
    // group mAPs, Δ over PTFT, per-class gain, LR search, loss curves
    expectDrawn(l, 5);
    const lossChart = await l.page.evaluate(() => [...document.querySelectorAll('figure')].find((f) => f.textContent!.includes('Training loss of each chosen'))!.querySelectorAll('.mark-line path').length);
    expect(lossChart).toBeGreaterThanOrEqual(doc.runs.filter((x: { selected: boolean }) => x.selected).length);
    // the leaderboard table is the result's, in its order
    const names = await column(l.page, 0, 0);
    expect(names).toEqual(doc.leaderboard.map((x: { protocol: string }) => x.protocol));
    const maps = await column(l.page, 0, 1);
    expect(maps.map((t) => t.split(' ')[0])).toEqual(doc.leaderboard.map((x: { mAP: { mean: number } }) => x.mAP.mean.toFixed(4)));
    // sorting the per-class table (id, class, group, train count, APs…) by train count: ascending, then descending
    const tables = await l.page.$$eval('table.sortable', (ts) => ts.map((t) => [...t.tHead!.rows[0]!.cells].map((c) => c.textContent)));
    const perClass = tables.findIndex((h) => h[3] === 'train count');
    expect(perClass).toBeGreaterThan(-1);
    const header = (await l.page.$$(`table.sortable`))[perClass]!;
    const th = (await header.$$('th'))[3]!;
    await th.click();
    const up = (await column(l.page, perClass, 3)).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(new Set(up).size).toBeGreaterThan(3);
    await th.click();
    const down = (await column(l.page, perClass, 3)).map(Number);
    expect(down).toEqual([...up].sort((a, b) => b - a));
    expect(await l.page.evaluate((i) => document.querySelectorAll('table.sortable')[i]!.querySelectorAll('th')[3]!.getAttribute('aria-sort'), perClass)).toBe('descending');
    // the ledger table lists every dataset each chosen run consumed
    const ledgerRows = doc.runs.filter((x: { selected: boolean }) => x.selected).reduce((s: number, x: { ledger: { phases: { datasets: object }[] } }) => s + x.ledger.phases.reduce((t, p) => t + Object.keys(p.datasets).length, 0), 0);
    const ledger = tables.findIndex((h) => h.includes('ids sha256'));
    expect((await column(l.page, ledger, 0)).length).toBe(ledgerRows);
    await l.page.close();

    // the merged leaderboard of two compare results
    const merged = join(dir, 'merged');
    const m = await cli(['leaderboard', join(out, 'result.json'), join(out, 'result.json'), '--out', merged]);
    expect(m.code, m.stderr).toBe(0);
    const lm = await open(join(merged, 'report.html'));
    expectDrawn(lm, 1);
    expect((await column(lm.page, 0, 1)).length).toBe(2 * doc.leaderboard.length);
    await lm.page.close();
  });

  inBrowser(`eval, diff and a leaderboard of models: drawn, with the results' numbers${SKIP}`, async () => {
    const worse = join(dir, 'worse.csv');
    writeFileSync(worse, withScores(tailClasses(), (s) => shuffled(s)));
    const a = await evalSlice(dir, 'model-a', PRED);
    const b = await evalSlice(dir, 'model-b', worse);
    const ev = await open(join(a, 'report.html'));
    expectDrawn(ev, 1);
    const doc = readJson(join(a, 'result.json'));
    expect(await ev.page.$eval('p.lead', (p) => p.textContent)).toContain(`mAP ${doc.mAP.toFixed(4)}`);
    await ev.page.close();

    const d = await cli(['diff', a, b, '--resamples', '200', '--out', join(dir, 'diff')]);
    expect(d.code, d.stderr).toBe(0);
    const ld = await open(join(dir, 'diff', 'report.html'));
    expectDrawn(ld, 2);
    const diff = readJson(join(dir, 'diff', 'diff.json'));
    const tail = diff.groups.find((g: { group: string }) => g.group === 'tail');
    const groupRows = await column(ld.page, 0, 4);
    expect(groupRows[3]).toBe(`${tail.delta.estimate >= 0 ? '+' : ''}${(tail.delta.estimate * 100).toFixed(2)} [${tail.delta.lo >= 0 ? '+' : ''}${(tail.delta.lo * 100).toFixed(2)}, ${tail.delta.hi >= 0 ? '+' : ''}${(tail.delta.hi * 100).toFixed(2)}]`);
    await ld.page.close();

    const lb = await cli(['leaderboard', join(a, 'result.json'), join(b, 'result.json'), '--reference', 'model-a', '--resamples', '200', '--out', join(dir, 'models')]);
    expect(lb.code, lb.stderr).toBe(0);
    const lmod = await open(join(dir, 'models', 'report.html'));
    expectDrawn(lmod, 2); // mAP by group, Δ vs the reference
    expect(await column(lmod.page, 0, 1)).toEqual(readJson(join(dir, 'models', 'leaderboard.json')).models.map((x: { name: string }) => x.name));
    await lmod.page.close();
  });

  it('the page is self-contained: no external script, stylesheet or font; the chart specs carry no URL to fetch', async () => {
    const html = readFileSync(join(await evalSlice(dir, 'self-contained', PRED), 'report.html'), 'utf8');
    // outside the scripts (the inlined Vega runtime mentions url() for SVG gradients), no reference to anything
    const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '<script></script>');
    expect(markup).not.toMatch(/\bsrc=|\bhref=|@import|url\(/);
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => !tag.includes('src'))).toBe(true);
    for (const spec of html.matchAll(/<script type="application\/json"[^>]*>(.*?)<\/script>/gs)) expect(spec[1]).not.toMatch(/"url"\s*:/);
  });
});
