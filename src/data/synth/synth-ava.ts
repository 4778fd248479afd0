/**
 * `synth-ava`: the embedded downstream benchmark, an AVA-like spatio-temporal action
 * localisation set. Each example is one keyframe (frame 4 of an 8-frame 32×32 clip) with
 * 1–3 actors (plus partners for interactions), multi-label per actor:
 *
 * - pose (appearance, one per actor): stand, sit, bend, lie;
 * - movement: left, right, up, down, shake, jump, grow, shrink, blink, circle;
 * - interaction with a partner 7–12 px away: approach, retreat, follow (the actor also gets
 *   its direction label, so labels overlap as in AVA).
 *
 * Train split (1,000 clips): long-tailed — behaviour "static" with p = 0.3, else Zipf(1.3) over
 * a fixed rank order, so tail classes have tens of examples; poses 0.4/0.3/0.2/0.1. Val and
 * test (500 clips each): uniform, so tail AP is measurable. Every example is generated from
 * (seed, split, index) alone: identical on every machine, produced on demand.
 */
import type { Box, Detection, LocalisationClass, LocalisationDataset, LocalisationExample, Split } from '../datasets.js';
import { Rng } from '../rng.js';
import { DIRECTIONS, linearTrack, movementTrack, randomAppearance, MOVEMENTS, type Movement } from './motion.js';
import { actorBox, renderClip, staticScene, trackExtent, type ActorTrack, type Scene, type Square, POSES } from './render.js';
import { seedFor } from './seed.js';

export const SYNTH_AVA_CLASS_NAMES = [...POSES, ...MOVEMENTS, 'approach', 'retreat', 'follow'] as const;
const CLASS_ID = new Map<string, number>(SYNTH_AVA_CLASS_NAMES.map((n, i) => [n, i + 1]));
export const SYNTH_AVA_CLASSES: LocalisationClass[] = SYNTH_AVA_CLASS_NAMES.map((name, i) => ({ id: i + 1, name }));

const INTERACTIONS = ['approach', 'retreat', 'follow'] as const;
type Behaviour = Movement | (typeof INTERACTIONS)[number];
/** Train-split frequency rank (most to least frequent). */
const TRAIN_RANK: Behaviour[] = ['left', 'right', 'down', 'shake', 'up', 'approach', 'grow', 'jump', 'follow', 'blink', 'shrink', 'retreat', 'circle'];
const ALL_BEHAVIOURS: Behaviour[] = ['static', ...MOVEMENTS, ...INTERACTIONS];
const ZIPF = TRAIN_RANK.map((_, r) => 1 / (r + 1) ** 1.3);

export const FRAMES = 8;
export const SIZE = 32;
export const KEYFRAME = 4;

interface SampledScene {
  scene: Scene;
  boxes: Box[];
  labels: number[][];
  negatives: Box[];
  detections: Detection[];
}

interface PlacedActor {
  track: ActorTrack;
  labels: string[];
}

function drawBehaviour(rng: Rng, split: Split): Behaviour {
  if (split === 'train') return rng.random() < 0.3 ? 'static' : TRAIN_RANK[rng.categorical(ZIPF)]!;
  return ALL_BEHAVIOURS[rng.int(0, ALL_BEHAVIOURS.length)]!;
}

function inFrame(e: [number, number, number, number]): boolean {
  return e[0] >= 0.5 && e[1] >= 0.5 && e[2] <= SIZE - 0.5 && e[3] <= SIZE - 0.5;
}

function overlaps(a: [number, number, number, number], b: [number, number, number, number], margin = 1): boolean {
  return a[0] < b[2] + margin && b[0] < a[2] + margin && a[1] < b[3] + margin && b[1] < a[3] + margin;
}

/** Tracks (and labels) for one behaviour: the actor, plus a partner for interactions. */
function behaviourTracks(rng: Rng, b: Behaviour, poseWeights: readonly number[]): PlacedActor[] {
  const cx = rng.uniform(4, SIZE - 4);
  const cy = rng.uniform(5, SIZE - 5);
  const app = randomAppearance(rng, poseWeights);
  const pose = POSES[app.pose]!;
  if (!(INTERACTIONS as readonly string[]).includes(b)) {
    const track = movementTrack(rng, app, b as Movement, cx, cy, FRAMES, KEYFRAME);
    return [{ track, labels: b === 'static' ? [pose] : [pose, b] }];
  }
  const dirName = (['left', 'right', 'up', 'down'] as const)[rng.int(0, 4)]!;
  const [dx, dy] = DIRECTIONS[dirName];
  const v = rng.uniform(0.8, 1.0);
  const axisGap = dx !== 0 ? 7.5 : 9.5; // sprites are 6 wide, 8 tall
  const partnerApp = randomAppearance(rng, poseWeights);
  const partnerPose = POSES[partnerApp.pose]!;
  const actor = linearTrack(app, cx, cy, dx * v, dy * v, FRAMES, KEYFRAME);
  let dist: number;
  let partner: ActorTrack;
  if (b === 'approach') {
    dist = axisGap + rng.uniform(0, 1.5) + (FRAMES - 1 - KEYFRAME) * v; // closest at the last frame
    partner = linearTrack(partnerApp, cx + dx * dist, cy + dy * dist, 0, 0, FRAMES, KEYFRAME);
  } else if (b === 'retreat') {
    dist = axisGap + rng.uniform(0, 1.5) + KEYFRAME * v; // closest at the first frame
    partner = linearTrack(partnerApp, cx - dx * dist, cy - dy * dist, 0, 0, FRAMES, KEYFRAME);
  } else {
    dist = axisGap + rng.uniform(1, 3); // follow: the partner walks ahead at the same speed
    partner = linearTrack(partnerApp, cx + dx * dist, cy + dy * dist, dx * v, dy * v, FRAMES, KEYFRAME);
  }
  return [
    { track: actor, labels: [pose, b, dirName] },
    { track: partner, labels: b === 'follow' ? [partnerPose, dirName] : [partnerPose] },
  ];
}

export function sampleSynthAvaScene(rng: Rng, split: Split): SampledScene {
  const poseWeights = split === 'train' ? [0.4, 0.3, 0.2, 0.1] : [1, 1, 1, 1];
  const wanted = 1 + rng.categorical([0.35, 0.4, 0.25]);
  const placed: PlacedActor[] = [];
  const extents: [number, number, number, number][] = [];
  for (let a = 0; a < wanted; a++) {
    const b = drawBehaviour(rng, split);
    for (let attempt = 0; attempt < 40; attempt++) {
      const group = behaviourTracks(rng, b, poseWeights);
      const ext = group.map((g) => trackExtent(g.track));
      if (ext.every(inFrame) && ext.every((e) => extents.every((o) => !overlaps(e, o)))) {
        placed.push(...group);
        extents.push(...ext);
        break;
      }
    }
  }
  const squares: Square[] = [];
  const nSquares = rng.int(0, 3);
  for (let s = 0; s < nSquares; s++) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const size = rng.int(2, 4);
      const q = { x: rng.uniform(1, SIZE - size - 1), y: rng.uniform(1, SIZE - size - 1), size, contrast: (rng.random() < 0.5 ? -1 : 1) * rng.uniform(0.3, 0.6) };
      const e: [number, number, number, number] = [q.x, q.y, q.x + size, q.y + size];
      if (extents.every((o) => !overlaps(e, o))) {
        squares.push(q);
        extents.push(e);
        break;
      }
    }
  }
  const scene = staticScene(rng, FRAMES, SIZE, placed.map((p) => p.track), squares, 0.08);
  const boxes = placed.map((p) => actorBox(p.track, KEYFRAME, SIZE));
  const labels = placed.map((p) => [...new Set(p.labels)].map((n) => CLASS_ID.get(n)!).sort((x, y) => x - y));
  const negatives: Box[] = squares.map((q) => squareBox(q));
  return { scene, boxes, labels, negatives, detections: simulateDetector(rng, boxes, negatives) };
}

function squareBox(q: Square): Box {
  const c = (v: number) => Math.min(1, Math.max(0, v / SIZE));
  return [c(q.x - 1), c(q.y - 1), c(q.x + q.size + 1), c(q.y + q.size + 1)];
}

/**
 * A simulated person detector, as AVA evaluation uses one: each person's box jittered
 * (σ 0.7 px; 5% mislocalised with σ 3 px) with score U(0.6, 1); each distractor detected as a
 * person with p = 0.7; one random false box with p = 0.3 (scores U(0.2, 0.8)).
 */
function simulateDetector(rng: Rng, persons: readonly Box[], distractors: readonly Box[]): Detection[] {
  const out: Detection[] = [];
  const jitter = (b: Box, px: number): Box => {
    const j = b.map((v) => v + rng.normal(0, px / SIZE)) as [number, number, number, number];
    const c = (v: number) => Math.min(1, Math.max(0, v));
    return [c(Math.min(j[0], j[2] - 0.02)), c(Math.min(j[1], j[3] - 0.02)), c(Math.max(j[2], j[0] + 0.02)), c(Math.max(j[3], j[1] + 0.02))];
  };
  for (const b of persons) out.push({ box: jitter(b, rng.random() < 0.05 ? 3 : 0.7), score: rng.uniform(0.6, 1) });
  for (const b of distractors) if (rng.random() < 0.7) out.push({ box: jitter(b, 0.7), score: rng.uniform(0.2, 0.8) });
  if (rng.random() < 0.3) {
    const x = rng.uniform(0, SIZE - 8);
    const y = rng.uniform(0, SIZE - 10);
    out.push({ box: [x / SIZE, y / SIZE, (x + 8) / SIZE, (y + 10) / SIZE], score: rng.uniform(0.2, 0.8) });
  }
  return out;
}

export const SYNTH_AVA_SIZES = { train: 1000, val: 500, test: 500 } as const;

/** AVA keyframe identity of example `index`: 100 keyframes per "video". */
export function synthKey(split: Split, index: number): { videoId: string; timestamp: number } {
  return { videoId: `synth-${split}-${String(Math.floor(index / 100)).padStart(3, '0')}`, timestamp: 902 + (index % 100) };
}

export function createSynthAva(seed = 0): LocalisationDataset {
  let counts: Map<number, number> | null = null;
  const dataset: LocalisationDataset = {
    kind: 'localisation',
    name: 'synth-ava',
    description: 'Embedded AVA-like localisation benchmark: 8×32×32 clips, 17 long-tailed classes (4 poses, 10 movements, 3 interactions)',
    shape: { frames: FRAMES, height: SIZE, width: SIZE, channels: 1 },
    sizes: SYNTH_AVA_SIZES,
    classes: SYNTH_AVA_CLASSES,
    keyframe: KEYFRAME,
    example(split: Split, index: number): LocalisationExample {
      checkIndex('synth-ava', split, index, SYNTH_AVA_SIZES[split]);
      const rng = new Rng(seedFor(seed, 'synth-ava', split, index));
      const s = sampleSynthAvaScene(rng, split);
      return { clip: renderClip(s.scene, rng), ...synthKey(split, index), boxes: s.boxes, labels: s.labels, negatives: s.negatives, detections: s.detections };
    },
    trainCounts(): Map<number, number> {
      if (counts === null) {
        counts = new Map(SYNTH_AVA_CLASSES.map((c) => [c.id, 0]));
        for (let i = 0; i < SYNTH_AVA_SIZES.train; i++) {
          const s = sampleSynthAvaScene(new Rng(seedFor(seed, 'synth-ava', 'train', i)), 'train');
          for (const ls of s.labels) for (const l of ls) counts.set(l, counts.get(l)! + 1);
        }
      }
      return new Map(counts);
    },
  };
  return dataset;
}

export function checkIndex(name: string, split: Split, index: number, size: number | undefined): void {
  if (size === undefined || !Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${name}: no example ${index} in split '${split}' (size ${size ?? 0})`);
  }
}
