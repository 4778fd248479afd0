/**
 * report.html: one self-contained page (no network at view time; opens from file:// and as a
 * CI artifact) built from plain blocks — paragraphs, sortable tables, charts. Charts are
 * Vega-Lite specs compiled here to Vega and drawn in the browser by the Vega runtime, which is
 * inlined from the installed `vega` package (~0.5 MB), so the page needs nothing else.
 *
 * The page marks each chart `data-rendered="ok"` (or `"error"`, with the message in the page
 * and on the console) once drawn, so a headless browser can check it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ChartSpec } from './charts.js';
import { toVega } from './plot.js';

/** A table cell: its text, and the value it sorts by (default: the text). */
export interface HtmlCell {
  readonly text: string;
  readonly sort?: number | string | null;
  /** Right-aligned (numbers). */
  readonly num?: boolean;
  readonly strong?: boolean;
}

export type HtmlBlock =
  | { readonly kind: 'text'; readonly text: string; readonly warn?: boolean }
  | { readonly kind: 'list'; readonly items: readonly string[]; readonly warn?: boolean }
  | { readonly kind: 'table'; readonly caption?: string; readonly columns: readonly string[]; readonly rows: readonly (readonly (HtmlCell | string)[])[] }
  | { readonly kind: 'chart'; readonly caption?: string; readonly spec: ChartSpec };

export interface HtmlSection {
  readonly heading: string;
  readonly blocks: readonly HtmlBlock[];
}

export interface HtmlPage {
  readonly title: string;
  /** Lines under the title (claim, command, what was compared). */
  readonly lead: readonly string[];
  readonly sections: readonly HtmlSection[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element: no "</script", no "<!--". */
const scriptJson = (x: unknown) => JSON.stringify(x).replace(/</g, '\\u003c');

let vegaRuntime: string | null = null;

/** The Vega runtime's browser build, from the installed package (read once). */
function vegaScript(): string {
  if (vegaRuntime === null) {
    const main = fileURLToPath(import.meta.resolve('vega')); // …/vega/build/vega.module.js
    const src = readFileSync(join(dirname(main), 'vega.min.js'), 'utf8');
    if (/<\/script|<!--/i.test(src)) throw new Error('vega.min.js cannot be inlined in a <script> element');
    vegaRuntime = src;
  }
  return vegaRuntime;
}

function cellHtml(c: HtmlCell | string): string {
  const cell = typeof c === 'string' ? { text: c } : c;
  const sort = cell.sort === undefined ? '' : ` data-sort="${escapeHtml(cell.sort === null ? '' : String(cell.sort))}"`;
  const text = escapeHtml(cell.text);
  return `<td${sort}${cell.num === true ? ' class="num"' : ''}>${cell.strong === true ? `<strong>${text}</strong>` : text}</td>`;
}

function blockHtml(b: HtmlBlock, id: string): string {
  switch (b.kind) {
    case 'text':
      return `<p${b.warn === true ? ' class="warn"' : ''}>${escapeHtml(b.text)}</p>`;
    case 'list':
      return `<ul${b.warn === true ? ' class="warn"' : ''}>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    case 'table':
      return [
        `<table class="sortable" id="${id}">`,
        b.caption !== undefined ? `<caption>${escapeHtml(b.caption)}</caption>` : '',
        `<thead><tr>${b.columns.map((c) => `<th scope="col" tabindex="0">${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
        `<tbody>${b.rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('\n')}</tbody>`,
        '</table>',
      ].join('');
    case 'chart':
      return [
        `<figure><div class="chart" id="${id}" data-rendered="pending"></div>`,
        b.caption !== undefined ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : '',
        `<script type="application/json" id="${id}-spec">${scriptJson(toVega(b.spec))}</script></figure>`,
      ].join('');
  }
}

// Sorting: a click (or Enter) on a header sorts by that column, again reverses. Cells sort by
// data-sort when given, numerically when every value is a number; empty values go last.
const PAGE_SCRIPT = `
(function () {
  function key(td) { return td.hasAttribute('data-sort') ? td.getAttribute('data-sort') : td.textContent; }
  function sortTable(table, col, th) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var vals = rows.map(function (r) { return key(r.cells[col]); });
    var numeric = vals.every(function (v) { return v === '' || !isNaN(Number(v)); });
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    var order = rows.map(function (r, i) { return i; }).sort(function (a, b) {
      var x = vals[a], y = vals[b];
      if (x === '' || y === '') return x === y ? a - b : x === '' ? 1 : -1;
      var c = numeric ? Number(x) - Number(y) : String(x).localeCompare(String(y));
      return c !== 0 ? c * dir : a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener('click', function () { sortTable(table, col, th); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortTable(table, col, th); });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('div.chart'), function (el) {
    try {
      var spec = JSON.parse(document.getElementById(el.id + '-spec').textContent);
      new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true }).runAsync()
        .then(function () { el.setAttribute('data-rendered', 'ok'); })
        .catch(function (err) { fail(el, err); });
    } catch (err) { fail(el, err); }
  });
  function fail(el, err) {
    el.setAttribute('data-rendered', 'error');
    el.textContent = 'this chart could not be drawn: ' + err;
    console.error('cft-bench report: chart ' + el.id + ': ' + err);
  }
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .3rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.lead { color: #444; margin: .2rem 0; } code { background: #f3f3f3; padding: 0 .2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 13px; }
caption { text-align: left; color: #555; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { cursor: pointer; user-select: none; background: #fafafa; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.warn { color: #8a1f11; background: #fdf0ee; padding: .4rem .8rem; }
figure { margin: 1rem 0; } figcaption { color: #555; font-size: 13px; max-width: 760px; }
footer { margin-top: 3rem; color: #777; font-size: 12px; }
`;

export function htmlPage(page: HtmlPage, tool: string): string {
  let n = 0;
  const sections = page.sections
    .filter((s) => s.blocks.length > 0)
    .map((s) => `<section><h2>${escapeHtml(s.heading)}</h2>\n${s.blocks.map((b) => blockHtml(b, `${b.kind}-${++n}`)).join('\n')}</section>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(page.title)}</h1>`,
    ...page.lead.map((l) => `<p class="lead">${escapeHtml(l)}</p>`),
    ...sections,
    `<footer>Written by ${escapeHtml(tool)}. Self-contained: charts drawn by the inlined Vega runtime; click a column header to sort.</footer>`,
    `<script>${vegaScript()}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
