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
from rich.markup import escape

from . import STORAGE_ENV

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
    "--storage", envvar=STORAGE_ENV, help="Optuna storage URL (default: a journal file in the "
    "run folder); also read from $PRUNESHIFT_STORAGE, which keeps a password off the command "
    "line.", show_default=False)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def _guarded(debug: bool, action: Callable[[], Any]) -> Any:
    """Run ``action``; a pruneshift error becomes one line on stderr and exit code 2."""
    from .errors import PruneshiftError

    try:
        return action()
    except PruneshiftError as exc:
        if debug:
            raise
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        errors.print("stopped: finished trials are kept and the running one was given back; "
                     "run the same command to continue")
        raise typer.Exit(130) from None
    except OSError as exc:  # a full disk, a read-only folder, a file that vanished
        if debug:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        errors.print(f"[bold red]error:[/] cannot use{escape(where)}: "
                     f"{escape(str(exc.strerror or exc))}; finished "
                     "trials are kept: fix that and run the same command to continue",
                     highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


class CliEvents:
    """Draws the pipeline's events: stage lines, and one progress bar over the units of work."""

    def __init__(self) -> None:
        self.progress_bar: Any = None
        self.task: Any = None
        self.started = time.monotonic()
        self.first_done: int | None = None

    def stage(self, name: str, message: str) -> None:
        errors.print(f"[bold]{name}[/]: {escape(message)}", highlight=False)

    def warning(self, message: str) -> None:
        errors.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)

    def progress(self, label: str, done: int, total: int, study: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        if self.progress_bar is None:
            self.progress_bar = Progress(TextColumn("[bold]{task.description:<12}"),
                                         BarColumn(), MofNCompleteColumn(),
                                         TextColumn("{task.fields[status]}"), console=errors)
            self.task = self.progress_bar.add_task(label, total=total, status="")
            self.progress_bar.start()
            self.started, self.first_done = time.monotonic(), done
        try:
            best = f"best {study.best_value:.4f}"
        except ValueError:
            best = "best -"
        status = f"{best} · left {self._time_left(done, total)}"
        self.progress_bar.update(self.task, description=label, total=total,
                                 completed=min(done, total), status=status)

    def finished(self) -> None:
        if self.progress_bar is not None:
            self.progress_bar.stop()
            self.progress_bar = None

    def _time_left(self, done: int, total: int) -> str:
        finished_here = done - (self.first_done or 0)
        if finished_here <= 0:
            return "?"
        estimate = (time.monotonic() - self.started) / finished_here * (total - done)
        return time.strftime("%H:%M:%S", time.gmtime(estimate))


def _print_hpo(summary: dict[str, Any], path: Path) -> None:
    from rich.table import Table

    table = Table(title=f"HPO · {summary['experiment']} · {summary['method']}", show_header=False)
    best = summary["best"]
    value = None if best is None else best["value"]
    table.add_row("best validation accuracy", "-" if value is None else f"{value:.4f}")
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


def _stop_on_sigterm() -> None:
    """SIGTERM stops a worker like Ctrl-C does: its current trial is given back."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)


@app.command()
def run(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
        storage: StorageOpt = None,
        workers: Annotated[int, typer.Option(
            min=1, help="Local worker processes sharing the study, each with its share of "
            "the CPU threads.")] = 1,
        debug: DebugOpt = False) -> None:
    """The whole study: HPO, vicinity grid, pruning, pruned grids, analysis, report.

    Stages already finished are skipped, so running it again continues a stopped run.
    """

    def action() -> None:
        import optuna

        from .config import load_config
        from .launch import start_local_workers
        from .pipeline import run_dir_for, run_study

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _stop_on_sigterm()
        experiment = load_config(config, set_ or [])
        experiment, helpers = start_local_workers(experiment, workers, out=out,
                                                  storage=storage)
        try:
            results = run_study(experiment, out=out, storage=storage, events=CliEvents())
        except BaseException:
            helpers.stop()  # this process's own error is the one to show
            raise
        helpers.wait()
        _print_results(results, run_dir_for(experiment, out))

    _guarded(debug, action)


@app.command()
def launch(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
           storage: StorageOpt = None,
           workers: Annotated[int, typer.Option(min=1, help="Array tasks, one worker each.")] = 4,
           cluster: Annotated[str, typer.Option(
               help="slurm, or local: the same jobs as local processes (a dry run).")]
           = "slurm",
           partition: Annotated[str | None, typer.Option(help="Slurm partition.")] = None,
           time_min: Annotated[int, typer.Option(min=1, help="Time limit per task, minutes.")]
           = 720,
           gpus: Annotated[int, typer.Option(min=0, help="GPUs per task.")] = 0,
           cpus: Annotated[int, typer.Option(min=1, help="CPU cores per task.")] = 4,
           mem_gb: Annotated[float, typer.Option(min=1, help="Memory per task, GB.")] = 16,
           wait: Annotated[bool, typer.Option(help="Wait for every task to end.")] = False,
           debug: DebugOpt = False) -> None:
    """Submit workers as one Slurm job array (submitit); they share the study like
    ``pruneshift worker``. Needs the slurm extra (submitit)."""

    def action() -> None:
        import os

        from .config import load_config
        from .launch import Resources
        from .launch import launch as submit
        from .pipeline import run_dir_for

        experiment = load_config(config, set_ or [])
        url = storage or experiment.storage
        if url:
            os.environ[STORAGE_ENV] = url  # the tasks inherit it; no file or command line holds it
        run_dir = run_dir_for(experiment, out)
        jobs = submit(experiment, run_dir, workers,
                      Resources(time_min, partition, gpus, cpus, mem_gb), cluster)
        console.print(f"submitted {len(jobs)} workers: {', '.join(j.job_id for j in jobs)}; "
                      f"logs in {run_dir / 'slurm'}; progress: pruneshift status {run_dir}",
                      highlight=False)
        if wait:
            for job in jobs:
                job.result()
            console.print(f"done: {run_dir / 'results.json'}", highlight=False)

    _guarded(debug, action)


@app.command()
def worker(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
           storage: StorageOpt = None, debug: DebugOpt = False) -> None:
    """Join an experiment as one of many workers (any machines sharing --storage).

    Every unit of work is done once, stages keep their order, and the worker that finds the
    study complete writes the analysis and report. Ctrl-C or SIGTERM stops it cleanly: its
    current trial goes back to the queue.
    """

    def action() -> None:
        import optuna

        from .config import load_config
        from .pipeline import run_dir_for, run_study

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _stop_on_sigterm()
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

    from .report import summary

    table = Table(title=f"pruneshift · {results['experiment']}")
    for column in ("ratio", "params", "MACs", "latency ms", "best acc", "acc at dense opt",
                   "regret (points)", "W1 (steps)"):
        table.add_column(column, justify="right")
    for row in results["ratios"].values():
        eff = row["efficiency"] or {}
        best = (row["best"] or {}).get("value")
        regret = (row.get("regret") or {}).get("mean")
        regret_points = None if regret is None else 100 * regret

        def fmt(value: Any, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        table.add_row(f"{row['ratio']:g}", fmt(eff.get("params"), ","), fmt(eff.get("macs"), ","),
                      fmt(eff.get("latency_ms"), ".3f"), fmt(best, ".4f"),
                      fmt(row["value_at_dense_optimum"], ".4f"),
                      fmt(regret_points, "+.2f"),
                      fmt((row.get("distances") or {}).get("wasserstein"), ".3f"))
    console.print(table)
    console.print(summary(results)[0], markup=False)
    console.print(f"written: {run_dir / 'report.html'}, {run_dir / 'report.md'}, "
                  f"{run_dir / 'results.json'}, {run_dir / 'landscapes.csv'}")


@app.command("list")
def list_registries() -> None:
    """Show every name a config may use: datasets, models, criteria, HPO methods, protocols,
    targets, scopes, augmentations, optimizers, schedules, normalisations, threshold rules."""
    from rich.table import Table

    from .catalog import CHOICES, DATASETS

    for title, registry in CHOICES.items():
        table = Table(title=title, show_header=False, title_justify="left")
        rows = [(name, entry.description + (" [needs data.root]" if registry is DATASETS
                                            and not entry.offline else ""))
                for name, entry in registry.items()]
        if title == "models":
            rows.append(("package.module:function",
                         "your own factory(input_shape, num_classes, **kwargs)"))
        for name, description in rows:
            table.add_row(f"[bold]{escape(name)}", escape(description))
        console.print(table)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
