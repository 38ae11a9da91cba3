import re
import subprocess
import sys
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
from pruneshift.models import check_model
from pruneshift.pipeline import run_study


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
    ({"training": {"optimizer": "adam"}}, "training.optimizer",
     "(did you mean 'adamw'?); allowed: sgd, adamw"),
    ({"training": {"schedule": "linear"}}, "training.schedule", "allowed: cosine, step, constant"),
    ({"data": {"name": "imagenet"}}, "data.name", "digits, mnist5k, mnist1d"),
    ({"model": {"name": "vgg99"}}, "model.name", "mlp, cnn, resnet8"),
    ({"model": {"name": "resnet"}}, "model.name", "or 'package.module:function'"),
    ({"model": {"name": "my model:build"}}, "model.name", "unknown model"),
    ({"hpo": {"method": "cmaes"}}, "hpo.method", "allowed: bo, tpe, bohb, random, none"),
    ({"pruning": {"protocol": "fine-tune"}}, "pruning.protocol", "(did you mean 'finetune'?)"),
    ({"pruning": {"criterion": "l3"}}, "pruning.criterion", "allowed: l1, l2, bn-scale"),
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


def test_a_config_in_latin_1_names_the_byte_and_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("training:\n  epochs: 2\nexperiment: café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text: byte 0xe9 on line 3; save it as"):
        load_config(path)


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
    budget = load_config(None, ["hpo.n_trials=99", "hpo.timeout=5", "training.device=cpu",
                                "hpo.batch=6"])  # how trials are split among stacks
    recipe = load_config(None, ["training.epochs=3", "search_space.lr.high=0.5"])
    assert fingerprint(base) == fingerprint(budget)
    changes = fingerprint_differences(fingerprint(base), fingerprint(recipe))
    assert changes == ["search_space.lr.high: 1.0 -> 0.5", "training.epochs: 10 -> 3"]


def test_a_setting_added_later_at_its_default_is_no_difference():
    stored = {k: v for k, v in fingerprint(load_config()).items() if k != "data.augment"}
    assert fingerprint_differences(stored, fingerprint(load_config())) == []
    changed = fingerprint(load_config(None, ["data.augment=none"]))
    assert fingerprint_differences(stored, changed) == ["data.augment: '<unset>' -> 'none'"]


def test_validating_a_config_imports_neither_model_code_nor_torch():
    """A config names a model factory; validating it (to analyse a stored run, or to report a
    mistake at once) imports nothing: the factory is imported where a model is trained."""
    named = {"model": {"name": "pruneshift_no_such_module:factory", "kwargs": {"depth": 3}}}
    code = ("import sys; from pruneshift.config import build_config; "
            f"build_config({named!r}); print(sorted(m for m in ('torch', 'sklearn', "
            "'pruneshift_no_such_module') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert shown.stdout.strip() == "[]"


@pytest.mark.parametrize(("model", "message"), [
    ({"name": "pruneshift_no_such_module:factory"}, "cannot load model factory"),
    ({"kwargs": {"depth": 3}}, "model.kwargs: 'depth' is not an argument of model 'cnn'; "
                               "allowed: channels, width"),
])
def test_a_model_is_checked_before_anything_trains(tmp_path, model, message):
    config = build_config({"model": model})
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_model(config.model)
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_study(config, out=tmp_path)
    assert not (tmp_path / "journal.log").exists()


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['    l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f'    l{i}: &l{i} [{", ".join([f"*l{i - 1}"] * 9)}]' for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("model:\n  name: cnn\n  kwargs:\n" + "\n".join(levels) + "\n")
    with pytest.raises(ConfigError, match="expand to more than 100,000 values"):
        load_config(bomb)
