"""The command line: turns arguments into a config and calls the pipeline; nothing more.

Heavy modules (torch, optuna) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from .. import STORAGE_ENV
from ..threads import prefer_short_spin
from ._terminal import CliEvents, console, errors, guarded, print_hpo, print_results

if TYPE_CHECKING:
    from ..config import ExperimentConfig

app = typer.Typer(help="Measure how structured pruning shifts a network's optimal "
                  "training hyperparameters.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False,
                  rich_markup_mode="markdown")  # a docstring's lines wrap as one paragraph


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        console.print(f"pruneshift {version('pruneshift')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Measure how structured pruning shifts a network's optimal training hyperparameters."""

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
RunDirArg = Annotated[Path, typer.Argument(help="A run folder.")]
BudgetOpt = Annotated[list[str] | None, typer.Option(
    "--budget", help="A cost limit the report picks the best ratio under: macs=1e6, "
    "param_count=5e4, latency_ms=0.5 or size_bytes=2e5 (repeatable; the same as --set "
    "analysis.budget.KIND=V).",
    show_default=False)]


def _with_budget(overrides: list[str] | None, budget: list[str] | None) -> list[str]:
    """``--budget kind=value`` as the override ``analysis.budget.kind=value``."""
    return [*(overrides or []), *(f"analysis.budget.{b.strip()}" for b in budget or [])]
ExperimentOpt = Annotated[str | None, typer.Option(
    help="Which experiment, if the storage holds several.", show_default=False)]


def _experiment(config: Path | None, overrides: list[str] | None, *,
                worker: bool = False) -> ExperimentConfig:
    """The command's experiment, validated before the heavy stack loads; then Optuna quiet and,
    for a worker, SIGTERM stopping it like Ctrl-C (its current trial is given back), neither
    stop lost (``stops``)."""
    import signal

    from ..config import load_config
    from ..stops import stop_on

    experiment = load_config(config, overrides or [])
    _quiet_optuna()
    if worker:
        stop_on(signal.SIGINT, signal.SIGTERM)
    return experiment


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


@app.command()
def hpo(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
        storage: StorageOpt = None, debug: DebugOpt = False) -> None:
    """Stage 1: tune the dense model (bo, tpe, bohb or random); re-running continues the study."""

    def action() -> None:
        experiment = _experiment(config, set_)
        from ..pipeline import run_dir_for, run_hpo

        summary = run_hpo(experiment, out=out, storage=storage, events=CliEvents())
        print_hpo(summary, run_dir_for(experiment, out) / "hpo.json")

    guarded(debug, action)


@app.command()
def run(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
        storage: StorageOpt = None, budget: BudgetOpt = None,
        workers: Annotated[int, typer.Option(
            help="Local worker processes sharing the study, each with its share of "
            "the CPU threads.")] = 1,
        debug: DebugOpt = False) -> None:
    """The whole study: HPO, grid, pruning, pruned grids, settle, deployment, analysis, report.

    Stages already finished are skipped, so running it again continues a stopped run.
    """

    def action() -> None:
        from ..errors import ConfigError

        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        experiment = _experiment(config, _with_budget(set_, budget), worker=True)
        from ..launch import start_local_workers
        from ..pipeline import run_dir_for, run_study

        experiment, helpers = start_local_workers(experiment, workers, out=out,
                                                  storage=storage)
        try:
            results = run_study(experiment, out=out, storage=storage, events=CliEvents())
        except BaseException:
            helpers.stop()  # this process's own error is the one to show
            raise
        if (failed := helpers.wait()) is not None:
            errors.print(f"[yellow]warning:[/] {escape(failed)}", highlight=False,
                         soft_wrap=True)
        print_results(results, run_dir_for(experiment, out))

    guarded(debug, action)


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
    `pruneshift worker`. Needs the slurm extra (submitit)."""

    def action() -> None:
        import os

        experiment = _experiment(config, set_)
        from ..launch import Resources
        from ..launch import launch as submit
        from ..pipeline import run_dir_for

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

    guarded(debug, action)


@app.command()
def worker(config: ConfigArg = None, set_: SetOpt = None, out: OutOpt = None,
           storage: StorageOpt = None, debug: DebugOpt = False,
           helper: Annotated[bool, typer.Option(hidden=True)] = False) -> None:
    """Join an experiment as one of many workers (any machines sharing --storage).

    Every unit of work is done once, stages keep their order, and the worker that finds the
    study complete writes the analysis and report. Ctrl-C or SIGTERM stops it cleanly: its
    current trial goes back to the queue.
    """

    def action() -> None:
        experiment = _experiment(config, set_, worker=True)
        from ..pipeline import run_dir_for, run_study

        results = run_study(experiment, out=out, storage=storage, events=CliEvents())
        print_results(results, run_dir_for(experiment, out))

    guarded(debug, action, helper=helper)


@app.command()
def analyze(run_dir: RunDirArg, set_: SetOpt = None, budget: BudgetOpt = None,
            out: Annotated[Path | None, typer.Option(
                "--out", help="Write the outputs to this folder instead of the run folder.",
                show_default=False)] = None,
            storage: StorageOpt = None, experiment: ExperimentOpt = None,
            debug: DebugOpt = False) -> None:
    """Recompute the analysis of a run from its storage (trains nothing); rewrites results.json,
    the report, figures/, recipes/ and landscapes.csv (in --out, if given).

    --set changes analysis settings, e.g. --set analysis.temperature=0.02
    --set analysis.normalisation=top --set analysis.epsilon=0.01.
    """

    guarded(debug, lambda: _analyze(run_dir, storage, experiment, _with_budget(set_, budget),
                                    out=out))


@app.command()
def report(run_dir: RunDirArg, storage: StorageOpt = None, experiment: ExperimentOpt = None,
           debug: DebugOpt = False) -> None:
    """Rebuild report.html, report.md and figures/ (with results.json) from the storage,
    keeping the analysis settings `analyze` last wrote to results.json."""

    guarded(debug, lambda: _analyze(run_dir, storage, experiment, [], keep_settings=True))


def _analyze(run_dir: Path, storage: str | None, experiment: str | None,
             overrides: list[str], *, out: Path | None = None,
             keep_settings: bool = False) -> None:
    """What `analyze` and `report` do: the analysis recomputed from the storage, printed."""
    _quiet_optuna()
    from ..pipeline import analyze_run

    results = analyze_run(run_dir, storage=storage, experiment=experiment, overrides=overrides,
                          events=CliEvents(), out=out, keep_settings=keep_settings)
    print_results(results, out or run_dir)


@app.command()
def recommend(
        run_dir: RunDirArg,
        ratio: Annotated[float, typer.Option(help="The pruning ratio to predict a recipe for.")],
        out: Annotated[Path | None, typer.Option(
            help="Write the recipe as a training config (the run's config with these values).",
            show_default=False)] = None,
        extrapolate: Annotated[bool, typer.Option(
            help="Predict beyond the largest trained ratio.")] = False,
        debug: DebugOpt = False) -> None:
    """Predict the re-tuned hyperparameters for a ratio never trained, from the run's transfer
    rule, with their intervals."""

    def action() -> None:
        from ..analysis import read_results
        from ..analysis import recommend as predict_recipe
        from ..report import recipe_yaml
        from ._terminal import print_recommendation

        results = read_results(run_dir)
        params, predictions = predict_recipe(results, ratio, extrapolate=extrapolate)
        print_recommendation(results, ratio, params, predictions)
        if out is not None:
            header = [f"pruneshift recommendation: experiment {results.experiment}, pruning "
                      f"ratio {ratio:g}, predicted by the transfer rule of {run_dir}"]
            out.write_text(recipe_yaml(results.config, params, header))
            console.print(f"written: {out}", soft_wrap=True, highlight=False)

    guarded(debug, action)


@app.command()
def compare(
        run_dirs: Annotated[list[Path], typer.Argument(help="Two run folders or more.")],
        out: Annotated[Path, typer.Option(help="The folder the comparison is written to.")]
        = Path("comparison"),
        debug: DebugOpt = False) -> None:
    """Compare finished runs that differ in protocol, re-training schedule, criterion or model
    in one report: per ratio, each run's verdict, accuracy, regret and optimum shifts."""

    def action() -> None:
        from ..analysis import read_results
        from ..errors import ConfigError
        from ..pipeline import usable_run_dir
        from ..report import check_comparable, summary, write_comparison

        if len(set(run_dirs)) < 2:
            raise ConfigError("compare needs two different run folders or more")
        runs = {str(d): read_results(d) for d in run_dirs}
        check_comparable(runs)  # before --out is created
        paths = write_comparison(runs, usable_run_dir(out))
        for name, results in runs.items():
            console.print(f"{name}: {summary(results)[0]}", soft_wrap=True, highlight=False)
        console.print(f"comparison: {paths['html']}", soft_wrap=True, highlight=False)

    guarded(debug, action)


@app.command()
def status(run_dir: RunDirArg, storage: StorageOpt = None, experiment: ExperimentOpt = None,
           debug: DebugOpt = False) -> None:
    """Per stage: trials done, running, failed, waiting and left (for watching a run)."""

    def action() -> None:
        from rich.table import Table

        from ..pipeline import run_status

        name, rows = run_status(run_dir, storage=storage, experiment=experiment)
        table = Table(title=f"pruneshift status · {name}")
        for column in ("stage", "done", "running", "failed", "waiting", "left"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        for row in rows:
            table.add_row(*(str(row.get(c, "-")) for c in
                            ("stage", "done", "running", "failed", "waiting", "left")))
        console.print(table)

    guarded(debug, action)


@app.command("list")
def list_registries() -> None:
    """Show every name a config may use: datasets, models, criteria, HPO methods, protocols,
    targets, scopes, augmentations, optimizers, schedules, normalisations, threshold rules."""
    from rich.table import Table

    from ..catalog import CHOICES, DATASETS

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
    prefer_short_spin()
    sys.exit(app())
