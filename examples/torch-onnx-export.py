"""Export a PyTorch model for `cft-bench infer` / `check` (the cft-bench-onnx/1 contract).

    python3 examples/torch-onnx-export.py variant.onnx
    npx cft-bench check --baseline baselines/default --candidate variant.onnx

Replace `MyModel` with yours; keep the names, the dynamic axes and the sigmoid. Tested by
test/variants.test.ts (the exported model runs through `cft-bench infer`).
"""
import sys

import torch


class MyModel(torch.nn.Module):
    """A stand-in: any model mapping clips [N, T, H, W, C] and boxes [N, R, 4] to scores [N, R, K]."""

    def __init__(self, frames=8, height=32, width=32, channels=1, classes=17):
        super().__init__()
        self.head = torch.nn.Linear(frames * height * width * channels + 4, classes)

    def forward(self, clips, boxes):
        n, r = boxes.shape[0], boxes.shape[1]
        features = (clips / 255.0).flatten(1).unsqueeze(1).expand(n, r, -1)  # clips are raw 0-255 pixels
        logits = self.head(torch.cat([features, boxes], dim=2))
        return torch.sigmoid(logits)  # probabilities in [0, 1]: cft-bench refuses logits


model = MyModel().eval()
example = (torch.zeros(2, 8, 32, 32, 1), torch.zeros(2, 3, 4))  # any N, R: they are declared dynamic below
torch.onnx.export(
    model,
    example,
    sys.argv[1] if len(sys.argv) > 1 else "variant.onnx",
    input_names=["clips", "boxes"],
    output_names=["scores"],
    # N (clips) and R (boxes per clip) vary from call to call: without these, the export fixes them
    dynamic_axes={"clips": {0: "N"}, "boxes": {0: "N", 1: "R"}, "scores": {0: "N", 1: "R"}},
    opset_version=13,
)
