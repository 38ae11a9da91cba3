"""Are the statistics calibrated? Error rates, power and coverage over many synthetic studies.

Each study is the synthetic task (examples/synthetic.yaml on a 5 x 5 grid in half-decade
steps, ratios 0 / 0.25 / 0.5 / 0.75) with its own seed, so its runs' noise is independent of
every other study's. In-process mode builds the landscapes from the task's formula and runs
the analysis code on them (``pruneshift.analysis.analyze_landscapes``, what ``pruneshift run``
runs);
``--cli`` runs whole studies with ``pruneshift run`` instead (slower; fewer studies).

Printed, each with a Wilson 95 % interval:
- under no shift, at two noise levels: the family-wise rate of any shift claim, of a threshold
  and of "re-tune" (targets: <= 0.05);
- power per ratio for the learning rate's optimum moving 0.5, 1, 1.5, 2 decades per unit ratio
  (noise 0.002, 3 seeds; target >= 0.9 wherever the move is >= 0.5 decades, never falling as
  the shift grows);
- the regret interval's coverage of the analytic regret (target 0.93-0.97);
- detection of a one-step move with and without one diverged grid row (target: <= 10 points
  apart).

    python benchmarks/calibration.py                # in-process, 200 studies per null scenario
    python benchmarks/calibration.py --studies 50   # quicker look
    python benchmarks/calibration.py --cli --studies 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from pruneshift import synthetic
from pruneshift.analysis import (
    Landscape,
    RatioShift,
    Results,
    ShiftMetrics,
    Threshold,
    Verdict,
    analyze_landscapes,
    normalisation_for,
    seed_noise,
)
from pruneshift.analysis._shift import best_index
from pruneshift.config import load_config
from pruneshift.search import Grid, build_grid

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "synthetic.yaml"
RATIOS = (0.0, 0.25, 0.5, 0.75)
BASE = [f"pruning.ratios=[{', '.join(map(str, RATIOS))}]", "grid.axes.lr.points=5",
        "grid.axes.lr.span=100", "grid.axes.weight_decay.points=5",
        "grid.axes.weight_decay.span=100"]
OPTIMUM = {"lr": 0.05, "weight_decay": 5e-4}


@dataclass(frozen=True)
class Scenario:
    name: str
    shift: float  # decades per unit ratio of the learning rate's optimum
    noise: float
    diverge_above: float | None = None  # learning rates above this diverge from ratio 0.5 on
    seed_correlation: float = 0.0


def overrides(scenario: Scenario, seed: int) -> list[str]:
    extra = [f"seed={seed}", f"synthetic.shift.lr={scenario.shift}",
             f"synthetic.noise={scenario.noise}",
             f"synthetic.seed_correlation={scenario.seed_correlation}"]
    if scenario.diverge_above is not None:
        extra += [f"synthetic.diverge_above.lr={scenario.diverge_above}",
                  "synthetic.diverge_from=0.5"]
    return BASE + extra


def ratio_outcome(compared: RatioShift, alpha: float, true_regret: float) -> dict:
    """One ratio's claims (lr, joint) and whether its regret interval covers the truth."""
    regret = compared.regret
    return {"lr": (compared.p_adjusted.per_hp["lr"].wasserstein or 1) < alpha,
            "joint": (compared.p_adjusted.wasserstein or 1) < alpha,
            "covered": regret.ci_low <= true_regret <= regret.ci_high,
            "regret": regret.mean, "true_regret": true_regret}


def outcome_of(threshold: Threshold, verdict: Verdict) -> dict:
    """A study's threshold and verdict, as the rates below count them."""
    return {"threshold": threshold.overall, "by_shift": threshold.by_shift.model_dump(),
            "verdict": verdict.kind, "ratios": {}}


def study_in_process(scenario: Scenario, seed: int) -> dict:
    """One study's per-ratio outcomes: claims, threshold, verdict, regret coverage."""
    config = load_config(EXAMPLE, overrides(scenario, seed))
    grid, _ = build_grid(config, OPTIMUM)
    arrays = {}
    for ratio in RATIOS:
        accuracy, diverged = synthetic.grid_runs(config, grid, ratio)
        arrays[ratio] = Landscape(grid, ratio, accuracy, diverged)
    metrics = ShiftMetrics(grid, normalisation_for(seed_noise(arrays[0.0]), config.analysis))
    per_ratio, threshold, verdict = analyze_landscapes(grid, arrays, metrics, config.analysis)
    kept = best_index(arrays[0.0].mean())
    outcome = outcome_of(threshold, verdict)
    for ratio in RATIOS[1:]:
        truth = synthetic.true_mean(config, grid, ratio)
        true_regret = float(truth.max() - truth[kept])
        outcome["ratios"][ratio] = ratio_outcome(per_ratio[ratio], config.analysis.alpha,
                                                 true_regret)
    return outcome


def study_cli(scenario: Scenario, seed: int) -> dict:
    """The same outcomes from a whole ``pruneshift run`` of the study."""
    with tempfile.TemporaryDirectory() as out:
        sets = [arg for o in overrides(scenario, seed) for arg in ("--set", o)]
        subprocess.run([sys.executable, "-m", "pruneshift", "run", str(EXAMPLE), "--out", out,
                        *sets], check=True, capture_output=True)
        results = Results.from_json(json.loads((Path(out) / "results.json").read_text()))
    config = load_config(EXAMPLE, overrides(scenario, seed))
    grid = Grid.from_dict(results.grid)
    kept = tuple(a.values.index(results.dense_optimum[a.name]) for a in grid.axes)
    outcome = outcome_of(results.threshold, results.verdict)
    for ratio in RATIOS[1:]:
        truth = synthetic.true_mean(config, grid, ratio)
        true_regret = float(truth.max() - truth[kept])
        outcome["ratios"][ratio] = ratio_outcome(results.ratios[ratio].comparison,
                                                 results.alpha, true_regret)
    return outcome


def rate(hits: int, total: int) -> str:
    low, high = binomtest(hits, total).proportion_ci(method="wilson")
    return f"{hits / total:.3f} [{low:.3f}, {high:.3f}] ({hits}/{total})"


def run(scenario: Scenario, studies: int, cli: bool, workers: int) -> list[dict]:
    one = study_cli if cli else study_in_process
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(one, [scenario] * studies, range(1000, 1000 + studies)))


def any_claim(outcome: dict) -> bool:
    found = outcome["by_shift"]
    return found["overall"] is not None or any(r is not None for r in found["per_hp"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200, help="studies per null scenario")
    parser.add_argument("--power-studies", type=int, default=None,
                        help="studies per power scenario (default: a quarter of --studies)")
    parser.add_argument("--cli", action="store_true", help="run whole studies with the CLI")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    power_studies = args.power_studies or max(10, args.studies // 4)
    mode = "pruneshift run" if args.cli else "in-process analysis"
    print(f"calibration ({mode}); ratios {RATIOS}; 5 x 5 grid, 3 seeds; alpha 0.05, "
          "epsilon 0.005; [Wilson 95 % interval]")

    print("\nno shift: family-wise false-positive rates (targets <= 0.05)")
    coverage_hits = coverage_total = 0
    for noise in (0.002, 0.01):
        outcomes = run(Scenario("null", 0.0, noise), args.studies, args.cli, args.workers)
        n = len(outcomes)
        print(f"  noise {noise}: any shift claim {rate(sum(map(any_claim, outcomes)), n)}; "
              f"threshold {rate(sum(o['threshold'] is not None for o in outcomes), n)}; "
              f"re-tune {rate(sum(o['verdict'] == 're-tune' for o in outcomes), n)}")
        cells = [r for o in outcomes for r in o["ratios"].values()]
        coverage_hits += sum(c["covered"] for c in cells)
        coverage_total += len(cells)
        print(f"    regret under no shift: mean {np.mean([c['regret'] for c in cells]):+.5f} "
              f"(analytic {np.mean([c['true_regret'] for c in cells]):+.5f})")

    print("\npower (noise 0.002): share of studies whose lr claim / joint claim holds, per ratio")
    for shift in (0.5, 1.0, 1.5, 2.0):
        outcomes = run(Scenario("power", shift, 0.002), power_studies, args.cli, args.workers)
        n = len(outcomes)
        for ratio in RATIOS[1:]:
            cells = [o["ratios"][ratio] for o in outcomes]
            print(f"  {shift:g} decades/unit ratio, r {ratio:g} (moves {shift * ratio:.3g} "
                  f"decades): lr {rate(sum(c['lr'] for c in cells), n)}; "
                  f"joint {rate(sum(c['joint'] for c in cells), n)}")
            coverage_hits += sum(c["covered"] for c in cells)
            coverage_total += len(cells)

    print(f"\nregret interval coverage of the analytic regret (target 0.93-0.97): "
          f"{rate(coverage_hits, coverage_total)}")

    print("\none diverged row (lr above the grid's second-largest value diverges from r 0.5): "
          "detection of the lr move at r 0.5 (1 decade/unit ratio: one grid step)")
    for label, above in (("without", None), ("with", 0.2)):
        outcomes = run(Scenario("diverge", 1.0, 0.002, diverge_above=above), power_studies,
                       args.cli, args.workers)
        cells = [o["ratios"][0.5] for o in outcomes]
        print(f"  {label} the diverged row: lr {rate(sum(c['lr'] for c in cells), len(cells))}; "
              f"joint {rate(sum(c['joint'] for c in cells), len(cells))}")

    print("\npaired seeds (a seed's noise correlated 0.9 across ratios), no shift, noise 0.002:")
    outcomes = run(Scenario("paired", 0.0, 0.002, seed_correlation=0.9), power_studies,
                   args.cli, args.workers)
    print(f"  any shift claim {rate(sum(map(any_claim, outcomes)), len(outcomes))}")
    outcomes = run(Scenario("paired", 1.0, 0.002, seed_correlation=0.9), power_studies,
                   args.cli, args.workers)
    cells = [o["ratios"][0.5] for o in outcomes]
    print(f"  1 decade/unit ratio, r 0.5: lr {rate(sum(c['lr'] for c in cells), len(cells))}")


if __name__ == "__main__":
    main()
