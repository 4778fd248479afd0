#!/usr/bin/env python3
"""cft-bench's reference PyTorch trainer (`--trainer torch`), under the external-trainer
contract cft-bench-trainer/2 (docs/external-trainer.md).

It mirrors the built-in tfjs model and training step (src/trainers/model.ts, trainer.ts,
batches.ts) so the two trainers' numbers can be compared:

  clip [B, T*C, 32, 32] (frames stacked as channels, (u8/255 - 0.2) * 3)
  trunk conv3x3/2 (T->16) -> conv3x3/2 (16->32) -> conv3x3/1 (32->32) -> conv1x1 neck (32->64), ReLU,
        He-normal weights, zero biases -> per-cell LayerNorm over the 64 channels, no affine
  localisation head: per box 3x3 bilinear samples of the 8x8 map (box enlarged x1.5) + the clip's
        mean feature -> [boxes, 640] -> linear (zero weights, bias -2) -> per-class sigmoid
  classification heads: mean-pooled features -> linear (zero weights and bias) -> softmax
  losses: BCE summed over classes and averaged over real boxes (GT persons, jittered +-0.5 px,
        plus distractor boxes as all-negative ROIs); softmax cross-entropy; a mixed step weights
        each part by its share of the batch
  one Adam per parameter group (trunk, localisation head, each upstream head; tfjs defaults:
        betas 0.9/0.999, eps 1e-7); a head steps only on its own dataset's batches; the trunk
        not at all in a heads-only phase (LP-FT's probe); fresh optimizers where the plan says
  the schedule (examples and LR of every step) is the plan's, executed as given
  predictions: person-detector score x action probability, for every detected box and class

Not bit-identical to tfjs (different RNG streams for init and jitter, different kernels):
similar numbers, not the same ones.

    cft-bench train --trainer torch                 # CUDA if available, else CPU
    cft-bench train --trainer "torch --device cpu"
"""
import argparse
import os
import shutil
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS (must precede CUDA init)

import numpy as np
import torch
import torch.nn.functional as F

# the contract's module (src/trainers/cftbench.py, on PYTHONPATH when cft-bench runs a trainer; beside this file)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cftbench  # noqa: E402
from cftbench import label_ids, labels, read_csv  # noqa: E402
FEATURE_SIZE, NECK, CONTEXT_SCALE, LOC_BIAS_INIT, FEATURE_NORM_EPS = 8, 64, 1.5, -2.0, 1e-5
INPUT_MEAN, INPUT_SCALE = 0.2, 3.0
JITTER_SEED_XOR = 0x5BD1E995


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("request", help="request.json written by cft-bench")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when available, else CPU")
    p.add_argument("--predict-batch", type=int, default=64)
    p.add_argument("--checkpoint-seconds", type=float, default=300, help="save a resumable checkpoint into the request's checkpoint directory this often (0: every step)")
    return p.parse_args()


def pick_device(asked):
    """The device, and the one-line note saying which and why."""
    if asked != "cpu" and torch.cuda.is_available():
        return torch.device("cuda"), f"torch trainer: device cuda ({torch.cuda.get_device_name(0)})"
    threads = torch.get_num_threads()
    if asked == "cuda":
        return torch.device("cpu"), f"torch trainer: --device cuda asked but CUDA is not available to this PyTorch ({torch.__version__}); running on cpu, {threads} thread(s)"
    why = "CUDA not available" if asked == "auto" else "--device cpu"
    return torch.device("cpu"), f"torch trainer: device cpu, {threads} thread(s) ({why})"


# ---- data: the `cft-bench data export` layout ---------------------------------------------

def key_of(fields):
    return fields[0], int(fields[1])


class Clips:
    """A split's uint8 clips [N, T, H, W, C] (memory-mapped) -> float batches [B, T*C, H, W]."""

    def __init__(self, path):
        self.array = np.load(path, mmap_mode="r")
        n, t, h, w, c = self.array.shape
        self.channels, self.size = t * c, h

    def batch(self, ids):
        x = np.asarray(self.array[np.asarray(ids, dtype=np.int64)], dtype=np.float32)  # [B, T, H, W, C]
        x = (x / 255.0 - INPUT_MEAN) * INPUT_SCALE
        b, t, h, w, c = x.shape
        return np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3).reshape(b, t * c, h, w))  # channel = t*C + c, as tfjs


class LocalisationSplit:
    """Per clip row: GT person boxes with their label sets, distractor boxes, detector boxes."""

    def __init__(self, d, split, class_index):
        self.clips = Clips(os.path.join(d, f"{split}_clips.npy"))
        self.keys = [key_of(f) for f in read_csv(os.path.join(d, f"{split}_keyframes.csv"))]
        row = {k: i for i, k in enumerate(self.keys)}
        n = len(self.keys)
        self.boxes = [[] for _ in range(n)]
        self.labels = [[] for _ in range(n)]
        persons = [{} for _ in range(n)]
        for f in read_csv(os.path.join(d, f"{split}_gt.csv")):
            i = row[key_of(f)]
            box = tuple(float(v) for v in f[2:6])
            person = (f[7], box)
            if person not in persons[i]:
                persons[i][person] = len(self.boxes[i])
                self.boxes[i].append(box)
                self.labels[i].append([])
            self.labels[i][persons[i][person]].append(class_index[int(f[6])])
        self.negatives = [[] for _ in range(n)]
        for f in read_csv(os.path.join(d, f"{split}_negatives.csv")):
            self.negatives[row[key_of(f)]].append(tuple(float(v) for v in f[2:6]))
        self.detections = [[] for _ in range(n)]  # (the CSV fields as written, box, score)
        for f in read_csv(os.path.join(d, f"{split}_detections.csv")):
            self.detections[row[key_of(f)]].append((f[:6], tuple(float(v) for v in f[2:6]), float(f[7])))


def roi_matrix(boxes_per_clip, max_boxes):
    """Dense ROI sampling matrix [B, max_boxes*9, 64 cells]: for each box the 3x3 bin centres of
    the box enlarged x1.5 (clamped to the map), bilinear over the 8x8 cells — the taps of
    model.ts roiTaps, as a matrix so one bmm pools every box (sparse loops are slower in torch)."""
    b = len(boxes_per_clip)
    m = np.zeros((b, max_boxes * 9, FEATURE_SIZE * FEATURE_SIZE), dtype=np.float32)
    clip_of, slot_of, rows = [], [], []
    for i, boxes in enumerate(boxes_per_clip):
        for r, box in enumerate(boxes):
            clip_of.append(i)
            slot_of.append(r)
            rows.append(box)
    if not rows:
        return m
    x1, y1, x2, y2 = np.asarray(rows, dtype=np.float64).T
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    w, h = (x2 - x1) * CONTEXT_SCALE, (y2 - y1) * CONTEXT_SCALE
    g = np.array([-1.0, 0.0, 1.0])
    s = FEATURE_SIZE
    fx = np.clip((cx[:, None] + g[None, :] * w[:, None] / 3) * s - 0.5, 0, s - 1)  # [n, gx]
    fy = np.clip((cy[:, None] + g[None, :] * h[:, None] / 3) * s - 0.5, 0, s - 1)  # [n, gy]
    fx = np.broadcast_to(fx[:, None, :], (len(rows), 3, 3)).reshape(len(rows), 9)  # sample = gy*3 + gx
    fy = np.broadcast_to(fy[:, :, None], (len(rows), 3, 3)).reshape(len(rows), 9)
    x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    x1c, y1c = np.minimum(s - 1, x0 + 1), np.minimum(s - 1, y0 + 1)
    ax, ay = fx - x0, fy - y0
    clip_idx = np.repeat(np.asarray(clip_of), 9).reshape(-1, 9)
    row_idx = np.asarray(slot_of)[:, None] * 9 + np.arange(9)[None, :]
    for cell, weight in ((y0 * s + x0, (1 - ax) * (1 - ay)), (y0 * s + x1c, ax * (1 - ay)), (y1c * s + x0, (1 - ax) * ay), (y1c * s + x1c, ax * ay)):
        np.add.at(m, (clip_idx, row_idx, cell), weight.astype(np.float32))
    return m


# ---- model --------------------------------------------------------------------------------

class Model(torch.nn.Module):
    def __init__(self, channels, loc_classes, upstream, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)

        def he(co, ci, k):
            return torch.nn.Parameter(torch.empty(co, ci, k, k).normal_(0, (2.0 / (ci * k * k)) ** 0.5, generator=g))

        def zeros(*shape, fill=0.0):
            return torch.nn.Parameter(torch.full(shape, fill))

        self.trunk = torch.nn.ParameterDict({
            "c1w": he(16, channels, 3), "c1b": zeros(16),
            "c2w": he(32, 16, 3), "c2b": zeros(32),
            "c3w": he(32, 32, 3), "c3b": zeros(32),
            "nw": he(NECK, 32, 1), "nb": zeros(NECK),
        })
        # new heads start at zero weights (HEAD_INIT in model.ts): the output is the bias whatever the trunk
        self.loc = torch.nn.ParameterDict({"w": zeros(10 * NECK, loc_classes), "b": zeros(loc_classes, fill=LOC_BIAS_INIT)})
        self.up = torch.nn.ModuleDict({name: torch.nn.ParameterDict({"w": zeros(NECK, k), "b": zeros(k)}) for name, k in upstream.items()})

    def features(self, x):
        """Clips [B, T*C, S, S] -> per-cell normalised features [B, 64 cells, 64]."""
        t = self.trunk
        h = F.relu(F.conv2d(x, t["c1w"], t["c1b"], stride=2, padding=1))
        h = F.relu(F.conv2d(h, t["c2w"], t["c2b"], stride=2, padding=1))
        h = F.relu(F.conv2d(h, t["c3w"], t["c3b"], stride=1, padding=1))
        h = F.relu(F.conv2d(h, t["nw"], t["nb"]))
        cells = h.flatten(2).transpose(1, 2)  # cell index y*8 + x, as the NHWC reshape in tfjs
        return F.layer_norm(cells, (NECK,), eps=FEATURE_NORM_EPS)

    def localise(self, feats, roi):
        """Localisation logits [B*R, classes] for ROI matrix [B, R*9, 64]."""
        b = feats.shape[0]
        samples = torch.bmm(roi, feats).reshape(b, -1, 9, NECK)
        context = feats.mean(1)[:, None, None, :].expand(b, samples.shape[1], 1, NECK)
        pooled = torch.cat([samples, context], 2).reshape(-1, 10 * NECK)
        return pooled @ self.loc["w"] + self.loc["b"]

    def classify(self, name, feats):
        head = self.up[name]
        return feats.mean(1) @ head["w"] + head["b"]

    def groups(self):
        out = {"trunk": list(self.trunk.values()), "loc": list(self.loc.values())}
        for name, head in self.up.items():
            out[f"up:{name}"] = list(head.values())
        return out


# ---- training -----------------------------------------------------------------------------

class Trainer:
    """The model, its optimizers and the training data of a request: executes plan steps."""

    def __init__(self, run, device):
        self.device = device
        self.down = run.downstream
        ddir = self.ddir = run.data[self.down]
        self.label_ids = label_ids(ddir)
        self.class_index = {cid: i for i, cid in enumerate(self.label_ids)}
        self.upstream = [d for d in run.datasets() if d != self.down]
        classes = {u: len(read_csv(os.path.join(run.data[u], "classes.csv"))) - 1 for u in self.upstream}
        self.train_loc = LocalisationSplit(ddir, "train", self.class_index)
        self.train_up = {u: Clips(os.path.join(run.data[u], "train_clips.npy")) for u in self.upstream}
        self.train_up_labels = {u: labels(run.data[u], "train") for u in self.upstream}
        self.model = Model(self.train_loc.clips.channels, len(self.label_ids), classes, run.seed).to(device)
        self.groups = self.model.groups()
        self.jitter = np.random.default_rng(run.seed ^ JITTER_SEED_XOR)
        self.px = 0.5 / self.train_loc.clips.size
        self.optimizers = {}

    def reset_optimizers(self):
        self.optimizers.clear()

    def state(self):
        """Everything the next step depends on: weights, optimizer moments, the jitter RNG."""
        return {"model": self.model.state_dict(), "optimizers": {g: o.state_dict() for g, o in self.optimizers.items()}, "jitter": self.jitter.bit_generator.state}

    def load_state(self, state):
        self.model.load_state_dict(state["model"])
        self.optimizers.clear()
        for g, s in state["optimizers"].items():
            self.optimizer(g).load_state_dict(s)
        self.jitter.bit_generator.state = state["jitter"]

    def optimizer(self, group):
        if group not in self.optimizers:
            self.optimizers[group] = torch.optim.Adam(self.groups[group], lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        return self.optimizers[group]

    def tensor(self, array):
        return torch.from_numpy(array).to(self.device)

    def part_loss(self, dataset, ids, weight, heads_only):
        """One dataset's share of a step: (loss term, the head it trains)."""
        local = dataset == self.down
        with torch.set_grad_enabled(not heads_only):
            feats = self.model.features(self.tensor((self.train_loc.clips if local else self.train_up[dataset]).batch(ids)))
        if not local:
            y = self.tensor(self.train_up_labels[dataset][np.asarray(ids)])
            return F.cross_entropy(self.model.classify(dataset, feats), y) * weight, f"up:{dataset}"
        # GT person boxes jittered +-0.5 px, then the clip's distractor boxes (all-negative ROIs)
        per_clip = [[tuple(v + self.jitter.uniform(-self.px, self.px) for v in b) for b in self.train_loc.boxes[i]] + self.train_loc.negatives[i] for i in ids]
        max_boxes = max(1, max(len(b) for b in per_clip))
        targets = np.zeros((len(ids) * max_boxes, len(self.label_ids)), dtype=np.float32)
        mask = np.zeros((len(ids) * max_boxes, 1), dtype=np.float32)
        for j, i in enumerate(ids):
            mask[j * max_boxes: j * max_boxes + len(per_clip[j])] = 1
            for r, labels in enumerate(self.train_loc.labels[i]):
                targets[j * max_boxes + r, labels] = 1
        logits = self.model.localise(feats, self.tensor(roi_matrix(per_clip, max_boxes)))
        # BCE summed over classes, averaged over real boxes (padding rows masked out)
        bce = F.binary_cross_entropy_with_logits(logits, self.tensor(targets), reduction="none")
        return (bce * self.tensor(mask)).sum() / max(1.0, float(mask.sum())) * weight, "loc"

    def step(self, step, heads_only=False):
        """One planned step (cftbench.Step: lr, parts [(dataset, ids)]): the trunk (unless heads_only) and the heads involved."""
        total = sum(len(ids) for _, ids in step.parts)
        loss, heads = 0.0, []
        for dataset, ids in step.parts:
            term, head = self.part_loss(dataset, ids, len(ids) / total, heads_only)
            loss = loss + term
            heads.append(head)
        for params in self.groups.values():
            for p in params:
                p.grad = None
        loss.backward()
        for g in ([] if heads_only else ["trunk"]) + list(dict.fromkeys(heads)):
            opt = self.optimizer(g)
            for pg in opt.param_groups:
                pg["lr"] = step.lr
            opt.step()
        return float(loss.item())

    @torch.no_grad()
    def predictions(self, split, batch):
        """AVA rows (the detection's fields as written, action id, score) for every detected box x class of a split."""
        data = LocalisationSplit(self.ddir, split, self.class_index)
        rows = []
        for s in range(0, len(data.keys), batch):
            ids = list(range(s, min(s + batch, len(data.keys))))
            boxes = [[det[1] for det in data.detections[i]] for i in ids]
            max_boxes = max(1, max(len(b) for b in boxes))
            feats = self.model.features(self.tensor(data.clips.batch(ids)))
            probs = torch.sigmoid(self.model.localise(feats, self.tensor(roi_matrix(boxes, max_boxes)))).cpu().numpy()
            for j, i in enumerate(ids):
                for r, (fields, _, score) in enumerate(data.detections[i]):
                    row = probs[j * max_boxes + r]
                    # detection score = person-detector confidence x action probability
                    rows.extend((*fields, cid, score * float(row[c])) for c, cid in enumerate(self.label_ids))
        return rows

    @torch.no_grad()
    def classify(self, name, udir, n):
        """The predicted class of val ids 0..n-1 of an upstream set (cft-bench scores them)."""
        clips = Clips(os.path.join(udir, "val_clips.npy"))
        out = []
        for s in range(0, n, 128):
            ids = list(range(s, min(s + 128, n)))
            out.extend(self.model.classify(name, self.model.features(self.tensor(clips.batch(ids)))).argmax(1).cpu().tolist())
        return out


# What this trainer does, declared in its report: cft-bench's reports show this, not their own practice.
PRACTICE = {
    "headInit": "new heads: zero weights; bias -2 (localisation), 0 (upstream)",
    "featureNorm": "per-cell LayerNorm (no affine) before every head",
    "optimizer": "Adam (eps 1e-7, no weight decay), one per parameter group; a head steps only on its own batches",
    "schedule": "the plan's per-step LR (5% warm-up, cosine)",
    "phases": "optimizer state reset where the plan says freshOptimizers; trunk frozen where it says headsOnly",
}


def main():
    args = parse_args()
    run = cftbench.Run(args.request)
    threads = os.environ.get("CFT_BENCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    torch.use_deterministic_algorithms(True, warn_only=True)
    device, note = pick_device(args.device)
    print(note, file=sys.stderr, flush=True)
    trainer = Trainer(run, device)
    req = run.request

    # shared pretraining (contract: init/initPhases, saveModel/saveModelAfterPhases): a transfer run starts
    # from the weights another run of the same trainer saved after the same leading phases
    if req.get("init"):
        saved = torch.load(os.path.join(req["init"], "torch_trainer.pt"), map_location=device, weights_only=False)
        if saved["phase"] != req["initPhases"]:
            sys.exit(f"torch trainer: {req['init']} holds {saved['phase']} phases, the request says {req['initPhases']}")
        trainer.load_state(saved["trainer"])
        run.resume({"phase": saved["phase"], "step": 0, "losses": saved["losses"]})
        print(f"torch trainer: started from the shared pretraining {req['init']} ({saved['phase']} phase(s))", file=sys.stderr, flush=True)
    # resume: a run killed after hours goes on from its last checkpoint (contract: request "checkpoint",
    # a directory that stays the same across retries of the run), with the same numbers as if never stopped
    ckpt_dir = req.get("checkpoint")
    ckpt_path = os.path.join(ckpt_dir, "torch_trainer.pt") if ckpt_dir else None
    # the shared pretraining is also kept in the checkpoint directory: a run resumed past it can still hand it over
    shared_path = os.path.join(ckpt_dir, "shared_pretraining.pt") if ckpt_dir else None
    if ckpt_path and os.path.exists(ckpt_path):
        saved = torch.load(ckpt_path, map_location=device, weights_only=False)
        if saved.get("plan_sha256") == run.plan_sha256():
            trainer.load_state(saved["trainer"])
            run.resume(saved["run"])
            print(f"torch trainer: resumed from {ckpt_path} at phase {run.plan['phases'][saved['run']['phase']]['name']} step {saved['run']['step']}", file=sys.stderr, flush=True)
        else:
            print(f"torch trainer: {ckpt_path} is of another plan; starting over", file=sys.stderr, flush=True)

    def save():
        """A checkpoint from which the next step goes on (atomic: a kill mid-save leaves the old one)."""
        os.makedirs(ckpt_dir, exist_ok=True)
        torch.save({"plan_sha256": run.plan_sha256(), "run": run.state(), "trainer": trainer.state()}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    def save_shared(phase):
        """The shared pretraining, for the runs that start from it (the next phase resets optimizers)."""
        os.makedirs(req["saveModel"], exist_ok=True)
        state = {"phase": phase.index, "step": 0, "losses": run.state()["losses"], "trainer": trainer.state()}
        torch.save(state, os.path.join(req["saveModel"], "torch_trainer.pt"))
        if shared_path:
            os.makedirs(ckpt_dir, exist_ok=True)
            torch.save(state, shared_path + ".tmp")
            os.replace(shared_path + ".tmp", shared_path)

    step_seconds, last_save, shared_done = [], time.perf_counter(), False
    for phase in run.phases():
        if req.get("saveModel") and not shared_done and phase.index >= req["saveModelAfterPhases"]:
            if phase.index == req["saveModelAfterPhases"] and not phase.resumed:
                save_shared(phase)
            elif shared_path and os.path.exists(shared_path):  # resumed past it: the copy kept then
                os.makedirs(req["saveModel"], exist_ok=True)
                shutil.copyfile(shared_path, os.path.join(req["saveModel"], "torch_trainer.pt"))
            shared_done = True  # resumed past it without a copy: nothing is handed over (the other runs train their own)
        if phase.fresh_optimizers and not phase.resumed:
            trainer.reset_optimizers()
        for step in phase:
            ts = time.perf_counter()
            ok = run.loss(trainer.step(step, phase.heads_only))
            step_seconds.append(time.perf_counter() - ts)
            if not ok:  # diverged: nothing after this step is worth a prediction
                break
            done = run.position()[1] == phase.steps
            if ckpt_path and (time.perf_counter() - last_save >= args.checkpoint_seconds or done):
                save()
                last_save = time.perf_counter()

    threads = torch.get_num_threads()
    dev = f"cuda ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    if not run.diverged:
        trainer.model.eval()
        for split in req["predict"]:
            run.predictions(split, trainer.predictions(split, args.predict_batch))
        for name, n in run.predict_upstream.items():
            run.upstream_predictions(name, trainer.classify(name, run.data[name], n))
    run.finish(trainer={"name": "torch", "version": torch.__version__, "device": dev}, practice=PRACTICE)


if __name__ == "__main__":
    main()
