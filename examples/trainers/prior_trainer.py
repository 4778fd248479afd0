#!/usr/bin/env python3
"""A minimal trainer under cft-bench's external-trainer contract (cft-bench-trainer/2), stdlib only.

It "trains" a class-prior model: it walks the plan (a folder of NPY arrays, read here with the
standard library; a numpy trainer uses cftbench.py) step by step, consuming exactly the planned
example ids (and digesting them by the contract's rule), counts the localisation labels it sees,
and predicts, for every person box the detector found in a requested split, score =
detector score x the class's frequency. Not a good model - a worked example of the contract,
and the trainer cft-bench's tests run (with --mode to misbehave on purpose).

    cft-bench train --protocol cofinetune --trainer "python3 examples/trainers/prior_trainer.py"
"""
import argparse, ast, csv, hashlib, json, math, os, sys, time
from array import array

p = argparse.ArgumentParser()
p.add_argument("request")
p.add_argument("--mode", default="ok", choices=["ok", "skip", "crash", "bad-csv", "hang", "no-report", "diverge", "chatty", "zero-based", "bad-upstream"])
args = p.parse_args()
req = json.load(open(args.request))
assert req["format"] == "cft-bench-trainer/2", req["format"]


def npy(path):
    """A little-endian int32/float64 NPY file as a flat array (NPY: magic, version, header length, header dict, data)."""
    with open(path, "rb") as f:
        data = f.read()
    start = 12 if data[6] >= 2 else 10  # version 1: a 2-byte header length, later ones 4
    n = int.from_bytes(data[8:start], "little")
    header = ast.literal_eval(data[start:start + n].decode("latin1"))
    out = array({"<i4": "i", "<f8": "d"}[header["descr"]])
    out.frombytes(data[start + n:])
    return out


def plan_steps(folder, phase):
    """A phase's steps as {"lr", "parts": [(dataset, ids)]}: step s takes the next counts[s][j] ids of dataset j."""
    counts, lrs = npy(os.path.join(folder, phase["files"]["counts"])), npy(os.path.join(folder, phase["files"]["lr"]))
    ids = [npy(os.path.join(folder, f)) for f in phase["files"]["ids"]]
    at, d = [0] * len(ids), len(phase["datasets"])
    for s in range(phase["steps"]):
        parts = []
        for j, name in enumerate(phase["datasets"]):
            n = counts[s * d + j]
            if n:
                parts.append((name, list(ids[j][at[j]:at[j] + n])))
                at[j] += n
        yield {"lr": lrs[s], "parts": parts}


plan = json.load(open(os.path.join(req["plan"], "plan.json")))
for phase in plan["phases"]:
    phase["steps"] = list(plan_steps(req["plan"], phase))
down = req["downstream"]
ddir = req["data"][down]

# which devices this run was given (compare --gpus sets CUDA_VISIBLE_DEVICES per worker); a line of the run's log
print(f"prior_trainer: devices {os.environ.get('CUDA_VISIBLE_DEVICES', 'all')}", file=sys.stderr, flush=True)

def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))

# training labels of the downstream set: clip row i -> its action ids (from train GT by keyframe)
keys = [",".join(r) for r in read_rows(os.path.join(ddir, "train_keyframes.csv"))]
actions = {}
for r in read_rows(os.path.join(ddir, "train_gt.csv")):
    actions.setdefault(f"{r[0]},{r[1]}", []).append(int(r[6]))

counts, seen, losses, consumed = {}, 0, {}, {}
for phase in plan["phases"]:
    digests = {}
    losses[phase["name"]] = []
    for step in phase["steps"]:
        for dataset, ids in step["parts"]:
            if args.mode == "skip" and phase is plan["phases"][-1] and step is phase["steps"][0]:
                ids = ids[1:]  # misbehave: drop one planned example
            h, n = digests.setdefault(dataset, [hashlib.sha256(), 0])
            for i in ids:
                h.update(f"{i},".encode())
            digests[dataset][1] += len(ids)
            if dataset == down:
                for i in ids:
                    for a in actions.get(keys[i], []):
                        counts[a] = counts.get(a, 0) + 1
                        seen += 1
        # the "loss": cross-entropy of the current prior on this step's labels (a real trainer reports its own)
        total = sum(counts.values()) or 1
        loss = -math.log(max(counts.get(1, 0), 1) / total)
        if args.mode == "diverge" and len(losses[phase["name"]]) >= 2:
            loss = float("nan")  # misbehave: the loss stops being a number
        losses[phase["name"]].append(loss)
        if args.mode == "chatty":
            print(f"step {len(losses[phase['name']])}: a line on stdout that is not cft-bench's", flush=True)
        # progress for cft-bench (contract section 2): one line on stdout or stderr
        print("cft-bench-progress " + json.dumps({"phase": phase["name"], "step": len(losses[phase["name"]]), "steps": len(phase["steps"]), "loss": loss if math.isfinite(loss) else None}), flush=True)
        if not math.isfinite(loss):
            break
    consumed[phase["name"]] = {d: {"examples": n, "idsSha256": h.hexdigest()} for d, (h, n) in digests.items()}
    if args.mode == "diverge":
        # a diverged run: say so (status) and stop; json.dump writes the NaN as a bare NaN, which cft-bench reads
        json.dump({"format": "cft-bench-trainer/2", "trainer": {"name": "prior-trainer", "version": "1", "device": "cpu"},
                   "status": "diverged", "diverged": {"phase": phase["name"], "step": len(losses[phase["name"]])},
                   "losses": losses, "consumed": consumed, "predictions": {}},
                  open(os.path.join(req["out"], "report.json"), "w"))
        sys.exit(0)

if args.mode == "crash":
    print("prior_trainer: crashing on purpose", file=sys.stderr)
    sys.exit(3)
if args.mode == "hang":
    time.sleep(3600)

total = sum(counts.values()) or 1
prior = {c: n / total for c, n in counts.items()}
out = req["out"]
predictions = {}
for split in req["predict"]:
    name = f"{split}_predictions.csv"
    with open(os.path.join(out, name), "w") as f:
        for i, r in enumerate(read_rows(os.path.join(ddir, f"{split}_detections.csv"))):
            if args.mode == "bad-csv" and i == 2:
                f.write("not,a,prediction\n")
            for c, pc in sorted(prior.items()):
                label = c - 1 if args.mode == "zero-based" else c  # the classic bug: 0-based class ids
                f.write(f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]},{label},{float(r[7]) * pc:.6f}\n")
    predictions[split] = name

# upstream sets: every val example predicted as the majority class of the training labels (cft-bench scores it)
upstream = {}
for name, n in req.get("predictUpstream", {}).items():
    ys = [int(r[0]) for r in read_rows(os.path.join(req["data"][name], "train_labels.csv"))[1:]]
    majority = max(set(ys), key=lambda y: (ys.count(y), -y))
    upstream[name] = f"{name}_val_predictions.csv"
    with open(os.path.join(out, upstream[name]), "w") as f:
        f.write("id,label\n" + "".join(f"{i},{majority}\n" for i in range(n + (args.mode == "bad-upstream"))))  # misbehave: an id past the split

if args.mode != "no-report":
    json.dump({
        "format": "cft-bench-trainer/2",
        "trainer": {"name": "prior-trainer", "version": "1", "device": "cpu"},
        "practice": {"model": "class prior x the detector's score; no weights, no optimizer"},
        "losses": losses,
        "consumed": consumed,
        "predictions": predictions,
        "upstreamPredictions": upstream,
    }, open(os.path.join(out, "report.json"), "w"))
