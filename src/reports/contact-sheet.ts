/**
 * A PNG contact sheet of localisation examples (people want to look at the data): one row per
 * clip, its T frames side by side (scaled up), the keyframe GT person boxes on every frame (green, labels
 * under the row), detector boxes on the keyframe (dashed orange, with scores). Rendered with
 * @napi-rs/canvas (Skia); labels use the system's sans-serif font.
 */
import { createCanvas } from '@napi-rs/canvas';
import type { LocalisationDataset, LocalisationExample } from '../data/datasets.js';

export function contactSheetPng(dataset: LocalisationDataset, examples: readonly LocalisationExample[], scale = 4): Buffer {
  const { frames: T, height: H, width: W, channels: C } = dataset.shape;
  const fw = W * scale;
  const fh = H * scale;
  const labelH = 16;
  const rowH = fh + labelH + 8;
  const canvas = createCanvas(T * (fw + 4) + 4, examples.length * rowH + 24);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#202020';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = '11px sans-serif';
  ctx.fillStyle = '#dddddd';
  ctx.fillText(`${dataset.name}: frames 0–${T - 1} (keyframe ${dataset.keyframe} outlined); green = GT person boxes at the keyframe, orange dashed = detector boxes`, 4, 14);
  const name = new Map(dataset.classes.map((c) => [c.id, c.name]));
  examples.forEach((e, row) => {
    const y0 = 24 + row * rowH;
    for (let t = 0; t < T; t++) {
      const x0 = 4 + t * (fw + 4);
      const img = ctx.createImageData(fw, fh);
      for (let y = 0; y < fh; y++) {
        for (let x = 0; x < fw; x++) {
          const v = e.clip[((t * H + Math.floor(y / scale)) * W + Math.floor(x / scale)) * C]!;
          const o = (y * fw + x) * 4;
          img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
          img.data[o + 3] = 255;
        }
      }
      ctx.putImageData(img, x0, y0);
      if (t === dataset.keyframe) {
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 - 1, y0 - 1, fw + 2, fh + 2);
      }
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      ctx.strokeStyle = '#3ddc5a';
      for (const b of e.boxes) ctx.strokeRect(x0 + b[0] * fw, y0 + b[1] * fh, (b[2] - b[0]) * fw, (b[3] - b[1]) * fh);
      if (t === dataset.keyframe) {
        ctx.setLineDash([3, 2]);
        ctx.strokeStyle = '#ff9d2e';
        for (const d of e.detections) ctx.strokeRect(x0 + d.box[0] * fw, y0 + d.box[1] * fh, (d.box[2] - d.box[0]) * fw, (d.box[3] - d.box[1]) * fh);
        ctx.setLineDash([]);
      }
    }
    ctx.fillStyle = '#dddddd';
    const text = e.boxes.map((_, p) => `#${p + 1}: ${e.labels[p]!.map((l) => name.get(l) ?? String(l)).join('+')}`).join('   ');
    ctx.fillText(`${e.videoId},${e.timestamp}  ${text}`, 4, y0 + fh + 13);
  });
  return canvas.toBuffer('image/png');
}
