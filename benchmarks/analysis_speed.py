"""The statistical analysis of a study: its null replicates measured at once against one by one.

Every pruned ratio's p-values and noise floors come from about two thousand replicates of the
"pruning moved nothing" null, each measured by every statistic (the joint W1 by exact optimal
transport, three shape divergences, each hyperparameter's marginal W1). ``now`` is
``analyze_landscapes`` as ``pruneshift run`` and ``analyze`` call it: the replicates of a ratio
measured as one stack (POT's batched 1-D transport, SciPy's divergences along an axis, one
network-simplex problem per replicate with the masses checked once). ``plain`` is the same
analysis with each replicate measured on its own by SciPy's ``wasserstein_distance``,
``jensenshannon`` and POT's ``emd2`` with its defaults (as the analysis did before); both
draw a ratio's replicates at once. The landscapes are those of examples/synthetic.yaml (a 7 x 7
grid, 3 seeds, 5 ratios), built from the task's formula; both must give the same results.

    python benchmarks/analysis_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from _common import best_times, describe_machine
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from pruneshift import synthetic
from pruneshift.analysis import (
    Landscape,
    ShiftMetrics,
    analyze_landscapes,
    normalisation_for,
    seed_noise,
)
from pruneshift.analysis._claims import Statistic
from pruneshift.analysis._distance import _pot, marginal
from pruneshift.config import load_config
from pruneshift.search import build_grid

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "synthetic.yaml"


def plain_statistics(metrics: ShiftMetrics, dense: np.ndarray, pruned: np.ndarray
                     ) -> dict[Statistic, float]:
    """One pair's statistics, each by its library's one-pair call."""
    p, q = metrics.normalise(dense), metrics.normalise(pruned)
    a, b = p.ravel(), q.ravel()
    stats = {Statistic("wasserstein"): float(_pot().emd2(a, b, metrics.steps_metric)),
             Statistic("js"): float(np.nan_to_num(jensenshannon(a, b, base=2))),
             Statistic("hellinger"): float(np.sqrt(0.5 * np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))),
             Statistic("tv"): float(0.5 * np.abs(a - b).sum())}
    for axis, name in enumerate(metrics.names):
        steps = np.arange(p.shape[axis], dtype=float)
        stats[Statistic("wasserstein", name)] = float(wasserstein_distance(
            steps, steps, marginal(p, axis), marginal(q, axis)))
    return stats


def plain_statistics_batch(metrics: ShiftMetrics, dense: np.ndarray, pruned: np.ndarray
                           ) -> dict[Statistic, np.ndarray]:
    rows = [plain_statistics(metrics, d, p) for d, p in zip(dense, pruned, strict=True)]
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


class Plain(ShiftMetrics):
    """The same metrics, each replicate measured on its own."""

    statistics_batch = plain_statistics_batch


def flat(value, path=()):
    """Every leaf of an analysis (records, dicts, tuples) by its path."""
    if hasattr(value, "model_dump"):
        return flat(value.model_dump(), path)
    if isinstance(value, dict):
        return {k: v for key, child in value.items() for k, v in flat(child, (*path, key)).items()}
    if isinstance(value, list | tuple):
        return {k: v for i, child in enumerate(value) for k, v in flat(child, (*path, i)).items()}
    return {path: value}


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    describe_machine()
    config = load_config(EXAMPLE)
    grid, _ = build_grid(config, dict(config.synthetic.optimum))
    arrays = {}
    for ratio in config.pruning.ratios:
        accuracy, diverged = synthetic.grid_runs(config, grid, ratio)
        arrays[ratio] = Landscape(grid, ratio, accuracy, diverged)
    normalisation = normalisation_for(seed_noise(arrays[0.0]), config.analysis)
    print(f"examples/synthetic.yaml: a {' x '.join(map(str, grid.shape))} grid, "
          f"{config.grid.seeds} seeds, ratios {list(config.pruning.ratios)}")

    outputs = {}

    def analysis(kind: type[ShiftMetrics], name: str):
        def run():
            outputs[name] = analyze_landscapes(grid, arrays, kind(grid, normalisation),
                                               config.analysis)
        return run

    times = best_times({"plain": analysis(Plain, "plain"), "now": analysis(ShiftMetrics, "now")},
                       args.repeats)
    dump = {name: flat(tuple(out)) for name, out in outputs.items()}
    differ = [k for k in dump["plain"] if not same(dump["plain"][k], dump["now"].get(k))]
    for name, seconds in times.items():
        print(f"{name:<6} {seconds:6.2f} s (best of {args.repeats})")
    print(f"now / plain: {times['now'] / times['plain']:.2f}x; fields that differ: {len(differ)}"
          f" of {len(dump['plain'])}")


if __name__ == "__main__":
    main()
