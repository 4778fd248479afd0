/**
 * The charts of cft-bench reports, as Vega-Lite specs (data inline): built once here, rendered
 * to SVG files by plot.ts and embedded in report.html by html-page.ts. Vega-Lite rather than
 * hand-drawn SVG: scales, axes, legends, error bars and tooltips are the library's, and the same
 * spec renders headless (Node) and in the browser.
 */

/** A Vega-Lite spec (the library's own type is too deep to name usefully here). */
export type ChartSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export interface GainPoint {
  readonly protocol: string;
  readonly className: string;
  readonly group: string;
  readonly trainCount: number;
  readonly gain: number;
}

export interface GainPlotOptions {
  /** The protocol whose points carry class names (default: cofinetune if present, else the first). */
  readonly labelled?: string;
  /** What the gain is of (default 'test AP'). */
  readonly what?: string;
  readonly xTitle?: string;
}

/** The paper's picture of the tail effect: per-class gain over a baseline against the class's training count (log). */
export function gainVsCountChart(points: readonly GainPoint[], baseline: string, title: string, opts: GainPlotOptions = {}): ChartSpec {
  const labelled = opts.labelled ?? (points.some((p) => p.protocol === 'cofinetune') ? 'cofinetune' : (points[0]?.protocol ?? ''));
  const what = opts.what ?? 'test AP';
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `per-class ${what} gain over ${baseline} vs ${opts.xTitle === undefined ? 'training examples of the class' : 'instances of the class'}` },
    width: 520,
    height: 320,
    data: { values: points.map((p) => ({ ...p })) },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x: { field: 'trainCount', type: 'quantitative', scale: { type: 'log' }, title: opts.xTitle ?? 'training instances of the class (log)' },
          y: { field: 'gain', type: 'quantitative', title: `AP gain over ${baseline}` },
          color: { field: 'protocol', type: 'nominal', title: 'protocol' },
          shape: { field: 'group', type: 'nominal', title: 'group' },
          tooltip: [{ field: 'protocol' }, { field: 'className', title: 'class' }, { field: 'trainCount', title: 'train count' }, { field: 'gain', format: '.3f' }],
        },
      },
      {
        mark: { type: 'text', dx: 6, align: 'left', fontSize: 9, color: '#555' },
        transform: [{ filter: `datum.protocol === ${JSON.stringify(labelled)}` }],
        encoding: { x: { field: 'trainCount', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'gain', type: 'quantitative' }, text: { field: 'className' } },
      },
    ],
  };
}

export interface ApPoint {
  readonly className: string;
  readonly group: string;
  readonly count: number;
  readonly ap: number;
}

/** Per-class AP against the class's training (or GT) count, one evaluation. */
export function apVsCountChart(points: readonly ApPoint[], title: string, xTitle: string): ChartSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 520,
    height: 300,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
    encoding: {
      x: { field: 'count', type: 'quantitative', scale: { type: 'log' }, title: xTitle },
      y: { field: 'ap', type: 'quantitative', title: 'AP', scale: { domain: [0, 1] } },
      color: { field: 'group', type: 'nominal', title: 'group' },
      tooltip: [{ field: 'className', title: 'class' }, { field: 'count' }, { field: 'ap', title: 'AP', format: '.3f' }],
    },
  };
}

export interface IntervalPoint {
  /** The series (protocol or model). */
  readonly series: string;
  /** The group (overall, head, mid, tail). */
  readonly group: string;
  readonly value: number;
  readonly lo: number | null;
  readonly hi: number | null;
}

/** A value with its 95% CI per group and series (mAP by head/mid/tail, or Δ by group), side by side. */
export function intervalsChart(points: readonly IntervalPoint[], title: string, yTitle: string, opts: { zeroRule?: boolean; groups?: readonly string[] } = {}): ChartSpec {
  const x = { field: 'group', type: 'nominal', title: null, sort: opts.groups ?? null, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal' };
  const color = { field: 'series', type: 'nominal', title: null };
  return {
    $schema: SCHEMA,
    title,
    width: 520,
    height: 280,
    data: { values: points.map((p) => ({ ...p })) },
    layer: [
      ...(opts.zeroRule === true ? [{ mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } }] : []),
      { transform: [{ filter: 'datum.lo !== null' }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, xOffset, color, y: { field: 'lo', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'hi' } } },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x,
          xOffset,
          color,
          y: { field: 'value', type: 'quantitative', title: yTitle },
          tooltip: [{ field: 'series' }, { field: 'group' }, { field: 'value', format: '.4f' }, { field: 'lo', title: '95% CI lo', format: '.4f' }, { field: 'hi', title: '95% CI hi', format: '.4f' }],
        },
      },
    ],
  };
}

export interface SweepPoint {
  readonly protocol: string;
  readonly seed: number;
  readonly lr: number;
  /** Validation mAP (null: the run diverged). */
  readonly valMAP: number | null;
  readonly selected: boolean;
}

/** The LR search: validation mAP against LR per protocol (log LR), the chosen run filled, diverged runs marked at the bottom. */
export function lrSweepChart(points: readonly SweepPoint[], title: string): ChartSpec {
  const values = points.map((p) => ({ ...p, run: `${p.protocol} seed ${p.seed}`, status: p.valMAP === null ? 'diverged' : p.selected ? 'chosen' : 'tried' }));
  const x = { field: 'lr', type: 'quantitative', scale: { type: 'log', nice: false, padding: 12 }, title: 'learning rate (log)' };
  return {
    $schema: SCHEMA,
    title,
    width: 520,
    height: 300,
    data: { values },
    layer: [
      { transform: [{ filter: 'datum.valMAP !== null' }], mark: { type: 'line', opacity: 0.6 }, encoding: { x, y: { field: 'valMAP', type: 'quantitative', title: 'val mAP', scale: { zero: false } }, color: { field: 'protocol', type: 'nominal' }, detail: { field: 'run' } } },
      {
        transform: [{ filter: 'datum.valMAP !== null' }],
        mark: { type: 'point', size: 70 },
        encoding: {
          x,
          y: { field: 'valMAP', type: 'quantitative' },
          color: { field: 'protocol', type: 'nominal' },
          fill: { condition: { test: 'datum.selected', field: 'protocol', type: 'nominal' }, value: 'white' },
          tooltip: [{ field: 'protocol' }, { field: 'seed' }, { field: 'lr', title: 'LR' }, { field: 'valMAP', title: 'val mAP', format: '.4f' }, { field: 'status' }],
        },
      },
      {
        transform: [{ filter: 'datum.valMAP === null' }],
        mark: { type: 'point', shape: 'cross', size: 90, yOffset: 0 },
        encoding: { x, y: { value: 295 }, color: { field: 'protocol', type: 'nominal' }, tooltip: [{ field: 'protocol' }, { field: 'seed' }, { field: 'lr', title: 'LR' }, { field: 'status' }] },
      },
    ],
  };
}

export interface LossPoint {
  /** The run (protocol, seed, LR). */
  readonly run: string;
  /** Phase and the datasets of its steps, e.g. "cofinetune: synth-ava". */
  readonly series: string;
  /** Step counted over the whole run (phases one after another). */
  readonly step: number;
  readonly loss: number;
}

/** Training loss against step, one panel per run, one line per phase and step kind. */
export function lossCurvesChart(points: readonly LossPoint[], title: string): ChartSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values: points.map((p) => ({ ...p })) },
    facet: { field: 'run', type: 'nominal', title: null, header: { labelFontSize: 11 } },
    columns: 2,
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 300,
      height: 170,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: 'phase: batches of' },
        tooltip: [{ field: 'series' }, { field: 'step' }, { field: 'loss', format: '.4f' }],
      },
    },
  };
}
