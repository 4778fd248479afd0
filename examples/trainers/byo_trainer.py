"""Bring your own model: a PyTorch trainer under cft-bench's contract in under 60 lines, on the
contract's module (`import cftbench`, src/trainers/cftbench.py). cft-bench plans every step,
checks what this consumed against its ledger and scores its predictions itself.

    npx cft-bench train --trainer "python3 examples/trainers/byo_trainer.py"
    npx cft-bench compare --trainer "python3 examples/trainers/byo_trainer.py"
"""
import sys

import numpy as np
import torch

import cftbench

run = cftbench.Run(sys.argv[1])
torch.manual_seed(run.seed)
down = run.data[run.downstream]
actions = cftbench.label_ids(down)


def features(x):  # your model's input pipeline: uint8 clips [B, T, H, W, C] -> [B, T * 4] (frame quadrant means)
    x = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255).mean(-1)
    b, t, h, w = x.shape
    return x.reshape(b, t, 2, h // 2, 2, w // 2).mean((3, 5)).reshape(b, -1)


keys = {(f[0], int(f[1])): i for i, f in enumerate(cftbench.read_csv(f"{down}/train_keyframes.csv"))}
targets = {run.downstream: np.zeros((len(keys), len(actions)), np.float32)}  # a keyframe's actions, multi-hot
for f in cftbench.read_csv(f"{down}/train_gt.csv"):
    targets[run.downstream][keys[(f[0], int(f[1]))], actions.index(int(f[6]))] = 1
clips = {d: cftbench.clips(run.data[d], "train") for d in run.data}
for d in run.data:
    if d != run.downstream:
        targets[d] = cftbench.labels(run.data[d], "train")
width = features(clips[run.downstream][:1]).shape[1]
trunk = torch.nn.Sequential(torch.nn.Linear(width, 64), torch.nn.ReLU())
heads = torch.nn.ModuleDict({d: torch.nn.Linear(64, len(actions) if d == run.downstream else int(targets[d].max()) + 1) for d in run.data})
for phase in run.phases():
    params = list(heads.parameters()) + ([] if phase.heads_only else list(trunk.parameters()))
    optimizer = torch.optim.Adam(params) if phase.fresh_optimizers or phase.heads_only else optimizer
    for step in phase:
        loss = 0
        for d, ids in step.parts:
            out = heads[d](trunk(features(clips[d][ids])))
            y = torch.from_numpy(targets[d][ids])
            loss = loss + (torch.nn.functional.binary_cross_entropy_with_logits(out, y) if d == run.downstream else torch.nn.functional.cross_entropy(out, y)) * len(ids)
        for g in optimizer.param_groups:
            g["lr"] = step.lr
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if not run.loss(loss.item() / sum(len(ids) for _, ids in step.parts)):
            break
with torch.no_grad():
    for split in run.request["predict"]:
        split_keys = {(f[0], int(f[1])): i for i, f in enumerate(cftbench.read_csv(f"{down}/{split}_keyframes.csv"))}
        probs = torch.sigmoid(heads[run.downstream](trunk(features(cftbench.clips(down, split)[:])))).numpy()
        # one row per detected person box and action: detector score x action probability
        run.predictions(split, [(*f[:6], a, float(f[7]) * probs[split_keys[(f[0], int(f[1]))], c]) for f in cftbench.read_csv(f"{down}/{split}_detections.csv") for c, a in enumerate(actions)])
    for d, n in run.predict_upstream.items():  # upstream sets: the predicted class of val ids 0..n-1
        run.upstream_predictions(d, heads[d](trunk(features(cftbench.clips(run.data[d], "val")[:n]))).argmax(1).tolist())
run.finish(trainer={"name": "byo-example", "version": "1", "device": "cpu"}, practice={"model": "frame-quadrant means -> MLP trunk -> one linear head per dataset", "optimizer": "Adam, fresh per phase"})
