"""What makes a trial what it is: the settings fingerprinted per stage, and their differences."""

from __future__ import annotations

from typing import Any

from ._experiment import ExperimentConfig

_NOT_FINGERPRINTED = ("hpo.n_trials", "hpo.timeout", "hpo.batch", "training.device",
                      "training.threads", "training.batched", "training.members", "data.root",
                      "data.download", "pruning.ratios", "pruning.latency_runs",
                      "settle.enabled", "settle.precision")
HPO_SECTIONS = ("seed", "data", "model", "training", "search_space", "hpo", "synthetic")
GRID_SECTIONS = ("seed", "data", "model", "training", "search_space", "grid", "pruning",
                 "synthetic")
SETTLE_SECTIONS = (*GRID_SECTIONS, "settle")  # its rounds are planned from these


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested settings as one dict keyed by dotted paths."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, child in value.items():
            flat.update(flatten(child, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def fingerprint(config: ExperimentConfig, sections: tuple[str, ...] = HPO_SECTIONS
                ) -> dict[str, Any]:
    """The settings of ``sections`` that decide what a trial means, flattened to dotted keys.

    Budgets, timeouts, device and file locations may change between runs of one experiment
    (and ratios may be added, each with a study of its own); anything else changes the trials.
    """
    flat = flatten(config.model_dump(mode="json", include=set(sections)))
    return {key: value for key, value in flat.items()
            if not any(key == p or key.startswith(p + ".") for p in _NOT_FINGERPRINTED)}


def fingerprint_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: stored -> current`` for every setting that differs.

    A setting that pruneshift gained after the experiment began, left at its default, is no
    difference: the experiment ran as that default.
    """
    defaults = flatten(ExperimentConfig().model_dump(mode="json"))
    keys = sorted(set(stored) | set(current))
    return [f"{k}: {stored.get(k, '<unset>')!r} -> {current.get(k, '<unset>')!r}"
            for k in keys if stored.get(k, "<unset>") != current.get(k, "<unset>")
            and not (k not in stored and k in defaults and current[k] == defaults[k])]
