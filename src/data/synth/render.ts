/**
 * Renders a synthetic clip (uint8 [T, S, S, 1]) from a plain scene description: a noisy
 * textured background and small sprite "actors" with per-frame position, scale and intensity.
 *
 * Appearance = (pose texture, sprite family). Poses are what the downstream pose classes
 * recognise; upstream sets draw their actors from the same appearance distribution with
 * labels that ignore it (as Kinetics and AVA both show real people).
 */
import type { Rng } from '../rng.js';
import type { Box } from '../datasets.js';

export const POSES = ['stand', 'sit', 'bend', 'lie'] as const;
export const SPRITE_W = 6;
export const SPRITE_H = 8;

/** One actor's appearance and per-frame track (centre in pixels). */
export interface ActorTrack {
  readonly pose: number;
  /** 0 = rectangle, 1 = rounded (corners cut). */
  readonly family: number;
  /** Signed contrast against the background (dark actors are negative). */
  readonly contrast: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly scale: Float32Array;
  readonly intensity: Float32Array;
}

export interface Square {
  readonly x: number;
  readonly y: number;
  readonly size: number;
  readonly contrast: number;
}

export interface Scene {
  readonly frames: number;
  readonly size: number;
  readonly base: number;
  /** 5×5 texture values in [-1, 1], bilinearly upsampled, times `textureAmp`. */
  readonly texture: Float32Array;
  readonly textureAmp: number;
  /** Whole-scene shift per frame in pixels (camera pan), applied to background and everything on it. */
  readonly pan: readonly [number, number];
  /** Additive brightness per frame. */
  readonly brightness: Float32Array;
  readonly noiseStd: number;
  readonly actors: readonly ActorTrack[];
  readonly squares: readonly Square[];
}

// A fixed table of standard normals (seeded once): Box–Muller per pixel would dominate generation.
const NOISE = (() => {
  const t = new Float32Array(1 << 16);
  let s = 0x1234567;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < t.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    t[i] = r * Math.cos(a);
    t[i + 1] = r * Math.sin(a);
  }
  return t;
})();

/** Pattern value (0 or 1) of a pose texture at sprite coordinates u, v in [0, 1). */
function poseMask(pose: number, family: number, u: number, v: number): number {
  if (family === 1 && Math.abs(u - 0.5) + Math.abs(v - 0.5) > 0.8) return 0;
  switch (pose) {
    case 0: // stand: filled
      return 1;
    case 1: // sit: hollow ring
      return u < 0.3 || u >= 0.7 || v < 0.25 || v >= 0.75 ? 1 : 0;
    case 2: // bend: horizontal stripes
      return Math.floor(v * 4) % 2 === 0 ? 1 : 0;
    default: // lie: vertical stripes
      return Math.floor(u * 3) % 2 === 0 ? 1 : 0;
  }
}

export function renderClip(scene: Scene, rng: Rng): Uint8Array {
  const { frames: T, size: S } = scene;
  const out = new Uint8Array(T * S * S);
  const frame = new Float32Array(S * S);
  const tex = scene.texture;
  for (let t = 0; t < T; t++) {
    const ox = scene.pan[0] * t;
    const oy = scene.pan[1] * t;
    // background: base + bilinear 5×5 texture, sampled at the panned position
    for (let py = 0; py < S; py++) {
      const ty = Math.min(3.999, Math.max(0, ((py + 0.5 - oy) / S) * 4));
      const iy = Math.floor(ty);
      const fy = ty - iy;
      for (let px = 0; px < S; px++) {
        const tx = Math.min(3.999, Math.max(0, ((px + 0.5 - ox) / S) * 4));
        const ix = Math.floor(tx);
        const fx = tx - ix;
        const a = tex[iy * 5 + ix]! * (1 - fx) + tex[iy * 5 + ix + 1]! * fx;
        const b = tex[(iy + 1) * 5 + ix]! * (1 - fx) + tex[(iy + 1) * 5 + ix + 1]! * fx;
        frame[py * S + px] = scene.base + scene.textureAmp * (a * (1 - fy) + b * fy) + scene.brightness[t]!;
      }
    }
    for (const q of scene.squares) {
      const x0 = Math.round(q.x + ox);
      const y0 = Math.round(q.y + oy);
      for (let y = y0; y < y0 + q.size; y++) for (let x = x0; x < x0 + q.size; x++) if (x >= 0 && y >= 0 && x < S && y < S) frame[y * S + x]! += q.contrast;
    }
    for (const a of scene.actors) drawActor(frame, S, a, t, ox, oy);
    // per-frame Gaussian noise from the table at a random offset
    const off = rng.nextUint32() & 0xffff;
    const std = scene.noiseStd;
    const base = t * S * S;
    for (let i = 0; i < S * S; i++) {
      const v = frame[i]! + std * NOISE[(off + i * 7) & 0xffff]!;
      out[base + i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return out;
}

/** Adds an actor to a frame with 2×2 supersampling (so sub-pixel motion is visible). */
function drawActor(frame: Float32Array, S: number, a: ActorTrack, t: number, ox: number, oy: number): void {
  const w = SPRITE_W * a.scale[t]!;
  const h = SPRITE_H * a.scale[t]!;
  const x0 = a.x[t]! + ox - w / 2;
  const y0 = a.y[t]! + oy - h / 2;
  const amp = (a.contrast * a.intensity[t]!) / 4;
  for (let py = Math.max(0, Math.floor(y0)); py < Math.min(S, Math.ceil(y0 + h)); py++) {
    for (let px = Math.max(0, Math.floor(x0)); px < Math.min(S, Math.ceil(x0 + w)); px++) {
      let cover = 0;
      for (let sy = 0.25; sy < 1; sy += 0.5) {
        const v = (py + sy - y0) / h;
        if (v < 0 || v >= 1) continue;
        for (let sx = 0.25; sx < 1; sx += 0.5) {
          const u = (px + sx - x0) / w;
          if (u >= 0 && u < 1) cover += poseMask(a.pose, a.family, u, v);
        }
      }
      frame[py * S + px]! += amp * cover;
    }
  }
}

/** An actor's box at frame t: sprite bounds padded by 1 px, normalised, clipped to [0, 1]. */
export function actorBox(a: ActorTrack, t: number, size: number): Box {
  const w = SPRITE_W * a.scale[t]!;
  const h = SPRITE_H * a.scale[t]!;
  const c = (v: number) => Math.min(1, Math.max(0, v / size));
  return [c(a.x[t]! - w / 2 - 1), c(a.y[t]! - h / 2 - 1), c(a.x[t]! + w / 2 + 1), c(a.y[t]! + h / 2 + 1)];
}

/** Extent of an actor over all frames, in pixels (for placement without overlap). */
export function trackExtent(a: ActorTrack): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let t = 0; t < a.x.length; t++) {
    const w = (SPRITE_W * a.scale[t]!) / 2;
    const h = (SPRITE_H * a.scale[t]!) / 2;
    x1 = Math.min(x1, a.x[t]! - w);
    y1 = Math.min(y1, a.y[t]! - h);
    x2 = Math.max(x2, a.x[t]! + w);
    y2 = Math.max(y2, a.y[t]! + h);
  }
  return [x1, y1, x2, y2];
}

export function randomTexture(rng: Rng): Float32Array {
  return Float32Array.from({ length: 25 }, () => rng.uniform(-1, 1));
}

/** A static scene: random base level and smooth texture (drawn in this order), no pan or flicker. */
export function staticScene(rng: Rng, frames: number, size: number, actors: readonly ActorTrack[], squares: readonly Square[], noiseStd: number): Scene {
  return {
    frames,
    size,
    base: rng.uniform(0.05, 0.3),
    texture: randomTexture(rng),
    textureAmp: rng.uniform(0, 0.15),
    pan: [0, 0],
    brightness: new Float32Array(frames),
    noiseStd,
    actors,
    squares,
  };
}
