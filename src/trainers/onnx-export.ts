/**
 * ONNX export of a cft-bench model (the localisation path; upstream heads are not part of it)
 * and the I/O contract every model run by `cft-bench infer` must follow — so a PyTorch or JAX
 * user can export a conforming model:
 *
 *   input  clips   float32 [N, T, H, W, C]  raw pixel values 0..255 (synth-ava: T 8, H W 32, C 1)
 *   input  boxes   float32 [N, R, 4]        person boxes at the keyframe, normalised x1, y1, x2, y2
 *                                           (pad to R with any box; padded rows are ignored)
 *   output scores  float32 [N, R, K]        per-box action probabilities, K = label-map classes in
 *                                           label-map order
 *
 * A detection's score is then (person-detector score) × (action probability), as in `predict`.
 * The graph mirrors model.ts op for op (opset 17): the normalisation, 3 convs + 1×1 neck (NCHW), the
 * per-cell LayerNorm, ROI pooling written out as sample-coordinate arithmetic + GatherND of the 4 bilinear taps, the
 * mean feature, the linear head, a sigmoid.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CONTEXT_SCALE, FEATURE_NORM_EPS, FEATURE_SIZE, NECK } from './model.js';
import { concat, msg, modelProto, node, str, tensor, valueInfo, DT, type Attr } from './onnx-proto.js';
import type { Trainer } from './trainer.js';

export const CONTRACT = { version: 'cft-bench-onnx/1', inputs: { clips: 'clips', boxes: 'boxes' }, output: 'scores' } as const;
const OPSET = 17;
const MEAN = 0.2;
const SCALE = 3;

class Graph {
  readonly nodes: Uint8Array[] = [];
  readonly inits: Uint8Array[] = [];
  private n = 0;
  op(type: string, inputs: string[], attrs: Attr[] = [], outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => `t${this.n++}`);
    this.nodes.push(node(type, inputs, outs, `${type}_${this.n}`, attrs));
    return outs;
  }
  one(type: string, inputs: string[], attrs: Attr[] = []): string {
    return this.op(type, inputs, attrs)[0]!;
  }
  f32(name: string, dims: number[], data: ArrayLike<number>): string {
    this.inits.push(tensor(name, dims, Float32Array.from(data)));
    return name;
  }
  i64(name: string, data: number[]): string {
    this.inits.push(tensor(name, [data.length], BigInt64Array.from(data.map(BigInt))));
    return name;
  }
  /** An int64 constant with a fresh name. */
  c64(data: number[]): string {
    return this.i64(`c${this.n++}`, data);
  }
}

/** tfjs filter [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function convWeight(w: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

export function exportOnnx(trainer: Trainer, version: string): Uint8Array {
  const p = trainer.params;
  const v = (group: string, name: string) => p[group]![name]! as tfType.Variable;
  const data = (x: tfType.Variable) => x.dataSync() as Float32Array;
  const { frames: T, height: H, width: W, channels: C } = trainer.config.shape;
  const K = trainer.config.localisationClasses.length;
  const g = new Graph();

  // clips [N,T,H,W,C] -> [N, T·C, H, W], normalised like batches.ts
  const perm = g.one('Transpose', ['clips'], [{ name: 'perm', ints: [0, 1, 4, 2, 3] }]);
  let h = g.one('Reshape', [perm, g.i64('shape_nchw', [0, T * C, H, W])]);
  h = g.one('Add', [g.one('Mul', [h, g.f32('norm_scale', [], [SCALE / 255])]), g.f32('norm_shift', [], [-MEAN * SCALE])]);
  const conv = (x: string, name: string, stride: number, pad: number) => {
    const w = v('trunk', `${name}w`);
    return g.one('Relu', [g.one('Conv', [x, g.f32(`${name}_w`, [w.shape[3]!, w.shape[2]!, w.shape[0]!, w.shape[1]!], convWeight(data(w), w.shape)), g.f32(`${name}_b`, [w.shape[3]!], data(v('trunk', `${name}b`)))], [
      { name: 'strides', ints: [stride, stride] },
      { name: 'pads', ints: [pad, pad, pad, pad] },
      { name: 'kernel_shape', ints: [w.shape[0]!, w.shape[1]!] },
    ])]);
  };
  h = conv(h, 'c1', 2, 1);
  h = conv(h, 'c2', 2, 1);
  h = conv(h, 'c3', 1, 1);
  h = conv(h, 'n', 1, 0); // [N, 64, 8, 8]
  const cells = FEATURE_SIZE * FEATURE_SIZE;
  const raw = g.one('Transpose', [g.one('Reshape', [h, g.i64('shape_cells', [0, NECK, cells])])], [{ name: 'perm', ints: [0, 2, 1] }]); // [N, 64 cells, 64]
  // per-cell LayerNorm over channels, no affine (model.ts): spelled out, as tfjs computes it
  const centred = g.one('Sub', [raw, g.one('ReduceMean', [raw], [{ name: 'axes', ints: [2] }, { name: 'keepdims', i: 1 }])]);
  const variance = g.one('ReduceMean', [g.one('Mul', [centred, centred])], [{ name: 'axes', ints: [2] }, { name: 'keepdims', i: 1 }]);
  const feats = g.one('Div', [centred, g.one('Sqrt', [g.one('Add', [variance, g.f32('norm_eps', [], [FEATURE_NORM_EPS])])])]);

  // ROI sample points: 3×3 bin centres of the box enlarged ×1.5, in feature-cell coordinates, clamped
  const [x1, y1, x2, y2] = g.op('Split', ['boxes', g.i64('split4', [1, 1, 1, 1])], [{ name: 'axis', i: 2 }], 4) as [string, string, string, string]; // [N,R,1]
  const half = g.f32('half', [], [0.5]);
  const offsets = g.f32('grid', [1, 1, 3], [-1 / 3, 0, 1 / 3]);
  const s = g.f32('fsize', [], [FEATURE_SIZE]);
  const lo = g.f32('zero', [], [0]);
  const hi = g.f32('maxcell', [], [FEATURE_SIZE - 1]);
  const ctx = g.f32('context', [], [CONTEXT_SCALE]);
  const oneF = g.f32('one', [], [1]);
  const axis = (a: string, b: string) => {
    const c = g.one('Mul', [g.one('Add', [a, b]), half]);
    const w = g.one('Mul', [g.one('Sub', [b, a]), ctx]);
    const f = g.one('Clip', [g.one('Sub', [g.one('Mul', [g.one('Add', [c, g.one('Mul', [offsets, w])]), s]), half]), lo, hi]); // [N,R,3]
    const f0 = g.one('Floor', [f]);
    const frac = g.one('Sub', [f, f0]);
    const f1 = g.one('Min', [g.one('Add', [f0, oneF]), hi]);
    return { f0, f1, frac };
  };
  const ax = axis(x1, x2);
  const ay = axis(y1, y2);
  const unsq = (t: string, axes: number[]) => g.one('Unsqueeze', [t, g.c64(axes)]);
  const one = oneF;
  // rows gy (axis 2), cols gx (axis 3): [N,R,3,1] and [N,R,1,3]
  const Y = (t: string) => unsq(t, [3]);
  const X = (t: string) => unsq(t, [2]);
  const [wx0, wx1, wy0, wy1] = [X(g.one('Sub', [one, ax.frac])), X(ax.frac), Y(g.one('Sub', [one, ay.frac])), Y(ay.frac)];
  const n9 = g.i64('shape_taps', [0, -1, 1]); // [N, R·9, 1]
  let pooled = '';
  for (const [yy, wy] of [[ay.f0, wy0], [ay.f1, wy1]] as const) {
    for (const [xx, wx] of [[ax.f0, wx0], [ax.f1, wx1]] as const) {
      const idx = g.one('Cast', [g.one('Reshape', [g.one('Add', [g.one('Mul', [Y(yy), s]), X(xx)]), n9])], [{ name: 'to', i: DT.INT64 }]);
      const taps = g.one('GatherND', [feats, idx], [{ name: 'batch_dims', i: 1 }]); // [N, R·9, 64]
      const term = g.one('Mul', [taps, g.one('Reshape', [g.one('Mul', [wy, wx]), n9])]);
      pooled = pooled === '' ? term : g.one('Add', [pooled, term]);
    }
  }
  const shapeRois = g.i64('shape_rois', [0, -1, 9 * NECK]);
  const samples = g.one('Reshape', [pooled, shapeRois]); // [N, R, 576], sample-major like model.ts
  const mean = g.one('ReduceMean', [feats], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 1 }]); // [N,1,64]
  const globalRow = g.one('Add', [g.one('Mul', [x1, lo]), mean]); // broadcast to [N,R,64]
  const roi = g.one('Concat', [samples, globalRow], [{ name: 'axis', i: 2 }]); // [N,R,640]
  const lw = v('loc', 'w');
  const logits = g.one('Add', [g.one('MatMul', [roi, g.f32('loc_w', lw.shape, data(lw))]), g.f32('loc_b', [K], data(v('loc', 'b')))]);
  g.nodes.push(node('Sigmoid', [logits], [CONTRACT.output], 'scores'));

  const classes = trainer.config.localisationClasses;
  const doc = `${CONTRACT.version}; classes ${JSON.stringify(classes.map((c) => c.id))}; names ${JSON.stringify(classes.map((c) => c.name))}`;
  const model = modelProto({
    nodes: g.nodes,
    initializers: g.inits,
    inputs: [valueInfo(11, CONTRACT.inputs.clips, DT.FLOAT, ['N', T, H, W, C]), valueInfo(11, CONTRACT.inputs.boxes, DT.FLOAT, ['N', 'R', 4])],
    outputs: [valueInfo(12, CONTRACT.output, DT.FLOAT, ['N', 'R', K])],
    graphName: 'cft-bench',
    docString: doc,
    opset: OPSET,
    producerVersion: version,
  });
  // metadata_props (ModelProto field 14): the contract version and class ids for `infer`
  const meta = (k: string, val: string) => msg(14, [str(1, k), str(2, val)]);
  return concat([model, meta('cft-bench.contract', CONTRACT.version), meta('cft-bench.classes', JSON.stringify(classes))]);
}
