"""The command line: turns arguments into a config and calls the pipeline; nothing more.

Heavy modules (torch, optuna) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(help="Measure how structured pruning shifts a network's optimal "
                  "training hyperparameters.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
console = Console()
errors = Console(stderr=True)

ConfigArg = Annotated[Path | None, typer.Argument(
    help="Experiment YAML file; without it, the built-in default (digits, cnn).",
    show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a field: dotted.key=value (YAML-typed), repeatable.",
    show_default=False)]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Run folder (default: runs/<experiment>).", show_default=False)]
StorageOpt = Annotated[str | None, typer.Option(
    "--storage", help="Optuna storage URL (default: a journal file in the run folder).",
    show_default=False)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def _guarded(debug: bool, action: Callable[[], Any]) -> Any:
    """Run ``action``; a pruneshift error becomes one line on stderr and exit code 2."""
    from .errors import PruneshiftError

    try:
        return action()
    except PruneshiftError as exc:
        if debug:
            raise
        errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        errors.print("interrupted: finished trials are kept; run the same command to continue")
        raise typer.Exit(130) from None


class TrialProgress:
    """A rich progress line for an HPO study: done/pruned/failed, best so far, time left."""

    def __init__(self, total: int, timeout: float | None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.total, self.timeout = total, timeout
        self.started = time.monotonic()
        self.finished_here = 0
        self.progress = Progress(TextColumn("[bold]HPO"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), console=errors,
                                 transient=False)
        self.task = self.progress.add_task("hpo", total=total, status="starting")

    def __enter__(self) -> TrialProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, study: Any) -> None:
        """Show the bar once the study is open, counting trials already finished."""
        self.started = time.monotonic()
        self.progress.start()
        self._update(study)

    def _time_left(self, remaining: int) -> str:
        elapsed = time.monotonic() - self.started
        estimate = elapsed / self.finished_here * remaining if self.finished_here else None
        if self.timeout is not None:
            budget = max(0.0, self.timeout - elapsed)
            estimate = budget if estimate is None else min(estimate, budget)
        return "?" if estimate is None else time.strftime("%H:%M:%S", time.gmtime(estimate))

    def __call__(self, study: Any, trial: Any) -> None:
        self.finished_here += 1
        self._update(study)

    def _update(self, study: Any) -> None:
        from . import search

        counts = search.state_counts(study)
        done = counts["complete"] + counts["pruned"]
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:
            best = "-"
        status = (f"complete {counts['complete']} · pruned {counts['pruned']} · "
                  f"failed {counts['fail']} · best {best} · "
                  f"left {self._time_left(max(0, self.total - done))}")
        self.progress.update(self.task, completed=min(done, self.total), status=status)


def _print_hpo(summary: dict[str, Any], path: Path) -> None:
    from rich.table import Table

    table = Table(title=f"HPO · {summary['experiment']} · {summary['method']}", show_header=False)
    best = summary["best"]
    table.add_row("best validation accuracy", "-" if best is None else f"{best['value']:.4f}")
    if best is not None:
        for name, value in best["params"].items():
            table.add_row(f"  {name}", f"{value:.4g}" if isinstance(value, float) else str(value))
        if best["test_accuracy"] is not None:
            table.add_row("test accuracy of that trial", f"{best['test_accuracy']:.4f}")
    table.add_row("trials", ", ".join(f"{k} {v}" for k, v in summary["trials"].items() if v))
    table.add_row("epochs spent", str(summary["epochs_spent"]))
    table.add_row("wall time", f"{summary['wall_seconds']:.1f} s")
    table.add_row("written", str(path))
    console.print(table)


@app.command()
def hpo(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
        storage: StorageOpt = None, debug: DebugOpt = False) -> None:
    """Stage 1: tune the dense model (bo, tpe, bohb or random); re-running continues the study."""

    def action() -> None:
        import optuna

        from .config import load_config
        from .pipeline import run_dir_for, run_hpo

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        experiment = load_config(config, set_ or [])
        with TrialProgress(experiment.hpo.n_trials, experiment.hpo.timeout) as progress:
            summary = run_hpo(experiment, out=out, storage=storage, callbacks=[progress],
                              on_start=progress.start)
        _print_hpo(summary, run_dir_for(experiment, out) / "hpo.json")

    _guarded(debug, action)


@app.command("list")
def list_registries() -> None:
    """Show the datasets, models and HPO methods pruneshift knows."""
    from rich.table import Table

    from .data import DATASETS
    from .models import MODELS
    from .search import METHODS

    for title, rows in (
        ("datasets", [(n, i.description + ("" if i.offline else " [needs data.root]"))
                      for n, i in DATASETS.items()]),
        ("models", [(n, i.description) for n, i in MODELS.items()]
         + [("package.module:function", "your own factory(input_shape, num_classes, **kwargs)")]),
        ("hpo methods", [(n, m.description) for n, m in METHODS.items()]),
    ):
        table = Table(title=title, show_header=False, title_justify="left")
        for name, description in rows:
            table.add_row(f"[bold]{name}", description)
        console.print(table)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
