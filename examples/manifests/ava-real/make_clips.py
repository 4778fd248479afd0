"""Made-up pixels for examples/manifests/ava-real-pixels.yaml, so that trainers which need
cft-bench to hold the clips (`--trainer torch`, the built-in trainer) can run on the real AVA GT
rows: uint8 [N, 8, 32, 32, 1] per split in the `data export` layout, row i = example id i.

  localisation (ava/<split>_clips.npy): keyframes of ../ava-real/<split>.csv sorted by video id,
      then timestamp (cft-bench's order); noise, with every GT person box drawn bright
  classification (clips/train_clips.npy): rows of clips_train.csv; noise, with a bar whose
      height says the class

Not AVA's video (that is not ours to ship): only the boxes are real, so what a model learns
from these pixels is where people are, not what they do.

    python3 examples/manifests/ava-real/make_clips.py [OUT]   # default: examples/manifests/ava-real/clips
"""
import csv
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "clips")
T, S = 8, 32
rng = np.random.default_rng(7)


def noise(n):
    return rng.integers(0, 60, size=(n, T, S, S, 1), dtype=np.uint8)


def save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, array)


for split in ("train", "val", "test"):
    boxes = {}
    with open(os.path.join(HERE, f"{split}.csv"), newline="") as f:
        for r in csv.reader(f):
            boxes.setdefault((r[0], int(r[1])), set()).add(tuple(float(v) for v in r[2:6]))
    keys = sorted(boxes)
    clips = noise(len(keys))
    for i, k in enumerate(keys):
        for x1, y1, x2, y2 in boxes[k]:
            clips[i, :, int(y1 * S):max(int(y1 * S) + 1, int(y2 * S)), int(x1 * S):max(int(x1 * S) + 1, int(x2 * S)), 0] = 200
    save(os.path.join(OUT, "ava", f"{split}_clips.npy"), clips)

with open(os.path.join(HERE, "clips_train.csv"), newline="") as f:
    rows = list(csv.reader(f))[1:]
names = [line.strip() for line in open(os.path.join(HERE, "classes.txt")) if line.strip()]
clips = noise(len(rows))
for i, (_, label) in enumerate(rows):
    k = names.index(label) if label in names else int(label)
    clips[i, :, 4 + 5 * k:7 + 5 * k, 4:28, 0] = 220
save(os.path.join(OUT, "clips", "train_clips.npy"), clips)
print(f"wrote {OUT}/ava/{{train,val,test}}_clips.npy and {OUT}/clips/train_clips.npy")
