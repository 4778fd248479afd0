"""Dev-time comparison (run by `npm run bench -- --train`): the shipped PyTorch trainer's training
step (src/trainers/torch_trainer.py: the mirror of the built-in tfjs model, LayerNorm and ROI
pooling included) on the same batches as the tfjs benchmark — synth-ava and synth-kinetics
train clips 0..255 in batches of 32, batch building included as in tfjs' Trainer.step — on CPU,
1 thread (tfjs-wasm runs single-threaded in Node). Prints JSON: ms per localisation / upstream step.

    /usr/bin/python3 bench/torch_step.py DATA_DIR   # DATA_DIR: `cft-bench data export --upstream synth-kinetics`
"""
import importlib.util
import json
import os
import sys
import time

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("torch_trainer", os.path.join(root, "src", "trainers", "torch_trainer.py"))
tt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tt)

torch.set_num_threads(1)
data = sys.argv[1]
req = {"downstream": "synth-ava", "seed": 1, "data": {"synth-ava": os.path.join(data, "synth-ava"), "synth-kinetics": os.path.join(data, "synth-kinetics")}}
plan = {"phases": [{"steps": [{"parts": [["synth-kinetics", []]]}]}]}
trainer = tt.Trainer(req, plan, torch.device("cpu"))
batches = [list(range(b * 32, (b + 1) * 32)) for b in range(8)]
k = 0


def loc_step():
    global k
    trainer.step({"lr": 1e-3, "parts": [["synth-ava", batches[k % 8]]]})
    k += 1


def up_step():
    global k
    trainer.step({"lr": 1e-3, "parts": [["synth-kinetics", batches[k % 8]]]})
    k += 1


def timed(f, n=100):
    for _ in range(10):
        f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n * 1000


print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "loc_step_ms": timed(loc_step), "upstream_step_ms": timed(up_step)}))
