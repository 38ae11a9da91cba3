"""What the command line shows: one-line errors, the pipeline's events, result tables."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from ..analysis import Prediction, Results
    from ..pipeline import Progress

console = Console()
errors = Console(stderr=True)
PLAIN_EVERY_S = 30.0  # the longest a log goes without a progress line


def stop_line() -> str:
    """What a stop leaves: every taken unit given back, or the ones that stay RUNNING."""
    units = sys.modules.get("pruneshift.queue._units")  # not loaded: nothing was taken
    held = units.held_units() if units is not None else []
    if not held:
        return ("stopped: finished trials are kept and running ones were given back; run the "
                "same command to continue")
    shown = ", ".join(held[:3]) + (", …" if len(held) > 3 else "")
    return (f"stopped: finished trials are kept, but {len(held)} unit(s) ({shown}) could not be "
            "given back (the storage did not answer) and stay RUNNING until another worker "
            "fails them: on this machine when the same command runs again, elsewhere after "
            "workers.grace_period; run the same command to continue")


def guarded(debug: bool, action: Callable[[], Any], helper: bool = False) -> Any:
    """Run ``action``; a pruneshift error becomes one line on stderr and exit code 2. A stop
    says what it left; a ``helper`` of ``run --workers`` says so only when it left units
    RUNNING (the run itself speaks for a clean stop)."""
    from ..errors import PruneshiftError

    try:
        return _then_sigterm_ends(action)
    except PruneshiftError as exc:
        if debug:
            raise
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        line = stop_line()
        if not (helper and "RUNNING" not in line):
            errors.print(escape(line), highlight=False, soft_wrap=True)
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


def _then_sigterm_ends(action: Callable[[], Any]) -> Any:
    """``action()``, then SIGTERM released (``stops.release_sigterm``) before the outcome is
    reported."""
    from ..stops import release_sigterm

    try:
        return action()
    finally:
        release_sigterm()


class CliEvents:
    """Draws the pipeline's events: stage lines, and one bar over the whole job's units.

    The time left is estimated per kind of unit (HPO trials, model tasks, grid cells) from the
    seconds this process spent on each kind and the units it finished; a kind not yet started
    is costed at the rate of the latest kind seen.
    """

    def __init__(self) -> None:
        self.progress_bar: Any = None
        self.task: Any = None
        self.last_event = time.monotonic()
        self.seconds: dict[str, float] = {}
        self.finished_here: dict[str, int] = {}
        self.previous: dict[str, int] | None = None
        self.latest_kind: str | None = None
        self.last_line: tuple[str, int, float] = ("", -1, 0.0)

    def stage(self, name: str, message: str) -> None:
        errors.print(f"[bold]{name}[/]: {escape(message)}", highlight=False, soft_wrap=True)

    def warning(self, message: str) -> None:
        errors.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)

    def progress(self, progress: Progress) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as Bar

        self._account(progress)
        best = ("" if progress.best is None else
                f"best {progress.kind} accuracy {100 * progress.best:.1f} % · ")
        status = f"{best}job left ≈ {self._time_left(progress)}"
        label = f"{progress.label} (job)"
        if not errors.is_terminal:  # a log file, CI, a batch job: plain lines, now and then
            self._line(label, progress.done, progress.total, status)
            return
        if self.progress_bar is None:
            self.progress_bar = Bar(TextColumn("[bold]{task.description:<18}"), BarColumn(),
                                    MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                                    console=errors)
            self.task = self.progress_bar.add_task(label, total=progress.total, status="")
            self.progress_bar.start()
        self.progress_bar.update(self.task, description=label, total=progress.total,
                                 completed=min(progress.done, progress.total), status=status)

    def _account(self, progress: Progress) -> None:
        """Charge the time since the last event to the kind of the unit just finished."""
        now = time.monotonic()
        done = {kind: part[0] for kind, part in progress.parts.items()}
        if self.previous is not None:
            gained = done.get(progress.kind, 0) - self.previous.get(progress.kind, 0)
            if gained > 0:
                self.seconds[progress.kind] = (self.seconds.get(progress.kind, 0.0)
                                               + now - self.last_event)
                self.finished_here[progress.kind] = (self.finished_here.get(progress.kind, 0)
                                                     + gained)
                self.latest_kind = progress.kind
        self.previous, self.last_event = done, now

    def _time_left(self, progress: Progress) -> str:
        rates = {k: self.seconds[k] / n for k, n in self.finished_here.items() if n > 0}
        if not rates:
            return "?"
        fallback = rates[self.latest_kind] if self.latest_kind in rates else max(rates.values())
        left = sum((total - done) * rates.get(kind, fallback)
                   for kind, (done, total) in progress.parts.items())
        return time.strftime("%H:%M:%S", time.gmtime(left))

    def _line(self, label: str, done: int, total: int, status: str) -> None:
        """One unwrapped line when the label changes, every tenth of the work, at the end, and
        at least every ``PLAIN_EVERY_S`` seconds."""
        tenth = 10 * done // max(total, 1)
        if (label, tenth) == self.last_line[:2] and done < total and \
                time.monotonic() - self.last_line[2] < PLAIN_EVERY_S:
            return
        self.last_line = (label, tenth, time.monotonic())
        errors.print(f"{label}: {done}/{total} · {status}", markup=False, highlight=False,
                     soft_wrap=True)

    def finished(self) -> None:
        if self.progress_bar is not None:
            self.progress_bar.stop()
            self.progress_bar = None


def print_hpo(summary: dict[str, Any], path: Path) -> None:
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


def _values(params: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in params.items())


def print_results(results: Results, run_dir: Path) -> None:
    """Per pruned ratio its answer with what keeping the dense hyperparameters costs; where
    the grid was centred and what keeping keeps; the verdict; where the report is."""
    from rich.table import Table

    from ..report import summary
    from ..report._text import level_words, points

    table = Table(title=f"pruneshift · {results.experiment}")
    level = next((e.answer.level for e in results.ratios.values() if e.answer), None)
    for column in ("ratio", "MACs −%", "answer", "cost (points)",
                   f"{level_words(level) if level else ''} interval", "test % re-tuned/kept"):
        table.add_column(column, justify="right")
    for entry in results.ratios.values():
        if entry.ratio == 0:
            continue
        answer, removed = entry.answer, (entry.reductions or {}).get("macs")
        confirmed = entry.settle.confirmation if entry.settle is not None else None
        table.add_row(f"{entry.ratio:g}", "-" if removed is None else f"{100 * removed:.0f}",
                      "-" if answer is None else answer.decision,
                      "-" if answer is None else points(answer.regret),
                      "-" if answer is None else
                      f"{points(answer.ci_low)} to {points(answer.ci_high)}",
                      "-" if confirmed is None else f"{100 * confirmed.recipe_accuracy:.1f} / "
                                                    f"{100 * confirmed.kept_accuracy:.1f}")
    console.print(table)
    method = results.config["hpo"]["method"]
    origin = "HPO optimum" if method != "none" else "configured values"
    console.print(f"grid centred on the {origin} ({method}): {_values(results.hpo_optimum)}",
                  markup=False, soft_wrap=True)
    if results.dense_optimum is not None:
        console.print(f"dense optimum (the dense grid's best point, what keeping keeps): "
                      f"{_values(results.dense_optimum)}", markup=False, soft_wrap=True)
    console.print(summary(results)[0], markup=False, soft_wrap=True)
    console.print(f"written: {run_dir / 'report.html'} (also report.md, results.json, "
                  f"landscapes.csv, recipes/, models/)", markup=False, soft_wrap=True)


def print_recommendation(results: Results, ratio: float, params: dict[str, Any],
                         predictions: dict[str, Prediction]) -> None:
    """The predicted recipe: each fitted hyperparameter with its interval and rule; the rest
    as the nearest trained ratio's recipe."""
    level = f"{100 * (1 - results.alpha):.0f} %"
    trained = sorted(r for r, e in results.ratios.items() if e.recipe is not None)
    largest = trained[-1]
    beyond = (f", extrapolated {ratio - largest:.3g} beyond the largest trained ratio "
              f"{largest:g}" if ratio > largest else "")
    console.print(f"recipe for pruning ratio {ratio:g} ({results.experiment}{beyond}):",
                  markup=False, soft_wrap=True)
    nearest = min(trained, key=lambda r: (abs(r - ratio), r))
    axes = {a.name for a in results.axes()}
    for name, value in params.items():
        if name in predictions:
            p = predictions[name]
            spans = " (every form's, as they part ways beyond the trained ratios)" \
                if p.extrapolated else ""
            bounds = ("" if p.low is None else
                      f"; {level} interval {p.low:.3g} to {p.high:.3g}{spans}")
            console.print(f"  {name} = {value:.3g} ({p.form} rule: ×{value / p.anchor:.2g} the "
                          f"refined dense optimum {p.anchor:.3g}{bounds})", markup=False,
                          soft_wrap=True)
        elif name in axes:
            console.print(f"  {name} = {value} (as at the nearest trained ratio {nearest:g})",
                          markup=False, soft_wrap=True)
    if ratio in trained:
        console.print(f"ratio {ratio:g} was trained: its measured recipe is "
                      f"recipes/r={ratio:g}.yaml", markup=False, soft_wrap=True)
