"""Stages 5 and 6: analysis and report, computed from the storage alone (rebuildable any time)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import faults
from ..analysis import Results, load_run_data, summarise
from ..config import AnalysisConfig, apply_overrides, build_config
from ..errors import ConfigError, StorageError
from ..provenance import environment
from ..report import write_report
from ..storage import StudyKey, open_storage, redact, stages_study_name
from ._context import Run, locate_run, usable_run_dir, write_json
from ._events import Events
from ._outputs import check_outputs
from ._schedule import View, counts, schedule


def analysis_stage(run: Run, events: Events, device: str = "cpu", *,
                   reuse: bool = False, announce: bool = True,
                   models_in: Run | None = None) -> Results:
    """Write landscapes.csv, figures/, report.html, report.md and, last, results.json.

    The results carry their ``signature`` (what they were computed from); with ``reuse``,
    results already written with the same signature are returned as they are (a worker
    finishing right after another). results.json comes last, so a stage cut short (a kill, a
    full disk) leaves none and is redone by the next run.
    """
    signature = signature_of(run)
    written = _written_results(run.run_dir) if reuse else None
    if (written is not None and written.signature == signature
            and not check_outputs(models_in or run, written, events)):
        return written
    data = load_run_data(run.url, run.config.experiment)
    results, table, arrays = summarise(data, run.config.analysis, run.config.settle)
    check_outputs(models_in or run, results, events)  # the run folder's, wherever this writes
    results.environment = environment(device)
    results.signature = signature
    partial = run.run_dir / ".landscapes.csv.tmp"
    table.to_csv(partial, index=False)
    partial.replace(run.run_dir / "landscapes.csv")
    write_report(run.run_dir, results, arrays, data.hpo_trials)
    faults.reached("report")
    write_json(run.run_dir / "results.json", results.to_json())
    if announce:  # a run's closing summary says where the report is, once
        events.stage("report", f"wrote {run.run_dir / 'results.json'}, landscapes.csv "
                     f"({len(table)} rows), report.html, report.md")
    return results


def signature_of(run: Run) -> dict[str, Any]:
    """What results are computed from: the units each stage of the schedule has finished and
    the analysis settings."""
    view = View(run.config, open_storage(run.url))
    done = {stage.name: done for stage, (done, _) in counts(schedule(run.config), view)}
    return {"trials": done, "analysis": run.config.analysis.model_dump(mode="json")}


def _written_results(run_dir: Path) -> Results | None:
    """results.json if it and the report it comes after are there and readable as this
    version's results; else None (the analysis is then written again)."""
    written = run_dir / "results.json"
    if not (written.exists() and (run_dir / "report.html").exists()):
        return None
    try:
        return Results.from_json(json.loads(written.read_text()))
    except (OSError, ValueError, ValidationError):
        return None


def analyze_run(run_dir: Path, *, storage: str | None = None, experiment: str | None = None,
                overrides: list[str] | None = None, events: Events | None = None,
                out: Path | None = None, keep_settings: bool = False) -> Results:
    """Recompute the analysis of a stored run (nothing is trained) and rewrite its outputs.

    ``overrides`` may change ``analysis.*`` settings only (temperature, normalisation,
    epsilon, ...); the rest of the config is the one the run was made with. With
    ``keep_settings`` (``pruneshift report``) the analysis settings of the run folder's
    results.json (as ``analyze`` last wrote them) are kept. ``out`` writes the outputs to
    another folder, leaving the run folder's as they are.
    """
    url, name, _ = locate_run(run_dir, storage, experiment)
    for text in overrides or []:
        if not text.split("=", 1)[0].strip().startswith("analysis."):
            raise ConfigError(f"analyze changes analysis settings only (analysis.*), got "
                              f"'{text}'; re-run the study to change anything else")
    import optuna

    try:
        stored = optuna.load_study(study_name=stages_study_name(name), storage=open_storage(url))
    except KeyError:
        raise StorageError(f"no grid of experiment '{name}' in {redact(url)} yet; run the study "
                           "first") from None
    events = events or Events()
    base = dict(stored.user_attrs[StudyKey.CONFIG])
    if keep_settings:
        kept = _kept_settings(Path(run_dir), AnalysisConfig.model_validate(
            base["analysis"]).model_dump(mode="json"))
        if kept:
            base = {**base, "analysis": {**base["analysis"], **kept}}
            events.stage("report", "keeping the analysis settings `analyze` chose: " + ", ".join(
                f"analysis.{k}={v}" for k, v in kept.items()))
    config = build_config(apply_overrides(base, overrides or []))
    target = usable_run_dir(Path(out)) if out is not None else Path(run_dir)
    return analysis_stage(Run(config, target, url), events, models_in=Run(config, Path(run_dir),
                                                                          url))


def _kept_settings(run_dir: Path, stored: dict[str, Any]) -> dict[str, Any]:
    """The analysis settings of the run folder's results.json that differ from the run's."""
    written = _written_results(run_dir)
    if written is None:
        return {}
    return {k: v for k, v in written.analysis.model_dump(mode="json").items()
            if stored.get(k) != v}
