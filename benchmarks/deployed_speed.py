"""Where the pruned model will run: ONNX Runtime against PyTorch eager, pruned against dense.

    python benchmarks/deployed_speed.py [--runs 200]

For each model and ratio (uniform l1 pruning, channels physically removed) the script exports
the model to ONNX as the deployment stage does and prints, measured side by side in this one
run on one CPU thread: ONNX Runtime's speed-up over PyTorch eager at batch 1 and 64, and, for
each runtime, the latency the pruned model keeps of the dense one's next to the MACs it keeps
(Torch-Pruning's issue #149: fewer MACs need not mean lower latency).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from _common import describe_machine

from pruneshift.config import PruningConfig
from pruneshift.deploy import export_onnx, time_onnx, time_torch
from pruneshift.models import build_model
from pruneshift.prune import count_macs_and_params, prune

CASES = [("cnn", (1, 8, 8), "digits"), ("resnet8", (1, 28, 28), "MNIST"),
         ("dscnn", (1, 49, 10), "keyword-spotting MFCC")]
RATIOS = [0.0, 0.5, 0.75]
BATCHES = [1, 64]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    describe_machine()
    folder = Path(tempfile.mkdtemp())
    for name, shape, data in CASES:
        print(f"\n{name} on {data}-shaped input {shape}")
        print("ratio  MACs kept | ORT/PyTorch speed-up b=1  b=64 | latency kept ORT b=1  b=64 |"
              " PyTorch b=1  b=64")
        dense = None
        for ratio in RATIOS:
            model = build_model(name, shape, 10, seed=0)
            prune(model, torch.zeros(1, *shape), PruningConfig(), ratio=ratio, num_classes=10,
                  seed=0)
            macs, _ = count_macs_and_params(model, shape)
            path = export_onnx(model, torch.zeros(1, *shape), folder / f"{name}-{ratio}.onnx")
            runs = {b: max(20, args.runs // b) for b in BATCHES}
            ort = [time_onnx(path, shape, b, runs[b]).median_ms for b in BATCHES]
            eager = [time_torch(model, shape, b, runs[b]).median_ms for b in BATCHES]
            if dense is None:
                dense = (macs, ort, eager)
            speedup = [e / o for e, o in zip(eager, ort, strict=True)]
            kept_ort = [o / d for o, d in zip(ort, dense[1], strict=True)]
            kept_eager = [e / d for e, d in zip(eager, dense[2], strict=True)]
            print(f"{ratio:5.2f}  {macs / dense[0]:9.2f} | {speedup[0]:26.1f}  {speedup[1]:4.1f} |"
                  f" {kept_ort[0]:20.2f}  {kept_ort[1]:4.2f} | {kept_eager[0]:11.2f}"
                  f"  {kept_eager[1]:4.2f}")
        print(f"  dense: ORT {dense[1][0]:.4f} ms (b=1), {dense[1][1]:.3f} ms (b=64); "
              f"PyTorch {dense[2][0]:.4f} ms, {dense[2][1]:.3f} ms")


if __name__ == "__main__":
    main()
