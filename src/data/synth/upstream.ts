/**
 * The embedded upstream classification sets (one label per clip), whose knowledge transfers
 * to synth-ava as Kinetics, Something-Something and Moments in Time transfer to AVA. Their
 * actors are drawn from synth-ava's appearance distribution (the same pose textures and sprite
 * families; labels ignore them), as Kinetics and AVA both show real people.
 *
 * - synth-kinetics (12): one actor's motion — the 10 downstream movements, diagonal, static —
 *   with a random size and 0–1 static distractor actors;
 * - synth-ssv2 (6): two-actor relations — approach, retreat, follow, pass, meet, part — with
 *   directions jittered ±0.4 rad off the axes;
 * - synth-mit (8): scene dynamics — pan left/right/up/down, brighten, darken, flicker, still —
 *   made hard on purpose: sub-pixel pans, small brightness changes under per-frame brightness
 *   jitter, and actors moving about.
 *
 * Train 12,000 clips, val 1,000 (balanced: label = index mod classes), generated on demand.
 */
import type { ClassificationDataset, ClassificationExample, Split } from '../datasets.js';
import { Rng } from '../rng.js';
import { linearTrack, MOVEMENTS, movementTrack, randomAppearance, type Movement } from './motion.js';
import { renderClip, staticScene, trackExtent, type ActorTrack, type Scene } from './render.js';
import { checkIndex, FRAMES, KEYFRAME, SIZE } from './synth-ava.js';
import { seedFor } from './seed.js';

const UPSTREAM_SIZES = { train: 12000, val: 1000 } as const;
const UNIFORM_POSES = [1, 1, 1, 1];

function baseScene(rng: Rng, actors: ActorTrack[], noiseStd = 0.08): Scene {
  return staticScene(rng, FRAMES, SIZE, actors, [], noiseStd);
}

function fits(tracks: ActorTrack[]): boolean {
  return tracks.every((t) => {
    const e = trackExtent(t);
    return e[0] >= 0.5 && e[1] >= 0.5 && e[2] <= SIZE - 0.5 && e[3] <= SIZE - 0.5;
  });
}

/** Retries `make` until its tracks fit in the frame (deterministic: same rng stream). */
function placed(rng: Rng, make: () => ActorTrack[]): ActorTrack[] {
  for (let i = 0; i < 50; i++) {
    const t = make();
    if (fits(t)) return t;
  }
  return make();
}

const KINETICS_CLASSES: Movement[] = [...MOVEMENTS, 'diagonal', 'static'];

function kineticsScene(rng: Rng, label: number): Scene {
  const scale = rng.uniform(0.8, 1.25);
  const actor = placed(rng, () => [movementTrack(rng, randomAppearance(rng, UNIFORM_POSES), KINETICS_CLASSES[label]!, rng.uniform(5, SIZE - 5), rng.uniform(6, SIZE - 6), FRAMES, KEYFRAME, scale)]);
  const actors = [...actor];
  if (rng.random() < 0.5) {
    const d = placed(rng, () => [movementTrack(rng, randomAppearance(rng, UNIFORM_POSES), 'static', rng.uniform(4, SIZE - 4), rng.uniform(5, SIZE - 5), FRAMES, KEYFRAME)]);
    actors.push(...d);
  }
  return baseScene(rng, actors, 0.08 * 1.2);
}

const SSV2_CLASSES = ['approach', 'retreat', 'follow', 'pass', 'meet', 'part'] as const;

function ssv2Scene(rng: Rng, label: number): Scene {
  const kind = SSV2_CLASSES[label]!;
  const tracks = placed(rng, () => {
    const theta = (rng.int(0, 4) * Math.PI) / 2 + rng.uniform(-0.4, 0.4);
    const [ux, uy] = [Math.cos(theta), Math.sin(theta)];
    const v = rng.uniform(0.7, 1.1);
    const a = randomAppearance(rng, UNIFORM_POSES);
    const b = randomAppearance(rng, UNIFORM_POSES);
    const cx = rng.uniform(8, SIZE - 8);
    const cy = rng.uniform(8, SIZE - 8);
    const gap = rng.uniform(9, 11);
    const k = KEYFRAME;
    switch (kind) {
      case 'approach':
        return [linearTrack(a, cx, cy, ux * v, uy * v, FRAMES, k), linearTrack(b, cx + ux * (gap + 3 * v), cy + uy * (gap + 3 * v), 0, 0, FRAMES, k)];
      case 'retreat':
        return [linearTrack(a, cx, cy, ux * v, uy * v, FRAMES, k), linearTrack(b, cx - ux * (gap + 4 * v), cy - uy * (gap + 4 * v), 0, 0, FRAMES, k)];
      case 'follow':
        return [linearTrack(a, cx, cy, ux * v, uy * v, FRAMES, k), linearTrack(b, cx + ux * gap, cy + uy * gap, ux * v, uy * v, FRAMES, k)];
      case 'pass':
        return [linearTrack(a, cx - uy * 5, cy + ux * 5, ux * v, uy * v, FRAMES, k), linearTrack(b, cx + uy * 5, cy - ux * 5, -ux * v, -uy * v, FRAMES, k)];
      case 'meet':
        return [linearTrack(a, cx - ux * (gap / 2 + 3 * v), cy - uy * (gap / 2 + 3 * v), ux * v, uy * v, FRAMES, k), linearTrack(b, cx + ux * (gap / 2 + 3 * v), cy + uy * (gap / 2 + 3 * v), -ux * v, -uy * v, FRAMES, k)];
      case 'part':
        return [linearTrack(a, cx - ux * (gap / 2 + 4 * v) + 0, cy - uy * (gap / 2 + 4 * v), -ux * v, -uy * v, FRAMES, k), linearTrack(b, cx + ux * (gap / 2 + 4 * v), cy + uy * (gap / 2 + 4 * v), ux * v, uy * v, FRAMES, k)];
    }
  });
  return baseScene(rng, tracks);
}

const MIT_CLASSES = ['pan-left', 'pan-right', 'pan-up', 'pan-down', 'brighten', 'darken', 'flicker', 'still'] as const;

function mitScene(rng: Rng, label: number): Scene {
  const kind = MIT_CLASSES[label]!;
  const n = rng.int(1, 4);
  const actors: ActorTrack[] = [];
  for (let i = 0; i < n; i++) {
    const pattern = (['static', 'left', 'right', 'up', 'down', 'shake'] as Movement[])[rng.int(0, 6)]!;
    actors.push(...placed(rng, () => [movementTrack(rng, randomAppearance(rng, UNIFORM_POSES), pattern, rng.uniform(5, SIZE - 5), rng.uniform(6, SIZE - 6), FRAMES, KEYFRAME)]));
  }
  const s = baseScene(rng, actors, 0.1);
  const speed = rng.uniform(0.25, 0.5);
  const pan: [number, number] = kind === 'pan-left' ? [-speed, 0] : kind === 'pan-right' ? [speed, 0] : kind === 'pan-up' ? [0, -speed] : kind === 'pan-down' ? [0, speed] : [0, 0];
  const brightness = Float32Array.from({ length: FRAMES }, () => rng.normal(0, 0.012));
  const step = rng.uniform(0.006, 0.012);
  const flick = rng.uniform(0.015, 0.03);
  for (let t = 0; t < FRAMES; t++) {
    if (kind === 'brighten') brightness[t]! += step * (t - KEYFRAME);
    if (kind === 'darken') brightness[t]! -= step * (t - KEYFRAME);
    if (kind === 'flicker') brightness[t]! += t % 2 === 0 ? flick : -flick;
  }
  return { ...s, textureAmp: rng.uniform(0.08, 0.2), pan, brightness };
}

function classificationSet(name: string, description: string, classes: readonly string[], scene: (rng: Rng, label: number) => Scene, seed: number): ClassificationDataset {
  return {
    kind: 'classification',
    name,
    description,
    shape: { frames: FRAMES, height: SIZE, width: SIZE, channels: 1 },
    sizes: UPSTREAM_SIZES,
    classes,
    example(split: Split, index: number): ClassificationExample {
      checkIndex(name, split, index, (UPSTREAM_SIZES as Partial<Record<Split, number>>)[split]);
      const rng = new Rng(seedFor(seed, name, split, index));
      const label = index % classes.length;
      return { clip: renderClip(scene(rng, label), rng), label };
    },
    label(split: Split, index: number): number {
      checkIndex(name, split, index, (UPSTREAM_SIZES as Partial<Record<Split, number>>)[split]);
      return index % classes.length;
    },
  };
}

export function createSynthKinetics(seed = 0): ClassificationDataset {
  return classificationSet('synth-kinetics', 'One actor (synth-ava appearances), label = its motion: 10 downstream movements, diagonal, static', KINETICS_CLASSES, kineticsScene, seed);
}

export function createSynthSsv2(seed = 0): ClassificationDataset {
  return classificationSet('synth-ssv2', 'Two actors, label = their relation: approach, retreat, follow, pass, meet, part (directions ±0.4 rad off axis)', SSV2_CLASSES, ssv2Scene, seed);
}

export function createSynthMit(seed = 0): ClassificationDataset {
  return classificationSet('synth-mit', 'Scene dynamics: sub-pixel pans, small brightness changes under jitter, flicker, still; actors moving about', MIT_CLASSES, mitScene, seed);
}
