"""results.json does not drift: the synthetic example's results, field by field, against those
written by commit f43e9de (before the interfaces were given owners; issue 16).

The synthetic task trains nothing, so every number is a function of the seeds and is the same on
every machine (to rounding). A key renamed on purpose is listed in ``RENAMED`` and in
docs/results.md; anything else that differs is a regression.
"""

import json
import math
from pathlib import Path

from pruneshift.config import load_config
from pruneshift.pipeline import run_study

from ..conftest import SYNTHETIC

GOLDEN = Path(__file__).parent / "golden" / "synthetic-results.json"
MACHINE_SPECIFIC = {"environment"}
RENAMED: dict[str, str] = {}  # old dotted path -> new dotted path


def flatten(value, prefix=""):
    if isinstance(value, dict):
        flat = {}
        for key, child in value.items():
            flat.update(flatten(child, f"{prefix}{key}."))
        return flat or {prefix.rstrip("."): {}}
    if isinstance(value, list):
        flat = {}
        for index, child in enumerate(value):
            flat.update(flatten(child, f"{prefix}{index}."))
        return flat or {prefix.rstrip("."): []}
    return {prefix.rstrip("."): value}


def renamed(path: str) -> str:
    for old, new in RENAMED.items():
        if path == old or path.startswith(old + "."):
            return new + path[len(old):]
    return path


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_the_synthetic_results_equal_those_before_the_refactoring(tmp_path):
    written = run_study(load_config(SYNTHETIC), out=tmp_path)
    assert written == json.loads((tmp_path / "results.json").read_text())
    golden = {renamed(k): v for k, v in flatten(json.loads(GOLDEN.read_text())).items()}
    now = flatten({k: v for k, v in written.items() if k not in MACHINE_SPECIFIC})
    assert sorted(now) == sorted(golden)
    differ = {k: (golden[k], now[k]) for k in golden if not same(golden[k], now[k])}
    assert not differ
