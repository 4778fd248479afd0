"""Makes the files of examples/manifests/ava-real.yaml (run from this folder; deterministic).

AVA rows: the real AVA v2.2 validation GT slice of examples/ava-slice/gt.csv (from
../shared/data/ava; AVA is licensed CC BY 4.0 by Google), its keyframes split by time into
train (1j20qq1JyX4 before 1400 s), val (1j20qq1JyX4 from 1400 s) and test (2PpxiG0WU18).
Made up here: person-detector proposals for val and test (each GT person box jittered, score
0.6-1.0, plus one false box per keyframe, score 0.05-0.5), and a small classification list
(320 clips of 5 made-up classes) standing in for an upstream set.
"""
import random

rng = random.Random(7)
rows = [l.rstrip("\n").split(",") for l in open("../../ava-slice/gt.csv") if l.strip()]


def split_of(r):
    if r[0] != "1j20qq1JyX4":
        return "test"
    return "train" if int(r[1]) < 1400 else "val"


for split in ("train", "val", "test"):
    part = [r for r in rows if split_of(r) == split]
    with open(f"{split}.csv", "w") as f:
        f.writelines(",".join(r) + "\n" for r in part)
    if split == "train":
        continue
    boxes = {}
    for r in part:
        boxes.setdefault((r[0], r[1]), set()).add(tuple(r[2:6]))
    with open(f"{split}_proposals.csv", "w") as f:
        for (video, ts), bs in sorted(boxes.items()):
            for b in sorted(bs):
                x1, y1, x2, y2 = (min(1.0, max(0.0, float(v) + rng.uniform(-0.02, 0.02))) for v in b)
                f.write(f"{video},{ts},{min(x1, x2):.3f},{min(y1, y2):.3f},{max(x1, x2):.3f},{max(y1, y2):.3f},,{rng.uniform(0.6, 1.0):.3f}\n")
            x1, y1 = rng.uniform(0, 0.6), rng.uniform(0, 0.6)
            f.write(f"{video},{ts},{x1:.3f},{y1:.3f},{x1 + 0.3:.3f},{y1 + 0.35:.3f},,{rng.uniform(0.05, 0.5):.3f}\n")

classes = ["walking", "cooking", "dancing", "reading", "swimming"]
with open("classes.txt", "w") as f:
    f.writelines(c + "\n" for c in classes)
with open("clips_train.csv", "w") as f:
    f.write("clip,label\n")
    f.writelines(f"clip{i:04d},{classes[rng.randrange(5)]}\n" for i in range(320))
