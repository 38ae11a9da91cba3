"""The known-answer task: accuracy is an analytic function of the hyperparameters and the ratio.

    truth(h, r) = peak - peak_drop*r - sum_i curvature_i * (u_i - u*_i - shift_i*r)^2

u is a hyperparameter in log10 units where its search space is log-scaled (raw units
otherwise), u* the dense optimum. One run at (h, r) with seed s scores, on each split,

    acc(h, r, s) = truth(h, r) + seed_effect*a(s, r) + training_noise*b(s, r, h) + sampling

with a, b standard normals drawn from generators seeded by the seed, the ratio and the point,
so every (point, seed) has its own reproducible noise:

- a(s, r) is the seed's luck, shared by every grid point (a seed fixes initialisation and data
  order for all of them), correlated ``seed_correlation`` across ratios;
- b(s, r, h) is the run's own training noise, shared by its validation and test scores;
- sampling is which examples of the split the run happened to get right: ``noise*eps`` with
  eps a standard normal of the split (``seed_correlation`` of it shared across ratios), or,
  with ``examples`` N, per-example outcomes: example i of a split is right where
  ``spread*d_i + interaction*g_i*x + e_i < t``, d_i its fixed difficulty, g_i how its
  difficulty changes with the point's distance x from the optimum, e_i the run's own draw,
  and t set so that the expected accuracy over examples is the run's.

Noise may vary over the grid: ``noise_growth`` scales it by 10**(g*(u - u*)) along an axis
(noisier at large learning rates), ``noise_near_optimum`` multiplies it within
``near_optimum_width`` of the moving optimum on every axis (near-diverging rates). Runs can be
made to diverge in a region of the grid (``diverge_above``, from a ratio ``diverge_from`` on),
as heavy pruning at a large learning rate does. Selected with ``data.name: synthetic``; the whole
study runs on it in seconds, and every metric can be checked against the shift it was given.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtri

from .config import ExperimentConfig

if TYPE_CHECKING:
    from .search import Grid

DEFAULT_CURVATURE = 0.02  # accuracy lost one unit (a decade for log axes) away from the optimum
LEARNING_CURVE_START = 0.1  # epoch 1 of E scores this much below the final value, decreasing
SPLITS = ("val", "test")
POOL_FACTOR = 4  # a split's pool of examples, in multiples of those a run is scored on


@dataclass(frozen=True)
class SyntheticRun:
    """One run's scores on the validation and test splits, and, with ``synthetic.examples``,
    its per-example outcomes there."""

    val_accuracy: float
    test_accuracy: float
    val_correct: np.ndarray | None = None
    test_correct: np.ndarray | None = None


def coordinate(config: ExperimentConfig, name: str, value: float) -> float:
    """A hyperparameter in the task's units: log10 for log-scaled ones, raw otherwise."""
    return math.log10(value) if config.search_space[name].log else float(value)


def _generator(*key: Any) -> np.random.Generator:
    digest = hashlib.sha256(json.dumps(key, default=str).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _normal(*key: Any) -> float:
    return float(_generator(*key).standard_normal())


def _correlated(shared: float, own: tuple[Any, ...], common: tuple[Any, ...]) -> float:
    """A standard normal whose share ``shared`` of the variance is the ``common`` draw."""
    value = _normal(*own)
    if shared == 0:
        return value
    return math.sqrt(shared) * _normal(*common) + math.sqrt(1 - shared) * value


def offsets(config: ExperimentConfig, params: dict[str, Any], ratio: float) -> dict[str, float]:
    """Each hyperparameter's distance from the optimum at ``ratio``, in the task's units."""
    task = config.synthetic
    return {name: coordinate(config, name, params[name]) - coordinate(config, name, optimum)
            - task.shift.get(name, 0.0) * ratio for name, optimum in task.optimum.items()}


def truth(config: ExperimentConfig, params: dict[str, Any], ratio: float) -> float:
    """The expected accuracy at ``params`` and ``ratio``: no seed, no noise."""
    task = config.synthetic
    value = task.peak - task.peak_drop * ratio
    for name, offset in offsets(config, params, ratio).items():
        value -= task.curvature.get(name, DEFAULT_CURVATURE) * offset ** 2
    return value


def noise_scale(config: ExperimentConfig, params: dict[str, Any], ratio: float) -> float:
    """How much noisier than ``noise`` a run at ``params`` is (1 where the noise is even)."""
    task = config.synthetic
    scale = 1.0
    for name, growth in task.noise_growth.items():
        dense = coordinate(config, name, task.optimum[name])
        scale *= 10 ** (growth * (coordinate(config, name, params[name]) - dense))
    if task.noise_near_optimum != 1 and all(
            abs(v) <= task.near_optimum_width for v in offsets(config, params, ratio).values()):
        scale *= task.noise_near_optimum
    return scale


def test_ids(config: ExperimentConfig, resplit: int | None = None) -> np.ndarray:
    """Which examples of the task's test pool (``POOL_FACTOR`` times ``examples``) a run is
    scored on: the first ``examples``, or with ``resplit`` k a draw of its own, as a dataset
    without an official test set draws its test examples afresh."""
    count = config.synthetic.examples
    if resplit is None:
        return np.arange(count)
    return np.sort(_generator(config.seed, "resplit", resplit).choice(
        POOL_FACTOR * count, size=count, replace=False))


def run(config: ExperimentConfig, params: dict[str, Any], ratio: float, seed: int,
        resplit: int | None = None) -> SyntheticRun:
    """One run's validation and test scores at ``params``, pruning ``ratio`` and ``seed``
    (its test examples drawn afresh with ``resplit``, see ``test_ids``)."""
    task = config.synthetic
    point = sorted(params.items())
    scale = noise_scale(config, params, ratio)
    expected = truth(config, params, ratio)
    if task.seed_effect:
        expected += task.seed_effect * _correlated(task.seed_correlation, (seed, ratio, "effect"),
                                                   (seed, "effect"))
    if task.training_noise:
        expected += task.training_noise * scale * _normal(seed, ratio, point, "training")
    if task.examples:
        position = sum(offsets(config, params, ratio).values())  # signed: which side of h*
        chosen = {"val": np.arange(task.examples), "test": test_ids(config, resplit)}
        correct = {split: _outcomes(config, expected, position, split, (seed, ratio, point),
                                    chosen[split]) for split in SPLITS}
        return SyntheticRun(float(correct["val"].mean()), float(correct["test"].mean()),
                            correct["val"], correct["test"])
    sampled = {split: expected + task.noise * scale * _correlated(
        task.seed_correlation, (seed, ratio, point, *_tag(split)),
        (seed, "shared", point, *_tag(split))) for split in SPLITS}
    return SyntheticRun(sampled["val"], sampled["test"])


def _tag(split: str) -> tuple[str, ...]:
    """The key suffix of a split's draws (none for validation: its draws predate the test's)."""
    return () if split == "val" else (split,)


def _outcomes(config: ExperimentConfig, expected: float, position: float, split: str,
              run_key: tuple[Any, ...], chosen: np.ndarray) -> np.ndarray:
    """Per-example outcomes of one run on the ``chosen`` examples of ``split``'s pool, where its
    expected accuracy is ``expected``; each example's own slope times the point's signed
    ``position`` off the optimum makes points on either side get different examples right."""
    task = config.synthetic
    pool = POOL_FACTOR * task.examples
    examples = _generator(config.seed, "examples", split)
    difficulty = examples.standard_normal(pool)[chosen]
    slopes = examples.standard_normal(pool)[chosen]
    own = _generator(*run_key, split, "examples").standard_normal(pool)[chosen]
    spread, interaction = task.example_spread, task.example_interaction * position
    p = min(max(expected, 1e-9), 1 - 1e-9)
    cut = math.sqrt(1 + spread ** 2 + interaction ** 2) * float(ndtri(p))
    return spread * difficulty + interaction * slopes + own < cut


def accuracy(config: ExperimentConfig, params: dict[str, Any], ratio: float, seed: int) -> float:
    """The task's validation accuracy at hyperparameters ``params``, ``ratio`` and ``seed``."""
    return run(config, params, ratio, seed).val_accuracy


def diverges(config: ExperimentConfig, params: dict[str, Any], ratio: float) -> bool:
    """Whether a run diverges: some hyperparameter above its ``diverge_above`` value, at a
    ratio of at least ``diverge_from``."""
    task = config.synthetic
    return ratio >= task.diverge_from and any(
        params[name] > limit for name, limit in task.diverge_above.items())


def optimum_at(config: ExperimentConfig, ratio: float) -> dict[str, float]:
    """Where the task's optimum lies at ``ratio``, in hyperparameter units."""
    task = config.synthetic
    moved = {}
    for name, optimum in task.optimum.items():
        u = coordinate(config, name, optimum) + task.shift.get(name, 0.0) * ratio
        moved[name] = 10 ** u if config.search_space[name].log else u
    return moved


def learning_curve(final: float, epochs: int) -> list[float]:
    """Per-epoch values rising linearly to ``final``, so Hyperband has something to compare."""
    return [final - LEARNING_CURVE_START * (1 - e / epochs) for e in range(1, epochs + 1)]


def grid_runs(config: ExperimentConfig, grid: Grid, ratio: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, seed) of ``grid`` at ``ratio``: validation accuracies (0 where diverged)
    and the divergence flags, shaped (*grid.shape, seeds) like a landscape."""
    shape = (*grid.shape, len(grid.seeds))
    values, diverged = np.zeros(shape), np.zeros(shape, dtype=bool)
    for point, index in zip(grid.points(), grid.positions(), strict=True):
        params = {**grid.fixed, **point}
        for s, seed in enumerate(grid.seeds):
            diverged[(*index, s)] = diverges(config, params, ratio)
            if not diverged[(*index, s)]:
                values[(*index, s)] = accuracy(config, params, ratio, seed)
    return values, diverged


def true_mean(config: ExperimentConfig, grid: Grid, ratio: float) -> np.ndarray:
    """The noise-free accuracy at every grid point (0 where runs diverge)."""
    values = np.zeros(grid.shape)
    for point, index in zip(grid.points(), grid.positions(), strict=True):
        params = {**grid.fixed, **point}
        values[index] = 0.0 if diverges(config, params, ratio) else truth(config, params, ratio)
    return values

