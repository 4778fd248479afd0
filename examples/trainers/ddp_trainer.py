"""Bring your own model, on several GPUs or nodes: byo_trainer.py's model under torchrun. Every
rank walks the same plan (so cftbench digests the global consumption order, which cft-bench checks
against its ledger) and trains on its share of each planned batch (cftbench.rank_share); the
gradients are summed across ranks, so each step is the planned batch. Rank 0 writes the files.

    npx cft-bench compare --manifest bench.yaml --trainer "torchrun --nproc_per_node 4 examples/trainers/ddp_trainer.py"
    npx cft-bench train --trainer "torchrun --nproc_per_node 2 examples/trainers/ddp_trainer.py"   # CPU: gloo
"""
import os
import sys

import numpy as np
import torch
import torch.distributed as dist

import cftbench

run = cftbench.Run(sys.argv[1])
cuda = torch.cuda.is_available()
dist.init_process_group("nccl" if cuda else "gloo")
device = torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if cuda else "cpu")
torch.manual_seed(run.seed)  # every rank starts from the same weights
down = run.data[run.downstream]
actions = cftbench.label_ids(down)


def features(x):  # your model's input pipeline: uint8 clips [B, T, H, W, C] -> [B, T * 4] (frame quadrant means)
    x = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255).to(device).mean(-1)
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
trunk = torch.nn.Sequential(torch.nn.Linear(width, 64), torch.nn.ReLU()).to(device)
heads = torch.nn.ModuleDict({d: torch.nn.Linear(64, len(actions) if d == run.downstream else int(targets[d].max()) + 1) for d in run.data}).to(device)
for phase in run.phases():
    params = list(heads.parameters()) + ([] if phase.heads_only else list(trunk.parameters()))
    optimizer = torch.optim.Adam(params) if phase.fresh_optimizers or phase.heads_only else optimizer
    for step in phase:
        total = sum(len(ids) for _, ids in step.parts)  # the planned batch, over all ranks
        loss = torch.zeros((), device=device)
        for d, ids in step.parts:
            mine = cftbench.rank_share(ids, run.rank, run.world)
            if not mine:
                continue
            out = heads[d](trunk(features(clips[d][mine])))
            y = torch.from_numpy(targets[d][mine]).to(device)
            loss = loss + (torch.nn.functional.binary_cross_entropy_with_logits(out, y) if d == run.downstream else torch.nn.functional.cross_entropy(out, y)) * len(mine) / total
        optimizer.zero_grad()
        if loss.requires_grad:
            loss.backward()
        for p in params:  # the planned batch's gradient: the sum of the ranks' shares
            p.grad = torch.zeros_like(p) if p.grad is None else p.grad
            dist.all_reduce(p.grad)
        loss = loss.detach()
        dist.all_reduce(loss)  # the planned batch's loss
        for g in optimizer.param_groups:
            g["lr"] = step.lr
        optimizer.step()
        if not run.loss(loss.item()):
            break
if run.rank == 0 and not run.diverged:
    with torch.no_grad():
        for split in run.request["predict"]:
            split_keys = {(f[0], int(f[1])): i for i, f in enumerate(cftbench.read_csv(f"{down}/{split}_keyframes.csv"))}
            probs = torch.sigmoid(heads[run.downstream](trunk(features(cftbench.clips(down, split)[:])))).cpu().numpy()
            run.predictions(split, [(*f[:6], a, float(f[7]) * probs[split_keys[(f[0], int(f[1]))], c]) for f in cftbench.read_csv(f"{down}/{split}_detections.csv") for c, a in enumerate(actions)])
        for d, n in run.predict_upstream.items():
            run.upstream_predictions(d, heads[d](trunk(features(cftbench.clips(run.data[d], "val")[:n]))).argmax(1).tolist())
run.finish(trainer={"name": "ddp-example", "version": "1", "device": f"{run.world} x {device.type}"}, practice={"model": "frame-quadrant means -> MLP trunk -> one linear head per dataset", "optimizer": "Adam, fresh per phase", "distributed": "each rank its share of every planned batch; gradients summed across ranks"})
dist.destroy_process_group()
