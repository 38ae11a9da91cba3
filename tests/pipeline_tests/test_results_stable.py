"""results.json does not drift: the synthetic example's results, field by field, against those
written by commit f43e9de (before the interfaces were given owners).

The synthetic task trains nothing, so every number is a function of the seeds and is the same on
every machine (to rounding). A key renamed on purpose is listed in ``renamed`` and in
docs/results.md; a key the typed schema added holds null where f43e9de left it out; a section or
setting added since (``SINCE``) is left out of the comparison; anything else that differs is a
regression.
"""

import json
import math
from pathlib import Path

import pytest

from pruneshift.config import load_config
from pruneshift.pipeline import run_study

from ..conftest import SYNTHETIC

pytestmark = pytest.mark.slow  # whole studies

GOLDEN = Path(__file__).parent / "golden" / "synthetic-results.json"
MACHINE_SPECIFIC = {"environment"}
# sections and settings added after f43e9de (docs/results.md lists them), by path prefix
SINCE = [("transfer",), ("choice",), ("ratios", "*", "recipe"), ("ratios", "*", "deployment"),
         ("analysis", "budget"), ("config", "analysis", "budget"), ("config", "deploy"),
         ("signature", "analysis", "budget"), ("grid", "grown"), ("config", "grid", "max_extend"),
         ("config", "pruning", "retrain_schedule"), ("config", "training", "schedule_epochs")]
SINCE += [("ratios", "*", "settle"), ("ratios", "*", "answer"), ("config", "settle"),
          ("config", "workers", "retry_seconds"), ("config", "hpo", "batch"),
          *[("config", "synthetic", k) for k in (
              "seed_effect", "training_noise", "examples", "example_spread",
              "example_interaction", "noise_growth", "noise_near_optimum",
              "near_optimum_width")],
          ("ratios", "*", "regret", "standard_error"),
          ("ratios", "*", "per_hp", "*", "regret", "standard_error"),
          ("ratios", "*", "predicted_regret", "standard_error"),
          ("transfer", "ratios", "*", "predicted_regret", "standard_error")]
# values that changed on purpose since f43e9de (docs/results.md), by path prefix
CHANGED = [
    ("signature", "trials"),  # counted per stage of the schedule
    ("ratios", "*", "best", "test_accuracy"),  # the synthetic task scores a test split
    ("ratios", "*", "test_at_dense_optimum"),
    ("ratios", "*", "regret", "p_adjusted"),  # fixed sequence instead of Holm
    ("ratios", "*", "regret", "detectable"),  # at the level the claim is tested at
    ("ratios", "*", "regret", "seeds_to_settle"),  # none where the estimate sits on epsilon
    ("ratios", "*", "per_hp", "*", "regret", "p_adjusted"),  # no claim: null
    ("ratios", "*", "per_hp", "*", "regret", "detectable"),
    ("ratios", "*", "per_hp", "*", "regret", "seeds_to_settle"),
    ("threshold", "by_regret", "per_hp"),  # per hyperparameter only the shift is a claim
    ("threshold", "per_hp"),
    ("threshold", "overall"),  # from the settled answers
    ("threshold", "by_regret", "overall"),
    ("verdict",),
]
NESTED = {"noise_floor", "p_value", "p_adjusted"}  # their "per_hp.<name>.wasserstein" keys


def flatten(value, path=()):
    """Every leaf by its path of keys (a tuple, so that a key holding a dot stays one key)."""
    if isinstance(value, dict | list) and value:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        flat = {}
        for key, child in items:
            flat.update(flatten(child, (*path, key)))
        return flat
    return {path: value}


def renamed(path: tuple) -> tuple:
    """The path a key of f43e9de's results.json has now: under the ratios' noise floors,
    p-values and adjusted p-values, "per_hp.<name>.wasserstein" became per_hp -> name ->
    wasserstein."""
    if len(path) == 4 and path[0] == "ratios" and path[2] in NESTED and "." in path[3]:
        return (*path[:3], *path[3].split("."))
    return path


def added_since(path: tuple, prefix: tuple) -> bool:
    """Whether ``path`` lies under ``prefix`` ("*" matches any key)."""
    return len(path) >= len(prefix) and all(
        p == "*" or p == k for p, k in zip(prefix, path, strict=False))


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The synthetic example's results.json as this commit writes it."""
    out = tmp_path_factory.mktemp("synthetic")
    results = run_study(load_config(SYNTHETIC), out=out).to_json()
    assert results == json.loads((out / "results.json").read_text())
    return results


def test_the_synthetic_results_equal_those_before_the_refactoring(written):
    golden = {renamed(k): v for k, v in flatten(json.loads(GOLDEN.read_text())).items()}
    now = {path: value for path, value in flatten(
        {k: v for k, v in written.items() if k not in MACHINE_SPECIFIC}).items()
        if not any(added_since(path, prefix) for prefix in SINCE + CHANGED)}
    golden = {path: value for path, value in golden.items()
              if not any(added_since(path, prefix) for prefix in CHANGED)}
    assert set(golden) <= set(now)
    added = {k: v for k, v in now.items() if k not in golden}
    assert set(added.values()) <= {None}, {k: v for k, v in added.items() if v is not None}
    differ = {k: (golden[k], now[k]) for k in golden if not same(golden[k], now[k])}
    assert not differ


SETTLED = Path(__file__).parent / "golden" / "synthetic-results-settled.json"
VOLATILE = {"environment", "wall_seconds", "trial_seconds", "train_seconds", "seconds"}


def test_the_synthetic_answers_equal_those_of_the_settle_stage_s_first_release(written):
    """Every field, the answers, the threshold and the verdict included, against the results
    the settle stage first wrote (the golden file, regenerated on purpose only, with the
    change listed in docs/results.md)."""
    def flat(results):
        return {path: value for path, value in flatten(results).items()
                if not VOLATILE & set(map(str, path))}

    golden, now = flat(json.loads(SETTLED.read_text())), flat(written)
    assert set(golden) == set(now), set(golden) ^ set(now)
    differ = {k: (golden[k], now[k]) for k in golden if not same(golden[k], now[k])}
    assert not differ
