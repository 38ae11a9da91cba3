from pathlib import Path

import pytest

from pruneshift.config import (
    ExperimentConfig,
    apply_overrides,
    build_config,
    fingerprint,
    fingerprint_differences,
    load_config,
)
from pruneshift.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return path


def test_default_is_digits_cnn_with_the_four_default_hyperparameters():
    config = load_config()
    assert (config.data.name, config.model.name) == ("digits", "cnn")
    space = config.search_space
    assert set(space) == {"lr", "weight_decay", "momentum", "batch_size"}
    assert space["lr"].log and space["weight_decay"].log
    assert not space["momentum"].log and space["batch_size"].type == "categorical"


@pytest.mark.parametrize(("raw", "field", "allowed"), [
    ({"training": {"optimiser": "sgd"}}, "unknown field 'training.optimiser'", "optimizer"),
    ({"training": {"optimizer": "adam"}}, "training.optimizer", "'sgd' or 'adamw'"),
    ({"training": {"schedule": "linear"}}, "training.schedule", "'cosine', 'step' or 'constant'"),
    ({"data": {"name": "imagenet"}}, "data.name", "digits, mnist5k, mnist1d"),
    ({"model": {"name": "vgg99"}}, "model.name", "mlp, cnn, resnet8"),
    ({"model": {"kwargs": {"depth": 3}}}, "model.kwargs", "allowed: channels, width"),
    ({"hpo": {"method": "cmaes"}}, "hpo.method", "'bo', 'tpe', 'bohb', 'random' or 'none'"),
    ({"search_space": {"epochs": {"low": 1, "high": 9}}}, "search_space", "allowed: optimizer"),
    ({"search_space": {"lr": {"low": 0.0, "high": 1.0, "log": True}}}, "search_space.lr",
     "needs low > 0"),
    ({"search_space": {"lr": {"type": "float", "lows": 1}}}, "search_space.lr.lows",
     "allowed: type, low, high"),
    ({"search_space": {"batch_size": {"type": "categorical", "choices": [0, 8]}}},
     "search_space.batch_size", "greater than 0"),
    ({"hpo": {"min_epochs": 50}}, "hpo.min_epochs", "full budget"),
    ({"training": {"lr": -1}}, "training.lr", "greater than 0"),
    ({"whatever": 1}, "unknown field 'whatever'", "experiment, seed, data"),
    ({"synthetic": {"peak": float("nan")}}, "synthetic.peak", "finite number"),
    ({"grid": {"axes": {"lr": {"values": ["a", "b"]}}}}, "grid.axes.lr", "valid training.lr"),
    ({"grid": {"axes": {"lr": {"points": 1000001, "span": 100}}}}, "grid:", "fewer points"),
    ({"training": {"threads": 100000}}, "training.threads", "less than or equal to 1024"),
    ({"training": {"epochs": 10 ** 9}}, "training.epochs", "less than or equal to 100000"),
    ({"pruning": {"latency_runs": 10 ** 9}}, "pruning.latency_runs", "less than or equal"),
    ({"workers": {"artifacts": "s3://"}}, "workers.artifacts", "expected s3://bucket"),
    ({"data": {"split_seed": -1}}, "data.split_seed", "greater than or equal to 0"),
    ({"hpo": {"seed": -1}}, "hpo.seed", "greater than or equal to 0"),
])
def test_an_invalid_field_is_one_line_naming_it_and_what_is_allowed(raw, field, allowed):
    with pytest.raises(ConfigError) as info:
        build_config(raw)
    message = str(info.value)
    assert "\n" not in message
    assert field in message and allowed in message


def test_yaml_file_is_read_and_validated(tmp_path):
    path = write(tmp_path, "experiment: x\ntraining: {epochs: 4, optimizer: adamw}\n")
    config = load_config(path)
    assert (config.experiment, config.training.epochs, config.training.optimizer) == \
        ("x", 4, "adamw")


def test_yaml_is_read_with_the_safe_loader(tmp_path):
    path = write(tmp_path, "experiment: !!python/object/apply:os.system ['echo owned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_broken_yaml_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid YAML at line 2, column \d+"):
        load_config(write(tmp_path, "training:\n  epochs: 3: 4\n"))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")


def test_set_overrides_any_field_with_yaml_typed_values(tmp_path):
    path = write(tmp_path, "training: {epochs: 4}\n")
    config = load_config(path, ["training.epochs=7", "training.lr=1e-2", "training.nesterov=false",
                                "model.kwargs.channels=[8, 16]", "search_space.lr.high=0.5",
                                "hpo.timeout=60"])
    assert config.training.epochs == 7
    assert config.training.lr == pytest.approx(0.01)
    assert config.training.nesterov is False
    assert config.model.kwargs == {"channels": [8, 16]}
    assert config.search_space["lr"].high == 0.5 and config.search_space["lr"].log
    assert config.hpo.timeout == 60


def test_set_errors_are_clear():
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides({}, ["training.epochs"])
    with pytest.raises(ConfigError, match="'training.epochs' is a value, not a section"):
        apply_overrides({"training": {"epochs": 3}}, ["training.epochs.x=1"])
    with pytest.raises(ConfigError, match="unknown field 'training.epoch'"):
        load_config(None, ["training.epoch=3"])


def test_experiment_names_become_safe_folder_names():
    assert ExperimentConfig(experiment="<script>alert(1)</script>").slug == "script-alert-1-script"
    assert ExperimentConfig(experiment="a/../b c").slug == "a-..-b-c"


def test_fingerprint_ignores_budget_and_location_but_not_the_recipe():
    base = load_config()
    budget = load_config(None, ["hpo.n_trials=99", "hpo.timeout=5", "training.device=cpu"])
    recipe = load_config(None, ["training.epochs=3", "search_space.lr.high=0.5"])
    assert fingerprint(base) == fingerprint(budget)
    changes = fingerprint_differences(fingerprint(base), fingerprint(recipe))
    assert changes == ["search_space.lr.high: 1.0 -> 0.5", "training.epochs: 10 -> 3"]


def test_a_setting_added_later_at_its_default_is_no_difference():
    stored = {k: v for k, v in fingerprint(load_config()).items() if k != "data.augment"}
    assert fingerprint_differences(stored, fingerprint(load_config())) == []
    changed = fingerprint(load_config(None, ["data.augment=none"]))
    assert fingerprint_differences(stored, changed) == ["data.augment: '<unset>' -> 'none'"]


def test_a_config_read_back_to_analyse_imports_no_model_code():
    """A stored config names a model factory; analysing the run must not import it."""
    named = {"model": {"name": "pruneshift_no_such_module:factory"}}
    with pytest.raises(ConfigError, match="model.name"):
        build_config(named)
    assert build_config(named, import_model=False).model.name == named["model"]["name"]


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['    l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f'    l{i}: &l{i} [{", ".join([f"*l{i - 1}"] * 9)}]' for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("model:\n  name: cnn\n  kwargs:\n" + "\n".join(levels) + "\n")
    with pytest.raises(ConfigError, match="expand to more than 100,000 values"):
        load_config(bomb)
