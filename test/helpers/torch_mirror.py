"""Test helper: the shipped PyTorch trainer's model and step, run from a cft-bench (tfjs) model's
weights on given batches, so test/torch-trainer.test.ts can check the mirror number by number.

    python3 torch_mirror.py TORCH_TRAINER_PY IN_DIR OUT_JSON

IN_DIR: model/ (cft-bench-model/1, the starting weights), input.json {upstream, classes, frames,
steps: [{lr, labels}], boxes: [[x1,y1,x2,y2]...] per predicted clip}, up_clips.npy (the steps'
clips, in order), pred_clips.npy. Writes: per-step losses, the final weights in tfjs layout, and
the localisation probabilities of the boxes before and after the steps.
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

spec = importlib.util.spec_from_file_location("torch_trainer", sys.argv[1])
tt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tt)
src, out_path = sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
inp = json.load(open(os.path.join(src, "input.json")))
manifest = json.load(open(os.path.join(src, "model", "model.json")))
flat = np.fromfile(os.path.join(src, "model", "weights.bin"), dtype="<f4")
saved = {}
for e in manifest["weights"]["entries"]:
    n = int(np.prod(e["shape"]))
    saved[f"{e['group']}/{e['name']}"] = (flat[e["offset"]: e["offset"] + n].reshape(e["shape"]), e["shape"])

up = inp["upstream"]
model = tt.Model(inp["frames"], inp["locClasses"], {up: inp["classes"]}, 0)
params = {"trunk": model.trunk, "loc": model.loc, f"up:{up}": model.up[up]}


def to_torch(a):  # tfjs conv weights [k, k, ci, co] -> torch [co, ci, k, k]
    return a.transpose(3, 2, 0, 1) if a.ndim == 4 else a


with torch.no_grad():
    for key, (a, _) in saved.items():
        group, name = key.split("/")
        params[group][name].copy_(torch.from_numpy(np.ascontiguousarray(to_torch(a))))

def localisation_probs():
    with torch.no_grad():
        pred = tt.Clips(os.path.join(src, "pred_clips.npy"))
        boxes = inp["boxes"]
        max_boxes = max(1, max(len(b) for b in boxes))
        feats = model.features(torch.from_numpy(pred.batch(list(range(len(boxes))))))
        probs = torch.sigmoid(model.localise(feats, torch.from_numpy(tt.roi_matrix(boxes, max_boxes)))).numpy()
        return [probs[i * max_boxes + r].tolist() for i, b in enumerate(boxes) for r in range(len(b))]


probs_before = localisation_probs()
clips = tt.Clips(os.path.join(src, "up_clips.npy"))
opts = {g: torch.optim.Adam(list(params[g].values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-7) for g in ("trunk", f"up:{up}")}
losses, at = [], 0
for step in inp["steps"]:
    ids = list(range(at, at + len(step["labels"])))
    at += len(ids)
    for g in opts:
        for p in opts[g].param_groups:
            p["lr"] = step["lr"]
        opts[g].zero_grad()
    logits = model.classify(up, model.features(torch.from_numpy(clips.batch(ids))))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(step["labels"]))
    loss.backward()
    for g in opts:
        opts[g].step()
    losses.append(loss.item())

probs_after = localisation_probs()
weights = {}
for key, (_, shape) in saved.items():
    group, name = key.split("/")
    w = params[group][name].detach().numpy()
    weights[key] = (w.transpose(2, 3, 1, 0) if w.ndim == 4 else w).reshape(-1).tolist()
json.dump({"losses": losses, "weights": weights, "probsBefore": probs_before, "probsAfter": probs_after}, open(out_path, "w"))
