"""How each log-scaled optimum moves with pruning, as a rule that predicts untrained ratios.

For a log-scaled hyperparameter with optimum opt(r) at ratio r (the recipe's refined value)
and w(r) the share of channels kept, three forms compete, each anchored at the dense optimum:

- ``power``: opt(r) = opt(0) · w(r)^k, the form width-scaling theory states (µP: a hidden
  layer's Adam learning rate ∝ 1/width, k = -1; standard parametrisation with cross-entropy:
  k = -1/2; SGD under µP: k = 0);
- ``log-linear``: log10 opt(r) = log10 opt(0) + b · r;
- ``none``: opt(r) = opt(0).

A form that moves is chosen only where the data show a move (its slope's interval excludes
0); among those and ``none``, the one with the smallest leave-one-ratio-out error: each pruned
ratio's optimum predicted from the other ratios' fit and compared with the measured one (in
decades). Each form's uncertainty is a parametric bootstrap: every trained run drawn afresh
with its ratio's pooled single-run noise, the optima found again (the anchor among them) and
the slope refitted; a prediction's interval carries both the anchor's and the slope's error.
Beyond the trained ratios the forms part ways (a power law in the channels kept runs off as
they vanish, a log-linear move does not), so an extrapolated interval spans every form's. The
check that counts for a user: the leave-one-ratio-out
prediction of the whole recipe, snapped to the grid, and its regret on that ratio's measured
grid, next to the regret of keeping the dense values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from scipy.stats import norm

from ..errors import AnalysisError
from ..search import Grid
from ._actions import Recipe, Transfer, TransferFit, TransferForm, TransferRatio
from ._inference import claim_level
from ._landscape import Landscape, seed_mean
from ._noise import trained_runs
from ._recipe import position_of, refined_point
from ._regret import kept_point, pooled_variance, regret
from ._results import Results

FORMS = ("none", "log-linear", "power")  # in order of preference where errors tie
MIN_WIDTH = 1e-3  # an extrapolated share of channels kept never reaches zero


def _regressor(form: str, ratios: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The one variable a form's log10 move is proportional to."""
    if form == "power":
        return np.log10(widths)
    if form == "log-linear":
        return ratios
    return np.zeros_like(ratios)


def slope(form: str, ratios: np.ndarray, widths: np.ndarray, moves: np.ndarray) -> float:
    """Least squares through the dense optimum: ``moves`` (decades) against the regressor."""
    x = _regressor(form, ratios, widths)
    denominator = float(np.sum(x * x))
    return float(np.sum(x * moves) / denominator) if denominator > 0 else 0.0


def move(form: str, fitted: float, ratio: float, width: float) -> float:
    """The predicted move of log10 opt at ``ratio`` (``width`` of the channels kept)."""
    return fitted * float(_regressor(form, np.array([ratio]), np.array([width]))[0])


def loro_error(form: str, ratios: np.ndarray, widths: np.ndarray, moves: np.ndarray
               ) -> float | None:
    """Root mean square, over pruned ratios, of the error of predicting each ratio's move from
    the fit to the others (decades); None with fewer than two pruned ratios."""
    if len(ratios) < 2:
        return None
    errors = []
    for i in range(len(ratios)):
        others = np.arange(len(ratios)) != i
        fitted = slope(form, ratios[others], widths[others], moves[others])
        errors.append(move(form, fitted, ratios[i], widths[i]) - moves[i])
    return float(np.sqrt(np.mean(np.square(errors))))


def _moves(grid: Grid, axis: int, means: dict[float, np.ndarray]) -> np.ndarray | None:
    """Each pruned ratio's refined optimum along ``axis`` minus the dense one, in decades."""
    name = grid.axes[axis].name
    points = {r: refined_point(grid, m) for r, m in means.items()}
    if any(p is None for p in points.values()):
        return None
    dense = np.log10(points[0.0][name])
    return np.array([np.log10(points[r][name]) - dense for r in sorted(means) if r > 0])


def _forms(ratios: np.ndarray, widths: np.ndarray, moves: np.ndarray,
           draws: dict[str, list[tuple[float, float]]] | None = None, alpha: float = 0.05
           ) -> dict[str, TransferForm]:
    """Every form fitted to ``moves``; with bootstrap ``draws`` of (anchor, slope), their
    covariance and the slope's (1 - alpha) interval."""
    draws = draws or {}
    forms = {}
    for form in FORMS:
        interval = covariance = None
        if len(draws.get(form, [])) >= 2:
            pairs = np.array(draws[form])
            matrix = np.cov(pairs, rowvar=False)
            covariance = (float(matrix[0, 0]), float(matrix[1, 1]), float(matrix[0, 1]))
            if form != "none":
                low, high = np.quantile(pairs[:, 1], [alpha / 2, 1 - alpha / 2])
                interval = (float(low), float(high))
        forms[form] = TransferForm(slope=slope(form, ratios, widths, moves),
                                   slope_interval=interval,
                                   loro_error=loro_error(form, ratios, widths, moves),
                                   covariance=covariance)
    return forms


def _shows_a_move(form: TransferForm) -> bool:
    """Whether the form's slope interval excludes no move (0)."""
    interval = form.slope_interval
    return interval is not None and not interval[0] <= 0.0 <= interval[1]


def _chosen(forms: dict[str, TransferForm]) -> str:
    """``none``, or a moving form whose slope interval excludes 0, whichever has the smallest
    leave-one-ratio-out error (the simpler one on a tie); with no interval to go by (a
    leave-one-out refit), the smallest error alone decides."""
    bootstrapped = any(forms[f].slope_interval is not None for f in FORMS if f != "none")
    candidates = [f for f in FORMS if f == "none" or not bootstrapped
                  or _shows_a_move(forms[f])]
    errors = {f: forms[f].loro_error for f in candidates if forms[f].loro_error is not None}
    if not errors:
        return "none"
    return min(errors, key=lambda f: (round(errors[f], 12), FORMS.index(f)))


def _noisy_means(arrays: dict[float, Landscape], replicates: int, rng: np.random.Generator
                 ) -> Iterator[dict[float, np.ndarray]]:
    """Mean landscapes drawn as the seeds could have come out: every trained run afresh around
    its point's mean with its ratio's pooled single-run noise (a parametric bootstrap, as the
    regret's; resampling three seeds gives too few distinct replicates to cover)."""
    noise = {r: pooled_variance(trained_runs(a))[0] for r, a in arrays.items()}
    if any(not np.isfinite(v) for v in noise.values()):
        return
    for _ in range(replicates):
        means = {}
        for ratio, landscape in arrays.items():
            trained = trained_runs(landscape)
            truth = seed_mean(trained)[..., None]
            drawn = truth + rng.normal(0.0, np.sqrt(noise[ratio]), size=trained.shape)
            means[ratio] = seed_mean(np.where(np.isfinite(trained), drawn, landscape.accuracy))
        yield means


def _fit(grid: Grid, axis: int, arrays: dict[float, Landscape], widths: np.ndarray,
         alpha: float, replicates: list[dict[float, np.ndarray]]
         ) -> tuple[TransferFit, np.ndarray] | None:
    """One axis's rule and the measured moves it was fitted to."""
    ratios = np.array(sorted(r for r in arrays if r > 0))
    moves = _moves(grid, axis, {r: a.mean() for r, a in arrays.items()})
    if moves is None:
        return None
    name = grid.axes[axis].name
    draws: dict[str, list[tuple[float, float]]] = {form: [] for form in FORMS}
    for means in replicates:
        resampled, anchor = _moves(grid, axis, means), refined_point(grid, means[0.0])
        if resampled is not None and anchor is not None:
            for form in FORMS:
                draws[form].append((np.log10(anchor[name]),
                                    slope(form, ratios, widths, resampled)))
    forms = _forms(ratios, widths, moves, draws, alpha)
    dense = refined_point(grid, arrays[0.0].mean())[name]
    return TransferFit(dense=dense, chosen=_chosen(forms), forms=forms), moves


def predict(transfer: Transfer, recipes: dict[float, Recipe], ratio: float, width: float
            ) -> dict[str, Any]:
    """The predicted recipe at ``ratio``: each fitted axis by its chosen rule, every other
    hyperparameter as the nearest trained ratio's recipe."""
    nearest = min(recipes, key=lambda r: (abs(r - ratio), r))
    params = dict(recipes[nearest].params)
    for name, fit in transfer.fits.items():
        params[name] = fit.dense * 10 ** move(fit.chosen, fit.forms[fit.chosen].slope, ratio,
                                              width)
    return params


def _snapped(grid: Grid, params: dict[str, Any]) -> tuple[int, ...]:
    """The grid point nearest to ``params`` (nearest in log10 on a log axis)."""
    return tuple(int(np.clip(round(position_of(a, params[a.name])), 0, len(a.values) - 1))
                 for a in grid.axes)


def _held_out(fits: dict[str, TransferFit], moves: dict[str, np.ndarray], ratios: np.ndarray,
              widths: np.ndarray, keep: np.ndarray) -> Transfer:
    """The rule fitted without one ratio: slopes refitted, each form chosen again where the
    remaining ratios allow a leave-one-out error (else the full fit's choice is kept)."""
    held = {}
    for name, fit in fits.items():
        forms = _forms(ratios[keep], widths[keep], moves[name][keep])
        chosen = _chosen(forms) if keep.sum() >= 2 else fit.chosen
        held[name] = fit.model_copy(update={"forms": forms, "chosen": chosen})
    return Transfer(fits=held, ratios=[])


def transfer(grid: Grid, arrays: dict[float, Landscape], recipes: dict[float, Recipe],
             widths: dict[float, float], *, alpha: float, epsilon: float, replicates: int,
             rng: np.random.Generator) -> Transfer | None:
    """The transfer rule of every log-scaled axis and its leave-one-ratio-out check;
    ``widths`` is the share of channels kept at each trained ratio."""
    pruned = np.array(sorted(r for r in arrays if r > 0))
    if 0.0 not in arrays or not len(pruned) or set(recipes) != set(arrays):
        return None
    kept = np.array([widths[r] for r in pruned])
    noisy = list(_noisy_means(arrays, replicates, rng))  # one set of replicates for every axis
    fits, moves = {}, {}
    for axis, grid_axis in enumerate(grid.axes):
        if grid_axis.log and grid_axis.kind != "categorical":
            fitted = _fit(grid, axis, arrays, kept, alpha, noisy)
            if fitted is not None:
                fits[grid_axis.name], moves[grid_axis.name] = fitted
    trained = [TransferRatio(ratio=0.0, width=widths[0.0], moves=dict.fromkeys(fits, 0.0))]
    for i, ratio in enumerate(pruned):
        check = None
        if len(pruned) >= 2 and fits:
            keep = np.arange(len(pruned)) != i
            rule = _held_out(fits, moves, pruned, kept, keep)
            predicted = predict(rule, {r: recipes[r] for r in [0.0, *pruned[keep]]}, ratio,
                                kept[i])
            landscape = arrays[ratio]
            check = regret(landscape.accuracy, kept_point(grid.shape, _snapped(grid, predicted)),
                           alpha=alpha, epsilon=epsilon, rng=rng, replicates=replicates,
                           claim_level=claim_level(alpha), trained=trained_runs(landscape))
        trained.append(TransferRatio(ratio=ratio, width=kept[i],
                                     moves={n: float(m[i]) for n, m in moves.items()},
                                     predicted_regret=check))
    return Transfer(fits=fits, ratios=trained)


class Prediction(NamedTuple):
    """A predicted optimum with its interval (the anchor's and the slope's bootstrap error;
    beyond the trained ratios, the span of every form's)."""

    value: float
    low: float | None  # None where the rule has no bootstrap (one seed)
    high: float | None
    form: str
    anchor: float  # the dense optimum, refined between grid points, that the rule moves from
    extrapolated: bool = False


def width_at(rule: Transfer, ratio: float) -> float:
    """The share of channels kept at ``ratio``: interpolated between the trained ratios,
    extrapolated along the last two beyond them."""
    ratios, widths = zip(*sorted((r.ratio, r.width) for r in rule.ratios), strict=True)
    if ratio <= ratios[-1] or len(ratios) < 2:
        return float(np.interp(ratio, ratios, widths))
    step = (widths[-1] - widths[-2]) / (ratios[-1] - ratios[-2])
    return max(widths[-1] + step * (ratio - ratios[-1]), MIN_WIDTH)


def form_interval(fit: TransferFit, form: str, ratio: float, width: float, alpha: float
                  ) -> tuple[float, float] | None:
    """One form's (1 - alpha) interval of the optimum at ``ratio``, from the bootstrap
    covariance of its anchor and slope (log10, normal); None without a bootstrap."""
    fitted = fit.forms[form]
    if fitted.covariance is None:
        return None
    anchor_var, slope_var, both = fitted.covariance
    x = float(_regressor(form, np.array([ratio]), np.array([width]))[0])
    centre = np.log10(fit.dense) + fitted.slope * x
    half = float(norm.isf(alpha / 2)) * np.sqrt(max(anchor_var + x * x * slope_var
                                                    + 2 * x * both, 0.0))
    return float(10 ** (centre - half)), float(10 ** (centre + half))


def prediction(fit: TransferFit, ratio: float, width: float, *, largest: float,
               alpha: float) -> Prediction:
    """The optimum the rule predicts at ``ratio``; beyond ``largest`` (the largest trained
    ratio) its interval spans every form's, as the forms part ways there."""
    value = fit.dense * 10 ** move(fit.chosen, fit.forms[fit.chosen].slope, ratio, width)
    beyond = ratio > largest
    intervals = [form_interval(fit, f, ratio, width, alpha)
                 for f in (FORMS if beyond else (fit.chosen,))]
    found = [i for i in intervals if i is not None]
    low = min((i[0] for i in found), default=None)
    high = max((i[1] for i in found), default=None)
    return Prediction(value, low, high, fit.chosen, fit.dense, beyond)


def recommend(results: Results, ratio: float, *, extrapolate: bool = False
              ) -> tuple[dict[str, Any], dict[str, Prediction]]:
    """The predicted recipe at an untrained ``ratio`` and, per fitted hyperparameter, its
    prediction with an interval; beyond the trained ratios only with ``extrapolate``."""
    rule = results.transfer
    if rule is None or not rule.fits:
        raise AnalysisError("this run has no transfer rule (it needs a finished study with "
                            "at least one pruned ratio and a log-scaled grid axis)")
    largest = max(r.ratio for r in rule.ratios)
    if not 0 <= ratio < 1:
        raise AnalysisError(f"ratio {ratio:g} is not a pruning ratio; allowed: 0 <= ratio < 1")
    if ratio > largest and not extrapolate:
        raise AnalysisError(f"ratio {ratio:g} lies {ratio - largest:.3g} beyond the largest "
                            f"trained ratio {largest:g}; pass --extrapolate to predict it anyway")
    width = width_at(rule, ratio)
    recipes = {r: e.recipe for r, e in results.ratios.items() if e.recipe is not None}
    params = predict(rule, recipes, ratio, width)
    predictions = {name: prediction(fit, ratio, width, largest=largest, alpha=results.alpha)
                   for name, fit in rule.fits.items()}
    return params, predictions
