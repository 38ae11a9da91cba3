"""``pruneshift compare``: runs side by side in one report, and a clear refusal of runs that do
not compare. Two synthetic runs: the learning rate's optimum moves with the ratio in one and
stays in the other."""

import pytest
from typer.testing import CliRunner

from pruneshift.cli import app
from pruneshift.config import load_config
from pruneshift.pipeline import run_study

from ..conftest import QUICK, SYNTHETIC

pytestmark = pytest.mark.slow  # whole studies

SMALL = ["hpo.method=none", "training.lr=0.05", "training.weight_decay=0.0005",
         "grid.axes.lr.points=5", "grid.axes.lr.span=100", "grid.axes.weight_decay.points=3",
         "grid.axes.weight_decay.span=10", "pruning.ratios=[0, 0.5, 0.75]", "grid.max_extend=0"]
runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for name, extra in (("moves", []), ("stays", ["synthetic.shift.lr=0"]),
                        ("other-ratios", ["pruning.ratios=[0, 0.5]"])):
        run_study(load_config(SYNTHETIC, [*SMALL, *extra]), out=root / name)
    return root


def compare(*args):
    return runner.invoke(app, ["compare", *map(str, args)], terminal_width=300)


def test_runs_side_by_side_in_one_report(runs, tmp_path):
    result = compare(runs / "moves", runs / "stays", "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "moves: Re-tune from" in result.output and "stays: Keep your" in result.output
    report = (tmp_path / "c" / "report.md").read_text()
    assert report.startswith("# pruneshift comparison: synthetic.shift.lr=1.0 · "
                             "synthetic.shift.lr=0.0")
    rows = [line.split(" | ") for line in report.splitlines() if line.startswith("| 75 %")]
    assert [row[1] for row in rows] == ["synthetic.shift.lr=1.0", "synthetic.shift.lr=0.0"]
    moved, stayed = rows[0][6], rows[1][6]  # the lr optimum's move at 75 %
    assert moved.startswith("×") and stayed == "stays"
    for figure in ("accuracy", "optimum", "regret"):
        assert (tmp_path / "c" / "figures" / f"{figure}.png").stat().st_size > 10_000
        assert f"figures/{figure}.png" in report
    html = (tmp_path / "c" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "http" not in html.split("<body>")[1]


@pytest.mark.parametrize(("other", "message"), [
    ("other-ratios", "pruning.ratios differs ([0.0, 0.5, 0.75] in {a}; [0.0, 0.5] in {b})"),
    ("quick", "data.name differs (synthetic in {a}; digits in {b})"),
])
def test_runs_that_do_not_compare_are_refused_naming_the_field(runs, tmp_path, other, message):
    if other == "quick":
        run_study(load_config(QUICK, ["hpo.method=none", "pruning.ratios=[0, 0.5, 0.75]",
                                      "grid.axes.weight_decay.points=1", "deploy.enabled=false",
                                      "training.epochs=1"]), out=runs / "quick")
    result = compare(runs / "moves", runs / other, "--out", tmp_path / "c")
    assert result.exit_code != 0
    expected = message.format(a=runs / "moves", b=runs / other)
    assert result.output.strip() == f"error: these runs are not comparable: {expected}"
    assert not (tmp_path / "c").exists()
