"""recipes/r=<ratio>.yaml: the experiment's config with a ratio's re-tuned hyperparameters."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from ..analysis import Results
from ._plot import write_text


def short(value: Any) -> Any:
    """A float to four significant digits (a recipe is read and typed by people)."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


HOW_IT_RAN = ("device", "threads", "batched", "members")  # this machine's, not the recipe's


def recipe_config(config: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every hyperparameter of ``params`` set in its training section, and
    without how this machine trained (device, threads, stacking), which is no part of a
    recipe."""
    ready = copy.deepcopy(config)
    for name in HOW_IT_RAN:
        ready["training"].pop(name, None)
    for name, value in params.items():
        if name in ready["training"]:
            ready["training"][name] = short(value)
    return ready


def recipe_yaml(config: dict[str, Any], params: dict[str, Any], header: list[str]) -> str:
    """The config as YAML under a comment header."""
    comment = "".join(f"# {line}\n" for line in header)
    return comment + yaml.safe_dump(recipe_config(config, params), sort_keys=False)


def write_recipes(run_dir: Path, results: Results) -> dict[float, Path]:
    """One ready training config per ratio with a recipe; stale ones are removed."""
    folder = run_dir / "recipes"
    for stale in folder.glob("r=*.yaml"):
        stale.unlink()
    written = {}
    for ratio, entry in results.ratios.items():
        if entry.recipe is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        moves = "; ".join(
            f"{name}: {short(hp.dense)} (dense) -> {short(hp.recipe)}"
            + (f" (x{hp.factor:.3g})" if hp.factor is not None else "")
            for name, hp in entry.recipe.per_hp.items())
        header = [f"pruneshift recipe: experiment {results.experiment}, pruning ratio "
                  f"{ratio:g}", f"re-tuned on the grid: {moves}",
                  "the experiment's config with these values in its training section"]
        path = folder / f"r={ratio:g}.yaml"
        written[ratio] = write_text(path, recipe_yaml(results.config, entry.recipe.params,
                                                      header))
    return written
