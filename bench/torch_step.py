"""Dev-time comparison (not a runtime dependency): the cft-bench model's training step in
PyTorch on CPU, same architecture, batch and ROI layout as src/trainers/model.ts, 1 thread
(tfjs-wasm runs single-threaded in Node). Prints JSON: ms per localisation / upstream step.

    /usr/bin/python3 bench/torch_step.py      # Debian's python3-torch
"""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
B, R, T, S, K, KU = 32, 4, 8, 32, 17, 12


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(T, 16, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(32, 32, 3, stride=1, padding=1)
        self.neck = nn.Conv2d(32, 64, 1)
        self.loc = nn.Linear(10 * 64, K)
        self.up = nn.Linear(64, KU)

    def trunk(self, x):
        h = F.relu(self.c1(x))
        h = F.relu(self.c2(h))
        h = F.relu(self.c3(h))
        h = F.relu(self.neck(h))  # [B, 64, 8, 8]
        return h.flatten(2).transpose(1, 2)  # [B, 64 cells, 64]

    def localise(self, x, roi):
        pooled = torch.bmm(roi, self.trunk(x)).reshape(B * R, 10 * 64)
        return self.loc(pooled)

    def classify(self, x):
        return self.up(self.trunk(x).mean(1))


m = Model()
trunk_params = [p for n, p in m.named_parameters() if not n.startswith(("loc", "up"))]
opt_t = torch.optim.Adam(trunk_params, 3e-3)
opt_l = torch.optim.Adam(m.loc.parameters(), 3e-3)
opt_u = torch.optim.Adam(m.up.parameters(), 3e-3)
x = torch.rand(B, T, S, S)
roi = torch.rand(B, R * 10, 64) / 64
targets = (torch.rand(B * R, K) > 0.8).float()
mask = torch.ones(B * R, 1)
y = torch.arange(B) % KU


def loc_step():
    opt_t.zero_grad(); opt_l.zero_grad()
    loss = (F.binary_cross_entropy_with_logits(m.localise(x, roi), targets, reduction="none") * mask).sum() / (B * 3)
    loss.backward(); opt_t.step(); opt_l.step()


def up_step():
    opt_t.zero_grad(); opt_u.zero_grad()
    loss = F.cross_entropy(m.classify(x), y)
    loss.backward(); opt_t.step(); opt_u.step()


def timed(f, n=60):
    for _ in range(10):
        f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n * 1000


print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "loc_step_ms": timed(loc_step), "upstream_step_ms": timed(up_step)}))
