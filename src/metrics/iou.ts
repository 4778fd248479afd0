/**
 * Box IoU exactly as the evaluators compute it (spec §6.3), on raw normalised coordinates:
 * no clipping, no +1 pixel term. The operation order matters where the IoU is mathematically
 * 0.5: `inter / ((areaDet + areaGt) - inter)` in float64.
 */

/** Official (float64) IoU. Zero-area GT gives 0 against a valid detection; 0/0 gives NaN. */
export function iou(
  dx1: number, dy1: number, dx2: number, dy2: number,
  gx1: number, gy1: number, gx2: number, gy2: number,
): number {
  const ih = Math.max(0, Math.min(dy2, gy2) - Math.max(dy1, gy1));
  const iw = Math.max(0, Math.min(dx2, gx2) - Math.max(dx1, gx1));
  const inter = ih * iw;
  const areaD = (dy2 - dy1) * (dx2 - dx1);
  const areaG = (gy2 - gy1) * (gx2 - gx1);
  return inter / ((areaD + areaG) - inter);
}

const f32 = Math.fround;

/**
 * MMAction2's IoU: the same numpy code fed float32 boxes. Differences are computed in float32
 * and promoted to float64 by `np.maximum(np.zeros(...), ...)`; areas stay float32 and their
 * sum is float32; `- inter` and the division are float64. Inputs must already be float32 values.
 */
export function iouFloat32(
  dx1: number, dy1: number, dx2: number, dy2: number,
  gx1: number, gy1: number, gx2: number, gy2: number,
): number {
  const ih = Math.max(0, f32(Math.min(dy2, gy2) - Math.max(dy1, gy1)));
  const iw = Math.max(0, f32(Math.min(dx2, gx2) - Math.max(dx1, gx1)));
  const inter = ih * iw;
  const areaD = f32(f32(dy2 - dy1) * f32(dx2 - dx1));
  const areaG = f32(f32(gy2 - gy1) * f32(gx2 - gx1));
  return inter / (f32(areaD + areaG) - inter);
}
