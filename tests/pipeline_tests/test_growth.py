"""A grid that follows the optimum past its edge, on the synthetic task whose optimum is known:
the learning rate's optimum moves up two decades per unit ratio, past the grid's upper edge."""

import math
from collections import Counter

import pandas as pd
import pytest
from optuna.trial import TrialState

from pruneshift.config import load_config
from pruneshift.pipeline import Worker, run_study
from pruneshift.pipeline._worker import Step
from pruneshift.search import Grid
from pruneshift.storage import StudyKey

from ..conftest import SYNTHETIC

pytestmark = pytest.mark.slow  # whole studies

FOLLOWING = ["hpo.method=none", "training.lr=0.05", "training.weight_decay=0.0005",
             "grid.axes.lr.points=5", "grid.axes.lr.span=100", "grid.axes.weight_decay.points=3",
             "grid.axes.weight_decay.span=10", "pruning.ratios=[0, 0.5, 0.75]",
             "synthetic.shift.lr=2.0", "synthetic.noise=0.001", "grid.max_extend=3"]
FIRST_LR = [0.005, 0.0158, 0.05, 0.158, 0.5]


def stored_grid(worker: Worker) -> Grid:
    return Grid.from_dict(worker.stages.user_attrs[StudyKey.GRID])


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    out = tmp_path_factory.mktemp("followed")
    return out, run_study(load_config(SYNTHETIC, FOLLOWING), out=out)


def test_the_grid_grows_to_the_optimum_and_stops(followed):
    out, results = followed
    grid = Grid.from_dict(results.grid)
    lr = next(a for a in grid.axes if a.name == "lr")
    assert [round(v, 4) for v in lr.values] == pytest.approx(
        [*FIRST_LR, 1.5811, 5.0], rel=1e-3)
    assert [(g.axis, g.side, g.ratio) for g in grid.grown] == [("lr", "high", 0.5),
                                                               ("lr", "high", 0.75)]
    best = results.ratios[0.75].best.params["lr"]
    assert math.log10(best / 0.05) == pytest.approx(1.5)  # the truth: 2 decades x 0.75
    table = pd.read_csv(out / "landscapes.csv")
    assert len(table) == 3 * 7 * 3 * 3  # ratios x lr x weight decay x seeds, one grid
    report = (out / "report.md").read_text()
    assert ("The grid grew to follow the optimum: lr by 2 steps on its high side, to 5, because "
            "the best point lay on that edge at 50 %, then 75 % pruning") in report
    assert "lies on the grid's edge" not in report
    html = (out / "report.html").read_text()
    dashed = html.count("outline:2px dashed")  # grown cells: 3 ratios x 2 lr x 3 wd
    assert dashed == 3 * 2 * 3 and "red dashes: cells the grid grew to have" in html


def test_growth_stops_at_max_extend_and_at_the_search_space_s_bound(tmp_path):
    capped = run_study(load_config(SYNTHETIC, [*FOLLOWING, "grid.max_extend=1"]),
                       out=tmp_path / "capped")
    assert [g.value for g in Grid.from_dict(capped.grid).grown] == pytest.approx([1.5811],
                                                                                 rel=1e-3)
    assert ("The best lr lies on the grid's edge at 75 % pruning, where the grid could not grow "
            "further (grid.max_extend = 1") in (tmp_path / "capped" / "report.md").read_text()
    bounded = run_study(load_config(SYNTHETIC, [*FOLLOWING, "search_space.lr.high=2.0"]),
                        out=tmp_path / "bounded")
    assert len(Grid.from_dict(bounded.grid).grown) == 1  # 5.0 lies beyond lr's bound 2.0


def test_a_growth_resumed_by_another_worker_trains_no_cell_twice(tmp_path, followed):
    config = load_config(SYNTHETIC, FOLLOWING)
    first = Worker(config, out=tmp_path)
    assert first.step() is Step.RAN
    second = Worker(config, out=tmp_path)
    assert second.step() is Step.RAN  # it holds the first grid from now on
    while not stored_grid(first).grown:  # the first grows the grid, trains a stack, is lost
        assert first.step() is Step.RAN
    assert first.step() is Step.RAN
    assert not second.grid.grown
    results = second.work()  # it adopts the grown grid and finishes the study

    assert second.grid == stored_grid(first)
    for ratio in config.pruning.ratios:
        finished = Counter(t.user_attrs["key"] for t in second.grids[ratio].study.get_trials(
            states=(TrialState.COMPLETE,)))
        assert set(finished.values()) == {1}
        assert len(finished) == 7 * 3 * 3
    assert results.grid == followed[1].grid
    for ratio, row in results.ratios.items():
        assert (row.best.params, row.best.value) == (followed[1].ratios[ratio].best.params,
                                                     followed[1].ratios[ratio].best.value)
