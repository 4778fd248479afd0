/**
 * A 2-D convolution that trains on the wasm backend. tfjs-backend-wasm has no
 * Conv2DBackpropFilter kernel, so `tf.conv2d` cannot be trained there; this op supplies its
 * own gradients, both as forward convolutions (which XNNPACK runs fast):
 *
 *   dW = conv2d(xᵀ [ci,H,W,B], dyᵀ [Ho,Wo,B,co], dilation = stride) → [ci,k,k,co] → [k,k,ci,co]
 *   dX = conv2d(dy zero-upsampled by the stride and padded by k-1-pad, W flipped and in/out-swapped)
 *
 * Padding is explicit and symmetric (`pad` pixels each side). The gradients are checked against
 * tfjs autodiff on the cpu backend in test/trainer-ops.test.ts.
 */
import type * as tfType from '@tensorflow/tfjs';

export type Tf = typeof tfType;

export function makeConv2d(tf: Tf) {
  /** `needInputGrad: false` for a layer whose input is data (the clip): skips dX, a third of the backward cost there. */
  return function conv2d(x: tfType.Tensor4D, w: tfType.Tensor4D, stride: number, pad: number, needInputGrad = true): tfType.Tensor4D {
    const op = tf.customGrad(((xIn: tfType.Tensor, wIn: tfType.Tensor, save: tfType.GradSaveFunc) => {
      const xi = xIn as tfType.Tensor4D;
      const wi = wIn as tfType.Tensor4D;
      const y = tf.conv2d(xi, wi, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
      save([xi, wi]);
      return {
        value: y,
        gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
          const [xs, ws] = saved as [tfType.Tensor4D, tfType.Tensor4D];
          const dx = needInputGrad ? inputGrad(tf, dy as tfType.Tensor4D, ws, xs.shape, stride, pad) : tf.zerosLike(xs);
          return [dx, filterGrad(tf, xs, dy as tfType.Tensor4D, ws.shape, stride, pad)];
        },
      };
    }) as unknown as Parameters<Tf['customGrad']>[0]);
    return op(x, w) as tfType.Tensor4D;
  };
}

function filterGrad(tf: Tf, x: tfType.Tensor4D, dy: tfType.Tensor4D, wShape: number[], stride: number, pad: number): tfType.Tensor4D {
  return tf.tidy(() => {
    const [k] = wShape as [number, number, number, number];
    const [, ho, wo] = dy.shape;
    // the padded input rows/cols the filter actually touches
    const span = (ho - 1) * stride + k;
    const spanW = (wo - 1) * stride + k;
    // pad only as far as the filter reaches (no trailing slice needed when it stops short)
    const after = span - x.shape[1] - pad;
    const afterW = spanW - x.shape[2] - pad;
    let xp = tf.pad(x, [[0, 0], [pad, Math.max(0, after)], [pad, Math.max(0, afterW)], [0, 0]]);
    if (after < 0 || afterW < 0) xp = tf.slice(xp, [0, 0, 0, 0], [-1, span, spanW, -1]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [ci, H, W, B]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, B, co]
    const g = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', stride); // [ci, k, k, co]
    return tf.transpose(g, [1, 2, 0, 3]) as tfType.Tensor4D;
  });
}

function inputGrad(tf: Tf, dy: tfType.Tensor4D, w: tfType.Tensor4D, xShape: number[], stride: number, pad: number): tfType.Tensor4D {
  return tf.tidy(() => {
    const [b, h, wd] = xShape as [number, number, number, number];
    const [k] = w.shape;
    const [, ho, wo, co] = dy.shape;
    let up: tfType.Tensor4D = dy;
    if (stride === 2) {
      // zero-upsample [B,Ho,Wo,co] -> [B,2Ho-1,2Wo-1,co] (stack + reshape: the cheapest form on wasm)
      const cols = tf.stack([dy, tf.zerosLike(dy)], 3).reshape([b, ho, wo * 2, co]);
      up = tf.stack([cols, tf.zerosLike(cols)], 2).reshape([b, ho * 2, wo * 2, co]).slice([0, 0, 0, 0], [b, ho * 2 - 1, wo * 2 - 1, co]) as tfType.Tensor4D;
    } else if (stride !== 1) {
      throw new Error(`conv2d: stride ${stride} not supported (1 or 2)`);
    }
    // full correlation with the flipped, in/out-swapped filter; trailing rows the forward never reached get 0
    const p = k - 1 - pad;
    const needH = h + k - 1 - up.shape[1] - p;
    const needW = wd + k - 1 - up.shape[2] - p;
    const padded = tf.pad(up, [[0, 0], [p, Math.max(0, needH)], [p, Math.max(0, needW)], [0, 0]]);
    const wf = tf.reverse(w, [0, 1]).transpose([0, 1, 3, 2]) as tfType.Tensor4D;
    let dx = tf.conv2d(padded as tfType.Tensor4D, wf, 1, 'valid');
    if (dx.shape[1] !== h || dx.shape[2] !== wd) dx = dx.slice([0, 0, 0, 0], [b, h, wd, -1]);
    return dx;
  });
}
