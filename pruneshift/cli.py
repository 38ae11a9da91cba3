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


class CliEvents:
    """Draws the pipeline's events: stage lines, and a progress bar per batch of trials."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.task: Any = None
        self.total = 0
        self.started = 0.0
        self.finished_here = 0

    def stage(self, name: str, message: str) -> None:
        errors.print(f"[bold]{name}[/]: {message}", highlight=False)

    def warning(self, message: str) -> None:
        errors.print(f"[yellow]warning:[/] {message}", highlight=False)

    def trials_started(self, label: str, total: int, done: int, study: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.total, self.finished_here, self.started = total, 0, time.monotonic()
        self.progress = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), console=errors)
        self.task = self.progress.add_task(label, total=total, status="")
        self.progress.start()
        self._update(study)

    def trial_finished(self, study: Any, trial: Any) -> None:
        self.finished_here += 1
        self._update(study)

    def trials_ended(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _time_left(self, remaining: int) -> str:
        if not self.finished_here:
            return "?"
        estimate = (time.monotonic() - self.started) / self.finished_here * remaining
        return time.strftime("%H:%M:%S", time.gmtime(estimate))

    def _update(self, study: Any) -> None:
        from . import search

        counts = search.state_counts(study)
        done = min(self.total, counts["complete"] + counts["pruned"])
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:
            best = "-"
        status = (f"complete {counts['complete']} · pruned {counts['pruned']} · "
                  f"failed {counts['fail']} · best {best} · "
                  f"left {self._time_left(self.total - done)}")
        self.progress.update(self.task, completed=done, status=status)


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
        summary = run_hpo(experiment, out=out, storage=storage, events=CliEvents())
        _print_hpo(summary, run_dir_for(experiment, out) / "hpo.json")

    _guarded(debug, action)


@app.command()
def run(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
        storage: StorageOpt = None, debug: DebugOpt = False) -> None:
    """The whole study: HPO, vicinity grid, pruning, pruned grids, analysis, report.

    Stages already finished are skipped, so running it again continues a stopped run.
    """

    def action() -> None:
        import optuna

        from .config import load_config
        from .pipeline import run_dir_for, run_study

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        experiment = load_config(config, set_ or [])
        results = run_study(experiment, out=out, storage=storage, events=CliEvents())
        _print_results(results, run_dir_for(experiment, out))

    _guarded(debug, action)


@app.command()
def analyze(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
            set_: SetOpt = None, storage: StorageOpt = None,
            experiment: Annotated[str | None, typer.Option(
                help="Which experiment, if the storage holds several.")] = None,
            debug: DebugOpt = False) -> None:
    """Recompute the analysis of a run from its storage (trains nothing); rewrites results.json.

    --set changes analysis settings, e.g. --set analysis.temperature=0.02
    --set analysis.normalisation=top --set analysis.epsilon=0.01.
    """

    def action() -> None:
        from .pipeline import analyze_run

        results = analyze_run(run_dir, storage=storage, experiment=experiment,
                              overrides=set_ or [], events=CliEvents())
        _print_results(results, run_dir)

    _guarded(debug, action)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
           storage: StorageOpt = None,
           experiment: Annotated[str | None, typer.Option(
               help="Which experiment, if the storage holds several.")] = None,
           debug: DebugOpt = False) -> None:
    """Rebuild report.html, report.md and figures/ (with results.json) from the storage."""

    def action() -> None:
        from .pipeline import analyze_run

        results = analyze_run(run_dir, storage=storage, experiment=experiment,
                              events=CliEvents())
        _print_results(results, run_dir)

    _guarded(debug, action)


@app.command()
def status(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
           storage: StorageOpt = None,
           experiment: Annotated[str | None, typer.Option(
               help="Which experiment, if the storage holds several.")] = None,
           debug: DebugOpt = False) -> None:
    """Per stage: trials done, running, failed, waiting and left (for watching a run)."""

    def action() -> None:
        from rich.table import Table

        from .pipeline import run_status

        name, rows = run_status(run_dir, storage=storage, experiment=experiment)
        table = Table(title=f"pruneshift status · {name}")
        for column in ("stage", "done", "running", "failed", "waiting", "left"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        for row in rows:
            table.add_row(*(str(row.get(c, "-")) for c in
                            ("stage", "done", "running", "failed", "waiting", "left")))
        console.print(table)

    _guarded(debug, action)


def _print_results(results: dict[str, Any], run_dir: Path) -> None:
    from rich.table import Table

    table = Table(title=f"pruneshift · {results['experiment']}")
    for column in ("ratio", "params", "MACs", "latency ms", "best acc", "acc at dense opt",
                   "regret", "W1"):
        table.add_column(column, justify="right")
    for row in results["ratios"].values():
        eff = row["efficiency"] or {}
        best = (row["best"] or {}).get("value")

        def fmt(value: Any, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        table.add_row(f"{row['ratio']:g}", fmt(eff.get("params"), ","), fmt(eff.get("macs"), ","),
                      fmt(eff.get("latency_ms"), ".3f"), fmt(best, ".4f"),
                      fmt(row["value_at_dense_optimum"], ".4f"),
                      fmt((row.get("regret") or {}).get("mean"), "+.4f"),
                      fmt((row.get("distances") or {}).get("wasserstein"), ".3f"))
    console.print(table)
    console.print(f"written: {run_dir / 'report.html'}, {run_dir / 'report.md'}, "
                  f"{run_dir / 'results.json'}, {run_dir / 'landscapes.csv'}")


@app.command("list")
def list_registries() -> None:
    """Show the datasets, models, HPO methods and pruning criteria pruneshift knows."""
    from rich.table import Table

    from .data import DATASETS, SYNTHETIC, SYNTHETIC_DESCRIPTION
    from .models import MODELS
    from .prune import CRITERIA
    from .search import METHODS

    for title, rows in (
        ("datasets", [(n, i.description + ("" if i.offline else " [needs data.root]"))
                      for n, i in DATASETS.items()] + [(SYNTHETIC, SYNTHETIC_DESCRIPTION)]),
        ("models", [(n, i.description) for n, i in MODELS.items()]
         + [("package.module:function", "your own factory(input_shape, num_classes, **kwargs)")]),
        ("hpo methods", [(n, m.description) for n, m in METHODS.items()]),
        ("pruning criteria", [(n, c.description) for n, c in CRITERIA.items()]),
    ):
        table = Table(title=title, show_header=False, title_justify="left")
        for name, description in rows:
            table.add_row(f"[bold]{name}", description)
        console.print(table)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
