"""Where a stacked grid's training time goes, and how fast its arithmetic runs there.

    python benchmarks/grid_profile.py [--ratios 0 0.75] [--epochs 2] [--members 0]
                                      [--set training.batch_size=32 ...]

The speed target is 40 % of the machine's float32 peak for a grid at full width and 20 % at
75 % pruned, or the profile that shows what bounds it. For each ratio this script stacks the
default study's grid (the default recipe's 5 x 5 points x 3 seeds, at most ``--members`` to a
stack; 0: as many as the study's memory check allows; ``--set`` changes the recipe as
``pruneshift run --set`` does, e.g. to a finished run's HPO optimum), each member pruned once
to the ratio (the width the default protocol trains at after its last pruning step), and
trains it with the study's stacked trainer twice: once timed, once under torch.profiler. It
prints

- the FLOP rate of the timed run (FLOPs from the members' MACs: 6 per MAC per training image,
  2 per scored image) as a share of the measured GEMM peak, as ``roofline.py`` counts it;
- the profiled time by kind of operator (self time: convolutions forward and backward, the
  stacked linear head, batch norm, activations and pooling, the loss, the member optimiser's
  and autograd's elementwise work, indexing and copies, the autograd engine's own events, and
  the time outside any operator: Python and the profiler), each with its share;
- the rate of the convolution kernels alone (their FLOPs over their own time), which is the
  most the stack could reach if nothing else took time;
- each stacked convolution alone, forward and backward as in training (the first without an
  input gradient), on the activations it sees: its share of the MACs, time and rate.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.train import members_that_fit, stack, train_batched
from pruneshift.train._stack import pack
from pruneshift.train._trainer import in_training_layout, laid_out

sys.path.insert(0, str(Path(__file__).parent))
from _common import describe_machine, grid_cells, pruned_models  # noqa: E402
from roofline import SIZE, peak_gflops  # noqa: E402

# Operator kinds, matched in order on the aten name (the first pattern contained wins).
KINDS = [
    ("convolution", ("conv",)),
    ("linear (bmm)", ("bmm", "addmm", "aten::mm", "linear")),
    ("batch norm", ("batch_norm",)),
    ("activation, pooling", ("relu", "threshold", "pool", "aten::mean")),
    ("loss", ("softmax", "nll", "gather", "cross_entropy")),
    ("indexing, copies", ("index", "copy", "clone", "stack", "cat", "randperm", "contiguous")),
    ("optimiser, elementwise", ("aten::",)),
]
OTHER = "autograd engine, other events"
OUTSIDE = "outside any operator (Python)"


def conv_and_all_macs(model: nn.Module, example: torch.Tensor) -> tuple[float, float]:
    """Forward MACs per image of ``model``'s convolutions and of all its layers."""
    counts = {"conv": 0.0, "all": 0.0}

    def count(module, inputs, output):
        if isinstance(module, nn.Conv1d | nn.Conv2d):
            macs = output.numel() * module.in_channels // module.groups * math.prod(
                module.kernel_size)
            counts["conv"] += macs
        else:
            macs = output.numel() * module.in_features
        counts["all"] += macs

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Linear)]
    model.eval()
    with torch.no_grad():
        model(example[:1])
    for hook in hooks:
        hook.remove()
    return counts["conv"], counts["all"]


def each_convolution(models: list[nn.Module], batch: torch.Tensor, repeats: int = 20
                     ) -> list[tuple[str, float, float]]:
    """Each convolution of ``models`` stacked, alone: (its member shape, FLOPs and best seconds
    of a forward and backward pass on the activation it sees in training)."""
    wide = stack(models, batch[:1])
    layout = in_training_layout(wide)
    convs = [m for m in wide.modules() if isinstance(m, nn.Conv1d | nn.Conv2d)]
    seen: dict[nn.Module, torch.Tensor] = {}
    hooks = [c.register_forward_pre_hook(lambda m, args: seen.setdefault(m, args[0].detach()))
             for c in convs]
    with torch.no_grad():
        wide(laid_out(pack(batch.expand(len(models), *batch.shape)), layout))
    for hook in hooks:
        hook.remove()
    rows = []
    for index, conv in enumerate(convs):
        x = seen[conv].requires_grad_(index > 0)  # the first layer needs no input gradient
        out = conv(x)
        grad = torch.randn_like(out)
        macs = out.numel() * conv.in_channels // conv.groups * math.prod(conv.kernel_size)

        def step(conv=conv, x=x, grad=grad) -> None:
            torch.autograd.backward(conv(x), grad)

        times = []
        for _ in range(3 + repeats):  # the first three warm up
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        shape = (f"{conv.in_channels // len(models)}->{conv.out_channels // len(models)} "
                 f"at {'x'.join(map(str, x.shape[2:]))}")
        passes = 3 if index > 0 else 2  # forward, weight gradient, input gradient
        rows.append((shape, 2 * macs * passes, min(times[3:])))
    return rows


def kind_of(name: str) -> str:
    return next((kind for kind, patterns in KINDS if any(p in name for p in patterns)), OTHER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.0, 0.75])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--members", type=int, default=0)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE")
    args = parser.parse_args()
    describe_machine()
    peak = peak_gflops()
    print(f"measured peak: {peak:.0f} GFLOP/s (float32 GEMM {SIZE}^2, "
          f"{torch.get_num_threads()} threads)")
    config = load_config(overrides=[*args.overrides, f"training.epochs={args.epochs}"])
    splits = load_splits(config.data)
    recipes, seeds = grid_cells(config)
    n_train, n_val = len(splits.train_y), len(splits.val_y)
    steps = n_train // config.training.batch_size
    for ratio in args.ratios:
        def members(count: int, ratio: float = ratio) -> list[nn.Module]:
            return pruned_models(config, splits, seeds[:count], ratio)

        probe = members(1)[0]
        k = args.members or members_that_fit(probe, splits.train_x[:config.training.batch_size])
        k = min(k, len(seeds))
        conv_macs, all_macs = conv_and_all_macs(probe, splits.train_x)
        per_member = 6 * steps * config.training.batch_size * args.epochs + 2 * n_val
        flops, conv_flops = k * all_macs * per_member, k * conv_macs * per_member

        def run(models: list[nn.Module], k: int = k) -> None:
            train_batched(models, splits, recipes[:k], seeds=seeds[:k], evaluate_test=False)

        run(members(k))  # warm-up: oneDNN's kernels chosen, caches filled
        models = members(k)
        started = time.perf_counter()
        run(models)
        wall = time.perf_counter() - started
        models = members(k)
        started = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as profiler:
            run(models)
        profiled = time.perf_counter() - started
        seconds: dict[str, float] = defaultdict(float)
        for event in profiler.key_averages():
            seconds[kind_of(event.key)] += event.self_cpu_time_total / 1e6
        seconds[OUTSIDE] = max(0.0, profiled - sum(seconds.values()))
        print(f"\nratio {ratio:g}: {k} members, {args.epochs} epochs of {steps} steps, "
              f"{all_macs / 1e6:.2f} MMAC per image ({conv_macs / all_macs:.0%} convolutions)")
        print(f"  timed run: {wall:.2f} s, {flops / 1e12:.2f} TFLOP, "
              f"{flops / wall / 1e9:.1f} GFLOP/s = {flops / wall / 1e9 / peak:.1%} of peak")
        print(f"  profiled run: {profiled:.2f} s, by operators' own (self) time:")
        for kind in [*(kind for kind, _ in KINDS), OTHER, OUTSIDE]:
            print(f"    {kind:<34} {seconds[kind]:7.2f} s {seconds[kind] / profiled:6.1%}")
        rate = conv_flops / seconds["convolution"] / 1e9
        print(f"  convolution kernels alone: {rate:.1f} GFLOP/s = {rate / peak:.1%} of peak")
        layers = each_convolution(members(k), splits.train_x[:config.training.batch_size])
        total = sum(alone for _, _, alone in layers)
        print("  each convolution alone, forward and backward (member shape):")
        for shape, flop_count, seconds_alone in layers:
            rate = flop_count / seconds_alone / 1e9
            print(f"    {shape:<22} {seconds_alone * 1e3:7.2f} ms {seconds_alone / total:6.1%}"
                  f" of the convolutions' time, {rate:6.1f} GFLOP/s = {rate / peak:5.1%} of peak")


if __name__ == "__main__":
    main()
