/**
 * The paper's way of showing the tail effect: per-class AP gain of each protocol over
 * pretrain-finetune against the class's training count (log scale), as SVG (also `diff`'s
 * per-class Δ of B over A). Vega-Lite spec,
 * rendered by Vega's headless SVG renderer (no canvas needed).
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';

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

export async function gainVsCountSvg(points: readonly GainPoint[], baseline: string, title: string, opts: GainPlotOptions = {}): Promise<string> {
  const labelled = opts.labelled ?? (points.some((p) => p.protocol === 'cofinetune') ? 'cofinetune' : (points[0]?.protocol ?? ''));
  const what = opts.what ?? 'test AP';
  const spec = compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
          tooltip: [{ field: 'className' }, { field: 'gain', format: '.3f' }],
        },
      },
      {
        mark: { type: 'text', dx: 6, align: 'left', fontSize: 9, color: '#555' },
        transform: [{ filter: `datum.protocol === ${JSON.stringify(labelled)}` }],
        encoding: { x: { field: 'trainCount', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'gain', type: 'quantitative' }, text: { field: 'className' } },
      },
    ],
  } as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
