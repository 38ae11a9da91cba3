"""A pruned model exported to ONNX runs in ONNX Runtime as it ran in PyTorch, and is smaller
than the dense one; a study ships every ratio's re-tuned model, also after a kill."""

import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import optuna
import pytest
import torch
from optuna.trial import TrialState

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.deploy import (
    ExportStackMissing,
    agreement,
    export_onnx,
    time_onnx,
    time_torch,
)
from pruneshift.deploy._onnx import INPUT, OUTPUT, session
from pruneshift.models import build_model
from pruneshift.pipeline import analyze_run, run_study
from pruneshift.prune import prune
from pruneshift.storage import (
    RunRecord,
    StudyKey,
    TrialKey,
    default_storage_url,
    deploy_task,
    file_digest,
    key_of,
    open_storage,
    settle_key,
    settle_study_name,
    stages_study_name,
)

from ..conftest import QUICK

SHAPE = (1, 8, 8)


def pruned_cnn(ratio: float):
    model = build_model("cnn", SHAPE, 10, {}, seed=0)
    if ratio > 0:
        prune(model, torch.randn(1, *SHAPE), load_config(QUICK).pruning, ratio=ratio,
              num_classes=10, seed=0)
    return model


def test_a_pruned_model_runs_in_onnx_runtime_as_in_pytorch_and_is_smaller(tmp_path):
    x = torch.randn(300, *SHAPE, generator=torch.Generator().manual_seed(1))
    dense, pruned = pruned_cnn(0.0), pruned_cnn(0.75)
    pruned.train()
    files = {name: export_onnx(m, x, tmp_path / f"{name}.onnx")
             for name, m in (("dense", dense), ("pruned", pruned))}
    largest, agree = agreement(files["pruned"], pruned, x)
    assert largest < 1e-4 and agree == 1.0
    assert files["pruned"].stat().st_size < files["dense"].stat().st_size / 4
    runner = session(files["pruned"])
    assert runner.get_inputs()[0].shape[0] == "batch"  # any batch size
    assert runner.run([OUTPUT], {INPUT: x[:7].numpy()})[0].shape == (7, 10)
    for batch in (1, 64):  # how much faster is measured in benchmarks/, not asserted here
        timing = time_onnx(files["pruned"], SHAPE, batch, runs=50)
        assert timing.batch == batch and 0 < timing.median_ms <= timing.p90_ms
    assert time_torch(pruned, SHAPE, 1, runs=20).median_ms > 0
    assert pruned.training  # export, comparison and timing leave the model's mode as it was


def test_without_the_onnx_stack_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    with pytest.raises(ExportStackMissing, match=r"onnxruntime is not installed: pip install "
                                          r"'pruneshift\[deploy\]'"):
        export_onnx(pruned_cnn(0.0), torch.randn(1, *SHAPE), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def onnx_accuracy(path, splits) -> float:
    logits = session(path).run([OUTPUT], {INPUT: splits.val_x.cpu().numpy()})[0]
    return float(np.mean(logits.argmax(1) == splits.val_y.cpu().numpy()))


def test_a_study_ships_each_ratio_s_re_tuned_model_in_onnx(quick_run):
    out, results = quick_run
    splits = load_splits(load_config(QUICK).data)
    for ratio, entry in results.ratios.items():
        deployed = entry.deployment
        axes = {a.name for a in results.axes()}
        # deployed = recommended: trained with the ratio's recipe, as recipes/ holds it
        assert deployed.params == {k: v for k, v in entry.recipe.params.items() if k in axes}
        if ratio > 0:  # the settle stage's run on its first seed, reused, not trained again
            assert deployed.trained == "settle" and deployed.expected_test is not None
            assert deployed.expected_spread is not None
            settle = optuna.load_study(study_name=settle_study_name(results.experiment, ratio),
                                       storage=open_storage(default_storage_url(out)))
            point = "kept" if entry.recipe.kept else "recipe"
            [first] = [t for t in settle.trials if key_of(t) == settle_key(0, point, 0)]
            # scored on its own round's draw, never on examples it trained on
            assert deployed.test_accuracy == RunRecord.read(first).test_accuracy
            assert deployed.val_accuracy == first.value
            far = abs(deployed.test_accuracy - deployed.expected_test) > max(
                3 * deployed.expected_spread, 1e-9)
            assert far == ("an unlucky seed" in (deployed.note or ""))
        else:
            assert deployed.trained == "alone"
            if deployed.grid_val_accuracy is not None:  # the recipe is a grid point
                assert deployed.val_accuracy == pytest.approx(deployed.grid_val_accuracy,
                                                              abs=1e-9)
        onnx = deployed.onnx
        assert onnx.agreement == 1.0 and onnx.max_abs_diff < 1e-4
        assert onnx_accuracy(out / onnx.file, splits) == pytest.approx(deployed.val_accuracy,
                                                                       abs=1e-9)
        assert {t.batch for t in onnx.timings} == {t.batch for t in deployed.torch} == {1, 64}
    dense, pruned = results.ratios[0.0].deployment, results.ratios[0.5].deployment
    assert pruned.onnx.size_bytes < dense.onnx.size_bytes


@pytest.mark.slow
def test_a_run_killed_while_deploying_ships_each_model_once(tmp_path, quick_run):
    """Killed (injected) with its first model's record stored but its trial not closed, then
    finished: as it is, and after another worker failed the dead one's trial (which once
    enqueued the recorded unit again: left waiting, or deployed twice where it was taken)."""
    from pruneshift.queue import fail_orphans

    config = load_config(QUICK)
    out = tmp_path / "run"
    killed = subprocess.run([sys.executable, "-m", "pruneshift", "run", str(QUICK),
                             "--out", str(out)], capture_output=True, timeout=300,
                            env={**os.environ, "PRUNESHIFT_KILL_AT": "deploy:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    name = stages_study_name(config.experiment)
    trials = optuna.load_study(study_name=name,
                               storage=open_storage(default_storage_url(out))).trials
    [killed_unit] = [t for t in trials if t.state == TrialState.RUNNING]
    assert key_of(killed_unit).startswith("deploy/")
    killed_ratio = killed_unit.user_attrs[TrialKey.RATIO]
    assert not (out / "results.json").exists()
    swept = tmp_path / "swept"
    shutil.copytree(out, swept)
    assert fail_orphans(optuna.load_study(study_name=name,
                                          storage=open_storage(default_storage_url(swept)))) == 1
    for folder in (out, swept):
        results = run_study(config, out=folder)
        stages = optuna.load_study(study_name=name,
                                   storage=open_storage(default_storage_url(folder)))
        assert not [t for t in stages.trials
                    if t.state in (TrialState.RUNNING, TrialState.WAITING)], folder
        for ratio in config.pruning.ratios:
            done = [t for t in stages.trials if key_of(t) == deploy_task(ratio)
                    and t.state == TrialState.COMPLETE]
            # the killed unit's record was stored: the rerun keeps it, trains nothing again
            assert len(done) == (0 if ratio == killed_ratio else 1), (folder, ratio)
            shipped = results.ratios[ratio].deployment.onnx
            assert StudyKey.deployed(ratio) in stages.user_attrs
            assert file_digest(folder / shipped.file) == shipped.sha256
        clean = quick_run[1]
        for ratio, entry in results.ratios.items():
            assert entry.deployment.params == clean.ratios[ratio].deployment.params
            assert entry.deployment.val_accuracy == clean.ratios[ratio].deployment.val_accuracy


@pytest.mark.slow
def test_a_budget_names_the_most_accurate_ratio_within_it(quick_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(quick_run[0], out)
    entries = quick_run[1].ratios
    between = (entries[0.0].efficiency.macs + entries[0.5].efficiency.macs) / 2
    tight = analyze_run(out, overrides=[f"analysis.budget.macs={between}"]).choice
    assert tight.ratio == 0.5 and tight.costs["macs"] <= between
    assert tight.accuracy == entries[0.5].best.value
    assert "prune to 50 % and train with recipes/r=0.5.yaml" in (out / "report.md").read_text()
    latency = entries[0.0].deployment.latency_ms(1) * 10
    roomy = analyze_run(out, overrides=[f"analysis.budget.latency_ms={latency}"]).choice
    best = max(entries.values(), key=lambda e: e.best.value)
    assert roomy.ratio == best.ratio
    nothing = analyze_run(out, overrides=["analysis.budget.param_count=10"]).choice
    assert nothing.ratio is None
    assert "No pruned model fits the budget param_count ≤ 10" in (out / "report.md").read_text()


def needs_litert() -> None:
    """The litert extra (the README's test command installs it); CI requires it."""
    try:
        import ai_edge_litert  # noqa: F401
        import litert_torch  # noqa: F401
    except ImportError:
        if os.environ.get("PRUNESHIFT_REQUIRE_LITERT"):
            pytest.fail("the litert extra is not installed; the README's test command installs it")
        pytest.skip("the litert extra is not installed")


@pytest.mark.slow
def test_a_pruned_model_runs_in_litert_as_in_pytorch(tmp_path):
    needs_litert()
    from pruneshift.deploy import export_litert, litert_agreement, time_litert

    pruned = pruned_cnn(0.5)
    path = export_litert(pruned, SHAPE, tmp_path / "m.tflite")
    x = torch.randn(200, *SHAPE, generator=torch.Generator().manual_seed(2))
    largest, agree = litert_agreement(path, pruned, x)
    assert largest < 1e-4 and agree == 1.0
    assert path.stat().st_size < export_litert(pruned_cnn(0.0), SHAPE,
                                               tmp_path / "dense.tflite").stat().st_size
    for batch in (1, 16):
        timing = time_litert(pruned, SHAPE, batch, runs=20, path=path if batch == 1 else None)
        assert timing.batch == batch and 0 < timing.median_ms <= timing.p90_ms


@pytest.mark.slow
def test_a_study_with_litert_ships_each_model_in_both_runtimes(tmp_path):
    needs_litert()
    results = run_study(load_config(QUICK, ["deploy.litert=true", "deploy.runs=20"]),
                        out=tmp_path)
    for entry in results.ratios.values():
        deployed = entry.deployment
        assert deployed.note is None
        assert deployed.litert.agreement == 1.0 and deployed.litert.max_abs_diff < 1e-4
        assert (tmp_path / deployed.litert.file).suffix == ".tflite"
        assert {t.batch for t in deployed.litert.timings} == {1, 64}
    assert "LiteRT ms, batch 1" in (tmp_path / "report.md").read_text()
