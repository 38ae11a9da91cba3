"""The catalog names only what the code does: every name of every kind is a value its config
field takes, and every entry that points at code loads it and runs it on a tiny task. A new
training schedule is one function and one catalog line."""

import numpy as np
import optuna
import pytest
import torch
import torch.nn.functional as F

from pruneshift import catalog
from pruneshift.catalog import CHOICES, Schedule
from pruneshift.config import PruningConfig, TrainingConfig, load_config
from pruneshift.data import _cifar, load_splits
from pruneshift.models import build_model
from pruneshift.pipeline._protocols import GridProtocol
from pruneshift.prune import count_macs_and_params, prune
from pruneshift.train import lr_factor, train

from .data_tests.test_npz import mfcc_like
from .data_tests.test_vision import cifar_bytes, write_idx_set

FIELD = {  # kind -> the config override that takes one of its names
    "datasets": "data.name={}", "models": "model.name={}", "criteria": "pruning.criterion={}",
    "hpo methods": "hpo.method={}", "protocols": "pruning.protocol={}",
    "targets": "pruning.target={}", "scopes": "pruning.scope={}",
    "augmentations": "data.augment={}", "optimizers": "training.optimizer={}",
    "schedules": "training.schedule={}", "re-training schedules": "pruning.retrain_schedule={}",
    "normalisations": "analysis.normalisation={}", "threshold rules": "analysis.threshold_rule={}",
    "budgets": "analysis.budget.{}=1000",
}
NEEDS = {"re-training schedules": ["pruning.protocol=finetune"],
         "hpo methods": ["hpo.n_trials=8"]}
EVERY = [(kind, name) for kind, registry in CHOICES.items() for name in registry]


@pytest.mark.parametrize(("kind", "name"), EVERY, ids=[f"{k}:{n}" for k, n in EVERY])
def test_every_name_is_a_value_of_its_config_field(kind, name):
    override = FIELD[kind].format(name)
    config = load_config(None, [override, *NEEDS.get(kind, [])]).model_dump()
    path, _, value = override.partition("=")
    *sections, last = path.split(".")
    for section in sections:
        config = config[section]
    if value == name:
        assert config[last] == name
    else:  # a budget: the name is the key
        assert last == name and config[last] == float(value)


def _write_dataset(name, root):
    """Tiny files in the layout of dataset ``name`` under ``root``; where to point data.root."""
    rng = np.random.default_rng(0)
    if name in ("mnist", "fashion-mnist"):
        write_idx_set(root, rng)
        return root
    if name == "npz":
        x, y = mfcc_like(rng, 120)
        np.savez(root / "tiny.npz", x=x, y=y)
        return root / "tiny.npz"
    layout = {"cifar10": _cifar.CIFAR10, "cifar100": _cifar.CIFAR100}[name]
    (root / layout.folder).mkdir()
    per_file = 4 * layout.classes // len(layout.train)  # four of each class in all
    for file in layout.train + layout.test:
        n = layout.classes if file in layout.test else per_file
        (root / layout.folder / file).write_bytes(cifar_bytes(rng, n, layout.classes)[0])
    return root


def _run_dataset(name, entry, tmp_path):
    overrides = [f"data.name={name}", "data.val_fraction=0.5"]
    if not entry.offline:
        overrides.append(f"data.root={_write_dataset(name, tmp_path)}")
    splits = load_splits(load_config(None, overrides).data)
    assert min(splits.sizes().values()) > 0 and splits.num_classes >= 10


def _run_model(name, entry, tmp_path):
    shape = (1, 49, 10) if name == "dscnn" else (3, 32, 32)
    model = build_model(name, shape, 10, seed=0)
    loss = F.cross_entropy(model(torch.randn(4, *shape)), torch.arange(4))
    loss.backward()
    assert torch.isfinite(loss) and model(torch.randn(2, *shape)).shape == (2, 10)


def _run_criterion(name, entry, tmp_path):
    model, shape = build_model("cnn", (1, 8, 8), 10, seed=0), (1, 8, 8)
    x, y = torch.randn(16, *shape), torch.arange(16) % 10
    macs, _ = count_macs_and_params(model, shape)
    prune(model, x[:1], PruningConfig(criterion=name), ratio=0.5, num_classes=10, seed=0,
          gradients=lambda m: F.cross_entropy(m(x), y).backward())
    assert count_macs_and_params(model, shape)[0] < macs


def _run_method(name, entry, tmp_path):
    sampler, pruner = entry.load()(load_config(None, ["hpo.n_startup_trials=2"]), 0)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    study.optimize(lambda t: -(t.suggest_float("x", -1, 1) - 0.3) ** 2, n_trials=4)
    assert len(study.trials) == 4 and study.best_value <= 0


def _run_protocol(name, entry, tmp_path):
    strategy = entry.load()
    config = load_config(None, [f"pruning.protocol={name}", "pruning.finetune_epochs=2"])
    assert isinstance(strategy, GridProtocol)
    assert strategy.epochs(config) in (2, config.training.epochs)
    assert strategy.recipe(config, config.training).lr == config.training.lr


def _run_augmentation(name, entry, tmp_path):
    x = torch.randn(6, 3, 8, 8)
    moved = entry.load()(x, torch.Generator().manual_seed(0))
    assert moved.shape == x.shape and not torch.equal(moved, x)


def _curve(recipe, steps_per_epoch=5):
    return [lr_factor(recipe, s, steps_per_epoch) for s in range(recipe.epochs * steps_per_epoch)]


def _run_schedule(name, entry, tmp_path):
    curve = _curve(TrainingConfig(schedule=name, epochs=8, warmup_epochs=1))
    assert all(0 <= f <= 1 for f in curve) and max(curve) == pytest.approx(1, abs=0.02)


def _run_retraining(name, entry, tmp_path):
    recipe = TrainingConfig(epochs=4, warmup_epochs=1)
    changed = recipe.model_copy(update=entry.load()(recipe, 10))
    assert all(0 <= f <= 1 for f in _curve(changed))


RUN = {"datasets": _run_dataset, "models": _run_model, "criteria": _run_criterion,
       "hpo methods": _run_method, "protocols": _run_protocol,
       "augmentations": _run_augmentation, "schedules": _run_schedule,
       "re-training schedules": _run_retraining}
LOADS = [(kind, name) for kind, name in EVERY if CHOICES[kind][name].target is not None]


@pytest.mark.parametrize(("kind", "name"), LOADS, ids=[f"{k}:{n}" for k, n in LOADS])
def test_every_entry_that_points_at_code_runs_it(kind, name, tmp_path):
    RUN[kind](name, CHOICES[kind][name], tmp_path)


def frozen_rate(recipe, at):
    """A schedule a contributor adds: no learning at all."""
    return 0.0


def test_a_schedule_is_one_function_and_one_catalog_line(monkeypatch, digits):
    monkeypatch.setitem(catalog.SCHEDULES._entries, "frozen",
                        Schedule("learn nothing", f"{__name__}:frozen_rate", warms_up=False))
    recipe = load_config(None, ["training.schedule=frozen", "training.epochs=2"]).training
    model = build_model("mlp", digits.input_shape, digits.num_classes, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    train(model, digits, recipe, seed=0, evaluate_test=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
