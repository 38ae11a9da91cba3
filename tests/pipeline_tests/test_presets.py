"""The study's own settings: the thesis presets and the tinyML preset, run on tiny budgets.

The thesis presets run on fake CIFAR-10 files written here, down to one epoch, two grid points
and one pruned ratio, but otherwise as shipped: explicit grid, no HPO, a MACs target, the step
schedule, crop-flip augmentation, and each regime's protocol. Two of the four run (each model
once, each regime once); all four are validated.
"""

import numpy as np
import optuna
import pandas as pd
import pytest

from pruneshift.config import load_config
from pruneshift.data._cifar import CIFAR10
from pruneshift.pipeline import run_study
from pruneshift.storage import default_storage_url, hpo_study_name, open_storage

from ..conftest import EXAMPLES

pytestmark = pytest.mark.slow  # whole studies in subprocesses

THESIS = sorted(EXAMPLES.glob("thesis-*.yaml"))
RUN = [EXAMPLES / f"thesis-{name}.yaml"
       for name in ("resnet56-cifar10", "mobilenetv2-cifar10-finetune")]
# the presets' wiring, on a grid of known size, timed in a few runs
TINY = ["training.epochs=1", "training.batch_size=32", "model.kwargs.width=0.25",
        "grid.axes.lr.values=[0.01, 0.1]", "grid.axes.weight_decay.values=[1.0e-4]",
        "pruning.ratios=[0, 0.6]", "pruning.latency_runs=3", "settle.seeds_per_round=2",
        "settle.max_runs=4", "grid.max_extend=0", "deploy.runs=5", "deploy.batch=8"]


@pytest.fixture(scope="module")
def fake_cifar10(tmp_path_factory):
    """CIFAR-10's binary layout with 200 training and 20 test images of random pixels."""
    folder = tmp_path_factory.mktemp("cifar") / CIFAR10.folder
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, n in [(f, 40) for f in CIFAR10.train] + [(CIFAR10.test[0], 20)]:
        labels = (np.arange(n) % 10).astype(np.uint8)
        pixels = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels[:, None], pixels], axis=1).tobytes())
    return folder.parent


def test_there_are_both_regimes_for_both_thesis_models():
    protocols = {(load_config(p).model.name, load_config(p).pruning.protocol) for p in THESIS}
    assert protocols == {(m, r) for m in ("resnet56", "mobilenetv2")
                         for r in ("scratch", "finetune")}
    for path in THESIS:
        config = load_config(path)
        assert config.hpo.method == "none" and config.pruning.target == "macs"
        assert len(config.grid.axes["lr"].values) == 12
        assert len(config.grid.axes["weight_decay"].values) == 14
        steps = np.diff(np.log10(config.grid.axes["lr"].values))
        assert np.allclose(steps, 0.2, atol=1e-3)  # 0.2-decade steps, as in the study


@pytest.mark.parametrize("path", RUN, ids=[p.stem for p in RUN])
def test_each_thesis_preset_runs_on_a_tiny_budget(path, fake_cifar10, tmp_path):
    config = load_config(path, [*TINY, f"data.root={fake_cifar10}"])
    results = run_study(config, out=tmp_path)
    table = pd.read_csv(tmp_path / "landscapes.csv")
    assert len(table) == 2 * 2 * 1 * 2  # ratios x lr values x weight-decay values x seeds
    assert sorted(table["lr"].unique()) == [0.01, 0.1]
    pruned = results.ratios[0.6]
    assert pruned.reductions["macs"] == pytest.approx(0.6, abs=0.03)
    assert pruned.channel_ratio < 0.6
    assert results.hpo_optimum["lr"] == 0.1  # hpo.method none: the recipe's values
    storage = open_storage(default_storage_url(tmp_path))
    hpo = optuna.load_study(study_name=hpo_study_name(config.experiment), storage=storage)
    assert hpo.get_trials() == []
    assert "No HPO was run" in (tmp_path / "report.md").read_text()


def test_the_tinyml_preset_is_a_macs_study_with_both_regimes_in_reach():
    config = load_config(EXAMPLES / "tinyml-mnist5k.yaml")
    assert config.data.name == "mnist5k" and config.model.name == "resnet8"
    assert config.pruning.target == "macs" and config.grid.seeds >= 3
    finetune = load_config(EXAMPLES / "tinyml-mnist5k.yaml",
                           ["pruning.protocol=finetune", "hpo.method=none"])
    assert finetune.pruning.protocol == "finetune"
