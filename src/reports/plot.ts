/**
 * Charts as SVG files (the per-class gain plot beside the Markdown reports): a Vega-Lite spec
 * from charts.ts, compiled to Vega and rendered by Vega's headless SVG renderer (no canvas).
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { gainVsCountChart, type ChartSpec, type GainPlotOptions, type GainPoint } from './charts.js';

export type { GainPoint, GainPlotOptions } from './charts.js';

/** A Vega-Lite spec compiled to a Vega spec (what the Vega runtime renders, in Node or in a page). */
export function toVega(spec: ChartSpec): vega.Spec {
  return compile(spec as never).spec;
}

export async function chartSvg(spec: ChartSpec): Promise<string> {
  return new vega.View(vega.parse(toVega(spec)), { renderer: 'none' }).toSVG();
}

export async function gainVsCountSvg(points: readonly GainPoint[], baseline: string, title: string, opts: GainPlotOptions = {}): Promise<string> {
  return chartSvg(gainVsCountChart(points, baseline, title, opts));
}
