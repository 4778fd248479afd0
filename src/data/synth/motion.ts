/**
 * Motion patterns: per-frame tracks (position offset, scale, intensity) relative to the
 * keyframe, for the downstream movement classes and the upstream motion/relation classes.
 * Speeds are in pixels per frame; directions for the downstream classes are axis-aligned.
 */
import type { Rng } from '../rng.js';
import type { ActorTrack } from './render.js';

export const MOVEMENTS = ['left', 'right', 'up', 'down', 'shake', 'jump', 'grow', 'shrink', 'blink', 'circle'] as const;
export type Movement = (typeof MOVEMENTS)[number] | 'static' | 'diagonal';

export interface Appearance {
  pose: number;
  family: number;
  contrast: number;
}

export const DIRECTIONS: Record<'left' | 'right' | 'up' | 'down', readonly [number, number]> = {
  left: [-1, 0],
  right: [1, 0],
  up: [0, -1],
  down: [0, 1],
};

export function randomAppearance(rng: Rng, poseWeights: readonly number[]): Appearance {
  const pose = rng.categorical(poseWeights);
  const c = rng.uniform(0.45, 0.75);
  return { pose, family: rng.int(0, 2), contrast: rng.random() < 0.25 ? -c : c };
}

/** A track with the actor at (cx, cy) on the keyframe `kf`, moving by `pattern`. */
export function movementTrack(rng: Rng, app: Appearance, pattern: Movement, cx: number, cy: number, frames: number, kf: number, baseScale = 1): ActorTrack {
  const x = new Float32Array(frames).fill(cx);
  const y = new Float32Array(frames).fill(cy);
  const scale = new Float32Array(frames).fill(baseScale);
  const intensity = new Float32Array(frames).fill(1);
  const speed = rng.uniform(0.8, 1.4);
  for (let t = 0; t < frames; t++) {
    const d = t - kf;
    switch (pattern) {
      case 'left':
      case 'right':
      case 'up':
      case 'down': {
        const [dx, dy] = DIRECTIONS[pattern];
        x[t] = cx + dx * speed * d;
        y[t] = cy + dy * speed * d;
        break;
      }
      case 'diagonal': {
        x[t] = cx + (speed * d) / Math.SQRT2;
        y[t] = cy + (speed * d) / Math.SQRT2;
        break;
      }
      case 'shake':
        x[t] = cx + 2 * Math.sin((2 * Math.PI * d) / 4);
        break;
      case 'jump':
        y[t] = cy - 2.5 * Math.abs(Math.sin((Math.PI * d) / 4));
        break;
      case 'grow':
        scale[t] = baseScale * (1 + 0.085 * d);
        break;
      case 'shrink':
        scale[t] = baseScale * (1 - 0.085 * d);
        break;
      case 'blink':
        intensity[t] = d % 2 === 0 ? 1 : 0.2;
        break;
      case 'circle':
        x[t] = cx + 2 * Math.cos((2 * Math.PI * d) / 8) - 2;
        y[t] = cy + 2 * Math.sin((2 * Math.PI * d) / 8);
        break;
      case 'static':
        break;
    }
  }
  return { ...app, x, y, scale, intensity };
}

/** A straight-line track through (cx, cy) at the keyframe with velocity (vx, vy). */
export function linearTrack(app: Appearance, cx: number, cy: number, vx: number, vy: number, frames: number, kf: number): ActorTrack {
  const x = Float32Array.from({ length: frames }, (_, t) => cx + vx * (t - kf));
  const y = Float32Array.from({ length: frames }, (_, t) => cy + vy * (t - kf));
  return { ...app, x, y, scale: new Float32Array(frames).fill(1), intensity: new Float32Array(frames).fill(1) };
}
