"""The deployed models: each ratio's re-tuned model in ONNX, checked and timed."""

from __future__ import annotations

from ..analysis import Deployment, Results, Timing
from ._text import pct


def _ms(timings: list[Timing] | None, batch: int) -> str:
    found = next((t for t in timings or [] if t.batch == batch), None)
    return "–" if found is None else f"{found.median_ms:.3f} / {found.p90_ms:.3f}"


def deployment_rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """Per ratio: the point trained, accuracy (again / in the grid), file, agreement, timings."""
    batches = sorted({t.batch for e in results.ratios.values() if e.deployment
                      for t in (e.deployment.torch or [])})
    large = batches[-1] if batches else 1
    with_litert = any(e.deployment and e.deployment.litert for e in results.ratios.values())
    rows = []
    for ratio, entry in results.ratios.items():
        deployed = entry.deployment
        if deployed is None or deployed.artifact_id is None:
            continue
        onnx, litert = deployed.onnx, deployed.litert
        point = ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                          for k, v in (deployed.params or {}).items())
        rows.append([
            f"{ratio:g}", point, _accuracy(deployed.val_accuracy), _expected(deployed),
            "–" if onnx is None else f"{onnx.size_bytes / 1000:.1f}",
            "–" if onnx is None else f"{onnx.max_abs_diff:.1e} / {100 * onnx.agreement:.1f} %",
            _ms(onnx.timings if onnx else None, 1), _ms(onnx.timings if onnx else None, large),
            _ms(deployed.torch, 1), _ms(deployed.torch, large)]
            + ([] if not with_litert else [
                "–" if litert is None else f"{litert.size_bytes / 1000:.1f}",
                "–" if litert is None else
                f"{litert.max_abs_diff:.1e} / {100 * litert.agreement:.1f} %",
                _ms(litert.timings if litert else None, 1),
                _ms(litert.timings if litert else None, large)]))
    headers = ["ratio", "trained with (the recipe)", "validation accuracy %",
               "test accuracy %: this model / the recipe over fresh seeds", "ONNX kB",
               "max |Δ logit| / same class",
               "ONNX Runtime ms, batch 1, 1 thread (median / p90)",
               f"ONNX Runtime ms, batch {large}, 1 thread", "PyTorch eager ms, batch 1, 1 thread",
               f"PyTorch eager ms, batch {large}, 1 thread"]
    if with_litert:
        headers += ["LiteRT kB", "LiteRT max |Δ logit| / same class (first 1,000)",
                    "LiteRT ms, batch 1, 1 thread", f"LiteRT ms, batch {large}, 1 thread"]
    return headers, rows


def _accuracy(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _expected(deployed: Deployment) -> str:
    """'98.6 / 98.4 ± 0.4': this model's test accuracy, and the recipe's mean and one run's
    spread over the settle stage's fresh seeds."""
    if deployed.expected_test is None:
        return _accuracy(deployed.test_accuracy)
    return (f"{_accuracy(deployed.test_accuracy)} / {100 * deployed.expected_test:.1f} ± "
            f"{100 * (deployed.expected_spread or 0):.1f}")


def deployment_words(results: Results) -> list[str]:
    notes = sorted({e.deployment.note for e in results.ratios.values()
                    if e.deployment is not None and e.deployment.note})
    words = ["Each ratio's model trained with the ratio's recipe (recipes/r=<ratio>.yaml): "
             "for a pruned ratio the settle stage's run on its first fresh seed, kept when it "
             "was trained; for the dense model trained once, alone. Its test accuracy stands "
             "beside the recipe's mean over the settle stage's seeds and one run's spread, so "
             "an unlucky seed shows. Each is exported to ONNX (models/r=<ratio>.onnx), compared "
             "with PyTorch on the validation split, and timed on one CPU thread after 10 "
             "warm-up runs, in ONNX Runtime (what is deployed) and in PyTorch eager."]
    return words + notes


def budget_words(results: Results) -> list[str]:
    """The best ratio under the user's budget, in one sentence."""
    choice = results.choice
    if choice is None:
        return []
    asked = ", ".join(f"{k} ≤ {v:.3g}" for k, v in choice.budget.items())
    if choice.ratio is None:
        return [f"No pruned model fits the budget {asked}."]
    kept = ("" if choice.kept_accuracy is None else
            f" ({100 * choice.kept_accuracy:.2f} % with the dense hyperparameters kept)")
    costs = ", ".join(f"{k} {v:.3g}" for k, v in choice.costs.items() if v is not None)
    return [f"Under the budget {asked}: prune to {pct(choice.ratio)} and train with "
            f"recipes/r={choice.ratio:g}.yaml; it reaches {100 * choice.accuracy:.2f} % "
            f"validation accuracy{kept} at {costs}."]
