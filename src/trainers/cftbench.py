"""The Python side of cft-bench's trainer contract (cft-bench-trainer/2), as a module every
Python trainer imports instead of re-implementing the contract (docs/external-trainer.md).
Standard library and numpy; torch is optional (PlanBatchSampler).

cft-bench puts this file's folder on PYTHONPATH when it runs a trainer, so `import cftbench`
works as is.

    import cftbench
    run = cftbench.Run(sys.argv[1])            # the request, the plan (a plan folder, or a JSON plan), the data
    for phase in run.phases():                 # phase.name, .lr, .fresh_optimizers, .heads_only, .steps
        for step in phase:                     # step.lr, step.parts: [(dataset, ids)], in batch order
            loss = my_train_step(step)         # consumption is recorded as the step is handed out
            run.loss(loss)                     # one per step; progress lines for cft-bench
    run.predictions("val", rows)               # AVA rows (video, ts, x1, y1, x2, y2, action_id, score)
    for name, n in run.predict_upstream.items():   # upstream sets: predicted class of val ids 0..n-1
        run.upstream_predictions(name, my_classes(name, range(n)))
    run.finish(trainer={"name": "my-model", "version": "1", "device": "cuda"})   # report.json, atomically

Distributed (torchrun): every rank iterates the same plan (the digests stay the global
consumption order; only rank 0 writes the report); `PlanBatchSampler` / `rank_share` give each
rank its part of each planned batch.
"""
import hashlib
import json
import math
import os
import sys
import time

import numpy as np

CONTRACT = "cft-bench-trainer/2"


class Digest:
    """The contract's consumed-ids rule: sha256 of "<id>," for every id in consumption order."""

    def __init__(self):
        self.hash, self.examples = hashlib.sha256(), 0

    def add(self, ids):
        ids = [int(i) for i in ids]
        self.hash.update("".join(f"{i}," for i in ids).encode())
        self.examples += len(ids)

    def entry(self):
        return {"examples": self.examples, "idsSha256": self.hash.hexdigest()}


class Step:
    """One planned step: its LR and, per dataset, the example ids of its batch (in batch order)."""

    __slots__ = ("lr", "parts")

    def __init__(self, lr, parts):
        self.lr, self.parts = float(lr), parts


def _step_count(header):
    """A phase's number of steps: a plan folder gives the count, a JSON plan the steps."""
    return header["steps"] if isinstance(header["steps"], int) else len(header["steps"])


def _phase_datasets(header):
    """The datasets a phase draws from: a plan folder lists them (column order); a JSON plan's steps name them."""
    return list(header["datasets"]) if "datasets" in header else sorted({d for st in header["steps"] for d, _ in st["parts"]})


class Phase:
    """A phase of the plan. Iterating it hands out its steps and records what they consume.

    `resumed`: the run goes on from a checkpoint taken inside this phase (its optimizers come
    from the checkpoint: do not reset them); iterating skips the steps done before it."""

    def __init__(self, run, header, steps, index=0, skip=0):
        self.run, self.index, self.name, self.lr = run, index, header["name"], float(header["lr"])
        self.sampler, self.fresh_optimizers, self.heads_only = header["sampler"], bool(header["freshOptimizers"]), bool(header["headsOnly"])
        self.steps, self.datasets = _step_count(header), _phase_datasets(header)
        self._steps, self._skip = steps, skip
        self.resumed = skip > 0

    def __len__(self):
        return self.steps

    def __iter__(self):
        digests = self.run._consumed.setdefault(self.name, {})
        self.run._losses.setdefault(self.name, [])
        for i, step in enumerate(self._steps()):
            for dataset, ids in step.parts:
                digests.setdefault(dataset, Digest()).add(ids)
            if i < self._skip:
                continue  # consumed before the checkpoint: digested, not trained again
            self.run._at = (self, i)
            yield step


def _json_steps(phase):
    def steps():
        for s in phase["steps"]:
            yield Step(s["lr"], [(d, list(ids)) for d, ids in s["parts"]])
    return steps


def _dir_steps(folder, phase):
    """Steps of a plan folder (cft-bench-plan/2): per step, the next counts[s, j] ids of dataset j."""
    def steps():
        counts = np.load(os.path.join(folder, phase["files"]["counts"]), mmap_mode="r")
        lrs = np.load(os.path.join(folder, phase["files"]["lr"]), mmap_mode="r")
        ids = [np.load(os.path.join(folder, f), mmap_mode="r") for f in phase["files"]["ids"]]
        at = [0] * len(ids)
        for s in range(phase["steps"]):
            parts = []
            for j, d in enumerate(phase["datasets"]):
                n = int(counts[s, j])
                if n > 0:
                    parts.append((d, [int(x) for x in ids[j][at[j]:at[j] + n]]))
                    at[j] += n
            yield Step(lrs[s], parts)
    return steps


def load_plan(path):
    """A plan: its header (dict, without the steps) and its phases' step iterators."""
    if os.path.isdir(path):
        with open(os.path.join(path, "plan.json")) as f:
            header = json.load(f)
        return header, [_dir_steps(path, p) for p in header["phases"]]
    with open(path) as f:
        plan = json.load(f)
    return plan, [_json_steps(p) for p in plan["phases"]]


def rank_share(ids, rank, world):
    """This rank's part of one planned batch: every world-th id from `rank` (all ranks together: the batch)."""
    return list(ids)[rank::world]


def dist_info():
    """(rank, world size) from torchrun's environment; (0, 1) when not distributed."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


class Run:
    """A request of cft-bench: the plan to execute, the data, and the report to write."""

    def __init__(self, request_path):
        with open(request_path) as f:
            self.request = json.load(f)
        if self.request.get("format") != CONTRACT:
            sys.exit(f"{request_path}: format {self.request.get('format')!r}, expected {CONTRACT}")
        self.plan, self._phase_steps = load_plan(self.request["plan"])
        self.downstream, self.seed = self.request["downstream"], int(self.request["seed"])
        self.predict_upstream = dict(self.request.get("predictUpstream", {}))
        self.data, self.out = self.request["data"], self.request["out"]
        self.rank, self.world = dist_info()
        self._losses, self._consumed, self._predictions, self._upstream, self._at = {}, {}, {}, {}, None
        self._diverged, self._start, self._progress_at = None, (0, 0), 0.0

    def resume(self, state):
        """Go on from a checkpoint's `state()`: the steps before it are replayed into the digests, not handed out."""
        self._start = (int(state["phase"]), int(state["step"]))
        self._losses = {k: list(v) for k, v in state["losses"].items()}

    def position(self):
        """(phase index, steps of it trained): where the next step goes on."""
        if self._at is None:
            return self._start
        phase = self._at[0]
        return phase.index, len(self._losses.get(phase.name, []))

    def state(self):
        """Where the run is and its losses so far: save it with the model, give it to resume()."""
        phase, step = self.position()
        return {"phase": phase, "step": step, "losses": {k: list(v) for k, v in self._losses.items()}}

    def plan_sha256(self):
        """The plan's identity (of plan.json, which holds a plan folder's ledger): a checkpoint of another plan is not resumed."""
        path = self.request["plan"]
        with open(os.path.join(path, "plan.json") if os.path.isdir(path) else path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def datasets(self):
        """Every dataset the plan trains on, sorted."""
        return sorted({d for h in self.plan["phases"] for d in _phase_datasets(h)})

    def phases(self):
        """The plan's phases from the start, or from where resume() says (earlier steps are replayed into the digests)."""
        first = self._start
        for k, header in enumerate(self.plan["phases"]):
            steps = _step_count(header)
            skip = first[1] if k == first[0] else 0
            if k < first[0] or skip >= steps:
                for _ in Phase(self, header, self._phase_steps[k], k, skip=steps):
                    pass
                continue
            yield Phase(self, header, self._phase_steps[k], k, skip=skip)
            if self._diverged:
                return

    def loss(self, value):
        """The loss of the step just handed out; a non-finite one ends training (diverged)."""
        phase, i = self._at
        value = float(value)
        self._losses[phase.name].append(value)
        now = time.monotonic()
        if self.rank == 0 and (i == phase._skip or i + 1 == phase.steps or now - self._progress_at >= 1):  # progress for cft-bench: a phase's first and last step, else about once a second
            self._progress_at = now
            print("cft-bench-progress " + json.dumps({"phase": phase.name, "step": i + 1, "steps": phase.steps, "loss": value if math.isfinite(value) else None}), flush=True)
        if not math.isfinite(value):
            self._diverged = {"phase": phase.name, "step": i + 1}
        return self._diverged is None

    @property
    def diverged(self):
        return self._diverged is not None

    def predictions(self, split, rows):
        """Writes a split's predictions (rows: video, timestamp, x1, y1, x2, y2, action_id, score) as AVA CSV."""
        name = f"{split}_predictions.csv"
        if self.rank == 0:
            write_atomic(os.path.join(self.out, name), "".join(",".join(str(v) for v in r) + "\n" for r in rows))
        self._predictions[split] = name

    def upstream_predictions(self, dataset, labels):
        """Writes an upstream set's val predictions: the predicted class index of val ids 0..n-1 (cft-bench scores them)."""
        labels = [int(x) for x in labels]
        if len(labels) != self.predict_upstream[dataset]:
            raise ValueError(f"{dataset}: {len(labels)} predictions; the request asks for {self.predict_upstream[dataset]} (val ids 0..n-1)")
        name = f"{dataset}_val_predictions.csv"
        if self.rank == 0:
            write_atomic(os.path.join(self.out, name), "id,label\n" + "".join(f"{i},{y}\n" for i, y in enumerate(labels)))
        self._upstream[dataset] = name

    def finish(self, trainer, practice=None):
        """Writes report.json (rank 0 only), atomically."""
        if self.rank != 0:
            return
        report = {
            "format": CONTRACT,
            "trainer": trainer,
            "losses": self._losses,
            "consumed": {p: {d: g.entry() for d, g in ds.items()} for p, ds in self._consumed.items()},
            "predictions": self._predictions,
            "upstreamPredictions": self._upstream,
        }
        if practice is not None:
            report["practice"] = practice
        if self._diverged:
            report.update(status="diverged", diverged=self._diverged, predictions={}, upstreamPredictions={}, losses={k: [x if math.isfinite(x) else None for x in v] for k, v in self._losses.items()})
        write_atomic(os.path.join(self.out, "report.json"), json.dumps(report))


def write_atomic(path, text):
    """Writes `path` whole or not at all (a temporary beside it, then renamed)."""
    tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ---- data in the `cft-bench data export` layout --------------------------------------------

def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\r\n").split(",") for line in f if line.strip()]


def label_ids(folder):
    """The localisation set's action ids, in label-map order."""
    with open(os.path.join(folder, "labelmap.pbtxt")) as f:
        return [int(line.split(":")[1]) for line in f if line.strip().startswith("id:")]


def clips(folder, split):
    """A split's uint8 clips [N, T, H, W, C], memory-mapped (row i = example id i)."""
    return np.load(os.path.join(folder, f"{split}_clips.npy"), mmap_mode="r")


def labels(folder, split):
    """A classification split's class index per example id."""
    return np.array([int(f[0]) for f in read_csv(os.path.join(folder, f"{split}_labels.csv"))[1:]])


try:  # torch is optional: the sampler is there when it is
    import torch.utils.data

    class PlanBatchSampler(torch.utils.data.Sampler):
        """Batches of `dataset`'s ids for a torch DataLoader, as the plan's phase has them, each
        split across ranks (rank_share): with torchrun every rank loads its part of every batch.
        Steps without the dataset are skipped (a multi-dataset phase: one sampler per dataset)."""

        def __init__(self, phase, dataset, rank=None, world=None):
            r, w = dist_info()
            self.phase, self.dataset = phase, dataset
            self.rank, self.world = r if rank is None else rank, w if world is None else world

        def __iter__(self):  # the phase's steps as planned (iterating the phase itself records the consumption)
            for step in self.phase._steps():
                for d, ids in step.parts:
                    if d == self.dataset:
                        yield rank_share(ids, self.rank, self.world)
except ImportError:  # pragma: no cover
    pass
