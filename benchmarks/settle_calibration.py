"""Do the answers decide, and are they right? The settle stage over many synthetic studies.

Each study is the synthetic task with noise structured as real runs' is (per-example outcomes on
400 test examples drawn afresh each round, a seed's luck shared by every point, training noise,
accuracy near 98 %; ``STRUCTURE``), a 5 x 5 grid in half-decade steps, ratios 0 / 0.25 / 0.5 /
0.75 and 3 seeds per point, analysed in-process as ``pruneshift run`` analyses it: each pruned
ratio's plan (``pipeline._settle.settle_plan``), its settle rounds on fresh seeds until the
answer settles or 128 runs are spent (``analysis.confirm``), the fixed-sequence claims
(``analysis.gate``).

Printed, each rate with its Wilson 95 % interval:
- per scenario: the interval's coverage at the round it stopped, of the recipe's true gain over
  the kept point cut at 0 (what the answer estimates; target >= 0.93) and of the grid's true
  regret (the best grid point's); false "re-tune" (the recipe's true gain <= epsilon) and false
  "keep" (its true gain >= epsilon; and, stricter, the best grid point's true regret above
  epsilon) per claim; the share of ratios settled and the runs spent;
- side by side at comparable runs: the share of ratios whose true regret lies at least 0.3
  points from epsilon that each design settles: today's (answers from the grid alone, with 3, 6,
  12 or 24 seeds per point) and the settle stage's (3 seeds, then fresh seeds where needed).

    python benchmarks/settle_calibration.py                  # 400 null, 200 per other scenario
    python benchmarks/settle_calibration.py --studies 40     # quicker look
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binomtest

from pruneshift import synthetic
from pruneshift.analysis import (
    Landscape,
    PairedRuns,
    Settlement,
    best_index,
    confirm,
    gate,
    grid_answer,
    regret,
    settle_answer,
)
from pruneshift.analysis._noise import trained_runs
from pruneshift.analysis._regret import kept_point
from pruneshift.analysis._settle import PairedExamples
from pruneshift.config import load_config
from pruneshift.pipeline._settle import settle_plan
from pruneshift.search import build_grid
from pruneshift.seeds import settle_seeds

EXAMPLE = "examples/synthetic.yaml"
RATIOS = (0.0, 0.25, 0.5, 0.75)
OPTIMUM = {"lr": 0.05, "weight_decay": 5e-4}
BASE = [f"pruning.ratios=[{', '.join(map(str, RATIOS))}]", "grid.axes.lr.points=5",
        "grid.axes.lr.span=100", "grid.axes.weight_decay.points=5",
        "grid.axes.weight_decay.span=100"]
STRUCTURE = ["synthetic.examples=400", "synthetic.seed_effect=0.004",
             "synthetic.training_noise=0.002", "synthetic.peak=0.985", "synthetic.peak_drop=0.01",
             "synthetic.seed_correlation=0.6"]
LEVEL = 0.025  # the claims' level (half of alpha 0.05)
EPSILON = 0.005
MARGIN = 0.003  # "far from epsilon": a true regret at least this far from it
TIE = 1e-6  # a true regret this close to epsilon is a tie (the grid's half-decade steps make many)


@dataclass(frozen=True)
class Scenario:
    name: str
    settings: list[str] = field(default_factory=list)
    centre: dict[str, float] = field(default_factory=lambda: dict(OPTIMUM))


SCENARIOS = [
    Scenario("null (nothing moves)", ["synthetic.shift.lr=0"]),
    Scenario("lr moves 0.5 decades per unit ratio", ["synthetic.shift.lr=0.5"]),
    Scenario("lr moves 1 decade: r 0.5 sits on epsilon", ["synthetic.shift.lr=1"]),
    Scenario("lr moves 2 decades", ["synthetic.shift.lr=2"]),
    Scenario("noise x3 round the optimum", ["synthetic.shift.lr=1",
                                            "synthetic.noise_near_optimum=3"]),
    Scenario("noise growing with lr", ["synthetic.shift.lr=1", "synthetic.noise_growth.lr=0.5"]),
    Scenario("optimum between grid points", ["synthetic.shift.lr=1"],
             {"lr": 0.05 * 10 ** 0.25, "weight_decay": 5e-4}),
    Scenario("optimum beyond the grid's edge", ["synthetic.shift.lr=3"]),
    Scenario("a diverged row from r 0.5", ["synthetic.shift.lr=1", "synthetic.diverge_above.lr=0.2",
                                           "synthetic.diverge_from=0.5"]),
]


def settle(config, plan, ratio: float, seed: int, max_runs: int = 128, per_round: int = 8,
           precision: float | None = None) -> Settlement:
    """The settle stage of one ratio, round after round on the task's formula."""
    looks = max_runs // (2 * per_round)
    accuracies = {"kept": [], "recipe": []}
    seeds, examples, differences = [], [], []
    found = None
    for look in range(looks):
        ids = synthetic.test_ids(config, look)
        for s in settle_seeds(seed, look, per_round):
            runs = {}
            for point in ("kept", "recipe"):
                params = plan.point(point)
                gone = synthetic.diverges(config, params, ratio)
                runs[point] = None if gone else synthetic.run(config, params, ratio, s, look)
                accuracies[point].append(0.0 if gone else runs[point].test_accuracy)
            seeds.append(np.full(len(ids), len(accuracies["kept"]) - 1))
            examples.append(ids)
            outcome = {p: np.zeros(len(ids)) if r is None else r.test_correct.astype(float)
                       for p, r in runs.items()}
            differences.append(outcome["recipe"] - outcome["kept"])
        paired = PairedRuns(np.array(accuracies["kept"]), np.array(accuracies["recipe"]),
                            PairedExamples(np.concatenate(seeds), np.concatenate(examples),
                                           np.concatenate(differences)))
        found = confirm(paired, looks=look + 1, planned_looks=looks, level=LEVEL,
                        epsilon=EPSILON, precision=precision)
        if found.done:
            break
    return Settlement(kept=plan.kept, recipe=plan.recipe, runs=2 * len(accuracies["kept"]),
                      confirmation=found)


def study(scenario: Scenario, seed: int, grid_seeds: int = 3, settled: bool = True) -> dict:
    """One study's per-ratio answers against the truth."""
    config = load_config(EXAMPLE, [*BASE, *STRUCTURE, *scenario.settings, f"seed={seed}",
                                   f"grid.seeds={grid_seeds}"])
    grid, _ = build_grid(config, scenario.centre)
    arrays = {r: Landscape(grid, r, *synthetic.grid_runs(config, grid, r)) for r in RATIOS}
    kept = best_index(arrays[0.0].mean())
    rng = np.random.default_rng(seed)
    answers, truths, runs = {}, {}, {}
    for ratio in RATIOS[1:]:
        truth = synthetic.true_mean(config, grid, ratio)
        truths[ratio] = {"grid": float(truth.max() - truth[kept])}
        runs[ratio] = 25 * grid_seeds
        if settled:
            plan = settle_plan(grid, arrays[0.0], arrays[ratio])
            done = settle(config, plan, ratio, seed)
            gains = [0.0 if synthetic.diverges(config, plan.point(p), ratio)
                     else synthetic.truth(config, plan.point(p), ratio) for p in ("kept", "recipe")]
            truths[ratio]["gain"] = max(gains[1] - gains[0], 0.0)
            answers[ratio] = settle_answer(done)
            runs[ratio] += done.runs
        else:
            estimate = regret(arrays[ratio].accuracy, kept_point(grid.shape, kept), alpha=0.05,
                              epsilon=EPSILON, rng=rng, replicates=300, claim_level=LEVEL,
                              trained=trained_runs(arrays[ratio]))
            answers[ratio] = grid_answer(estimate, epsilon=EPSILON, level=LEVEL)
    claimed = gate(answers)
    return {ratio: {"decision": None if claimed[ratio] is None else claimed[ratio].decision,
                    "interval": None if answers[ratio] is None
                    else (answers[ratio].ci_low, answers[ratio].ci_high),
                    "runs": runs[ratio], **truths[ratio]} for ratio in RATIOS[1:]}


def _study(args: tuple) -> dict:
    return study(*args)


def rate(hits: int, total: int) -> str:
    if total == 0:
        return "– (0)"
    low, high = binomtest(hits, total).proportion_ci(method="wilson")
    return f"{hits / total:.3f} [{low:.3f}, {high:.3f}] ({hits}/{total})"


def covered(cell: dict, key: str) -> bool:
    low, high = cell["interval"] or (np.inf, -np.inf)
    return low - 1e-12 <= cell[key] <= high + 1e-12


def summarise(name: str, cells: list[dict]) -> None:
    far = [c for c in cells if abs(c["grid"] - EPSILON) >= MARGIN]
    retune = [c for c in cells if c["decision"] == "re-tune"]
    keep = [c for c in cells if c["decision"] == "keep"]
    print(f"{name}:")
    gain = rate(sum(covered(c, "gain") for c in cells), len(cells))
    print(f"  coverage of the recipe's gain {gain}; of the grid's regret "
          f"{rate(sum(covered(c, 'grid') for c in cells), len(cells))}")
    print(f"  false re-tune {rate(sum(c['gain'] <= EPSILON for c in retune), len(cells))}; "
          f"false keep {rate(sum(c['gain'] >= EPSILON for c in keep), len(cells))} (against "
          f"the recipe's gain, what the claim is about), "
          f"{rate(sum(c['grid'] > EPSILON + TIE for c in keep), len(cells))} (against the "
          "grid's best point, ties with epsilon aside)")
    print(f"  settled {rate(sum(c['decision'] != 'open' for c in cells), len(cells))}; far from ε: "
          f"{rate(sum(c['decision'] != 'open' for c in far), len(far))}; runs per ratio "
          f"{np.mean([c['runs'] for c in cells]):.0f}")


def run(jobs: list[tuple], workers: int) -> list[dict]:
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_study, jobs, chunksize=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200, help="studies per scenario")
    parser.add_argument("--null-studies", type=int, default=None, help="default: 2 x --studies")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"settle calibration (in-process); ratios {RATIOS}; 5 x 5 grid, 3 seeds, then up to 128 "
          f"fresh runs per ratio in rounds of 8 seeds; alpha 0.05 (claims at {LEVEL}), epsilon "
          f"{EPSILON}; structure {' '.join(s.removeprefix('synthetic.') for s in STRUCTURE)}; "
          "[Wilson 95 % interval]\n")
    for scenario in SCENARIOS:
        count = (args.null_studies or 2 * args.studies) if scenario.name.startswith("null") \
            else args.studies
        outcomes = run([(scenario, seed) for seed in range(1000, 1000 + count)], args.workers)
        summarise(f"{scenario.name} ({count} studies)",
                  [cell for o in outcomes for cell in o.values()])

    print("\nside by side: share of ratios settled whose true regret lies >= 0.3 points from "
          "epsilon (scenarios: null, 0.5, 1 and 2 decades), and runs per ratio")
    mixed = [s for s in SCENARIOS if s.name.split(" (")[0] in
             ("null", "lr moves 0.5 decades per unit ratio",
              "lr moves 1 decade: r 0.5 sits on epsilon", "lr moves 2 decades")]
    for label, seeds, settled in (("today's, 3 seeds", 3, False), ("today's, 6 seeds", 6, False),
                                  ("today's, 12 seeds", 12, False),
                                  ("today's, 24 seeds", 24, False),
                                  ("settle stage, 3 seeds + fresh", 3, True)):
        jobs = [(s, seed, seeds, settled) for s in mixed
                for seed in range(2000, 2000 + args.studies // 2)]
        cells = [c for o in run(jobs, args.workers) for c in o.values()]
        far = [c for c in cells if abs(c["grid"] - EPSILON) >= MARGIN]
        print(f"  {label}: settled {rate(sum(c['decision'] != 'open' for c in far), len(far))}, "
              f"{np.mean([c['runs'] for c in cells]):.0f} runs per ratio")


if __name__ == "__main__":
    main()
