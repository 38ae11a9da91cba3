"""Stages 5 and 6: analysis and report, computed from the storage alone (rebuildable any time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..analysis import load_run_data, summarise
from ..config import apply_overrides, build_config
from ..errors import ConfigError, StorageError
from ..provenance import environment
from ..report import write_report
from ..storage import (
    JOURNAL_NAME,
    StudyKey,
    default_storage_url,
    open_storage,
    redact,
    stages_study_name,
)
from ._context import Run, write_json
from ._events import Events

STAGES_SUFFIX = stages_study_name("")


def analysis_stage(run: Run, events: Events, device: str = "cpu",
                   signature: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write landscapes.csv, figures/, report.html, report.md and, last, results.json.

    ``signature`` (what the results were computed from) is stored with them, so that a worker
    finishing right after another can reuse its results; results.json comes last, so a stage
    cut short (a kill, a full disk) leaves none and is redone by the next run.
    """
    data = load_run_data(run.url, run.config.experiment)
    results, table, arrays = summarise(data, run.config.analysis)
    results["environment"] = environment(device)
    results["signature"] = signature
    partial = run.run_dir / ".landscapes.csv.tmp"
    table.to_csv(partial, index=False)
    partial.replace(run.run_dir / "landscapes.csv")
    write_report(run.run_dir, results, arrays, data.hpo_trials)
    write_json(run.run_dir / "results.json", results)
    events.stage("report", f"wrote {run.run_dir / 'results.json'}, landscapes.csv "
                 f"({len(table)} rows), report.html, report.md")
    return results


def find_experiment(url: str, preferred: str | None = None) -> str:
    """The experiment stored at ``url``: the only one, or ``preferred`` among several."""
    import optuna

    summaries = optuna.get_all_study_summaries(open_storage(url), include_best_trial=False)
    experiments = sorted(s.study_name.removesuffix(STAGES_SUFFIX) for s in summaries
                         if s.study_name.endswith(STAGES_SUFFIX))
    if preferred in experiments:
        return preferred
    if len(experiments) == 1:
        return experiments[0]
    if not experiments:
        raise StorageError(f"no finished grid in {redact(url)}: run `pruneshift run` first")
    raise StorageError(f"{redact(url)} holds several experiments ({', '.join(experiments)}); "
                       "name one with --experiment")


def analyze_run(run_dir: Path, *, storage: str | None = None, experiment: str | None = None,
                overrides: list[str] | None = None, events: Events | None = None
                ) -> dict[str, Any]:
    """Recompute the analysis of a stored run (nothing is trained) and rewrite its outputs.

    ``overrides`` may change ``analysis.*`` settings only (temperature, normalisation,
    epsilon, ...); the rest of the config is the one the run was made with.
    """
    url = storage or default_storage_url(run_dir)
    if storage is None and not (Path(run_dir) / JOURNAL_NAME).exists():
        raise StorageError(f"{run_dir} holds no {JOURNAL_NAME}; pass --storage URL for a run "
                           "stored elsewhere")
    name = find_experiment(url, experiment)
    for text in overrides or []:
        if not text.split("=", 1)[0].strip().startswith("analysis."):
            raise ConfigError(f"analyze changes analysis settings only (analysis.*), got "
                              f"'{text}'; re-run the study to change anything else")
    import optuna

    stored = optuna.load_study(study_name=stages_study_name(name), storage=open_storage(url))
    config = build_config(apply_overrides(dict(stored.user_attrs[StudyKey.CONFIG]),
                                          overrides or []))
    return analysis_stage(Run(config, Path(run_dir), url), events or Events())
