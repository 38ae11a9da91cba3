"""The deployed models: each ratio's re-tuned model in ONNX, checked and timed."""

from __future__ import annotations

from ..analysis import Results, Timing
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
        again = "–" if deployed.val_accuracy is None else f"{deployed.val_accuracy:.4f}"
        grid = "–" if deployed.grid_val_accuracy is None else f"{deployed.grid_val_accuracy:.4f}"
        rows.append([
            f"{ratio:g}", point, f"{again} / {grid}",
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
    headers = ["ratio", "trained at", "validation accuracy (again / in the grid)", "ONNX kB",
               "max |Δ logit| / same class", "ONNX Runtime ms, batch 1 (median / p90)",
               f"ONNX Runtime ms, batch {large}", "PyTorch ms, batch 1",
               f"PyTorch ms, batch {large}"]
    if with_litert:
        headers += ["LiteRT kB", "LiteRT max |Δ logit| / same class (first 1,000)",
                    "LiteRT ms, batch 1", f"LiteRT ms, batch {large}"]
    return headers, rows


def deployment_words(results: Results) -> list[str]:
    notes = sorted({e.deployment.note for e in results.ratios.values()
                    if e.deployment is not None and e.deployment.note})
    words = ["Each ratio's model trained once more at its best grid point, alone, with the "
             "grid's first seed (so its accuracy can be checked against the grid's), kept as an "
             "artifact, exported to ONNX (models/r=<ratio>.onnx), compared with PyTorch on the "
             "validation split, and timed on one CPU thread after 10 warm-up runs."]
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
