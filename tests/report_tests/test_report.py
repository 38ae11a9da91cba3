"""The report: it renders, its figures are real pictures, user strings are escaped, and a
real browser opens it offline without errors."""

import shutil

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pruneshift.cli import app
from pruneshift.config import load_config
from pruneshift.pipeline import run_study

from ..conftest import SYNTHETIC

EXPECTED_FIGURES = {"accuracy_vs_ratio.png", "hpo_history.png", "landscapes.png",
                    "distances.png", "sensitivity_per_hp.png", "marginals.png", "regret.png",
                    "transfer.png"}
TRAINED_FIGURES = EXPECTED_FIGURES | {"tradeoff.png"}  # accuracy against measured costs
# report.html inlines every figure but the landscapes, which it draws as hover tables
INLINED_FIGURES = TRAINED_FIGURES - {"landscapes.png"}
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_synthetic(tmp_path_factory):
    """The synthetic example under an experiment name that is an HTML injection attempt."""
    out = tmp_path_factory.mktemp("hostile")
    config = load_config(SYNTHETIC, [f"experiment={HOSTILE}", "hpo.n_trials=20",
                                     "analysis.bootstrap=200"])
    return out, run_study(config, out=out)


def assert_real_picture(path):
    """A decodable PNG that is not one flat colour."""
    image = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert image.shape[0] > 100 and image.shape[1] > 100, path
    assert image.std() > 5 and (image < 128).mean() > 0.005, path


@pytest.mark.parametrize("which", ["quick", "synthetic"])
def test_every_figure_exists_and_is_a_real_picture(which, quick_run, hostile_synthetic):
    out, _ = quick_run if which == "quick" else hostile_synthetic
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert figures == (TRAINED_FIGURES if which == "quick" else EXPECTED_FIGURES)
    for name in figures:
        assert_real_picture(out / "figures" / name)
    markdown = (out / "report.md").read_text()
    for name in figures:
        assert f"(figures/{name})" in markdown


def test_the_report_answers_the_question_first(quick_run, hostile_synthetic):
    quick_html = (quick_run[0] / "report.html").read_text()
    sections = ["What to do", "Summary", "Cost and accuracy per ratio",
                "Hyperparameter optimisation", "Landscapes", "Sensitivity", "Threshold ratio",
                "Configuration and environment"]
    positions = [quick_html.index(f">{s}</h2>") for s in sections]
    assert positions == sorted(positions)
    synthetic_md = (hostile_synthetic[0] / "report.md").read_text()
    summary = synthetic_md.split("## Summary", 1)[1].split("##", 1)[0]
    assert "lr moves measurably from" in summary
    assert "weight_decay does not move above the seed noise up to 90 %" in summary


def test_user_strings_are_escaped(hostile_synthetic):
    out, _ = hostile_synthetic
    html = (out / "report.html").read_text()
    assert HOSTILE not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = (out / "report.md").read_text()
    assert markdown.startswith("# pruneshift report: &lt;script&gt;alert(1)&lt;/script&gt;")
    outside_code = markdown.split("```yaml", 1)[0]
    assert HOSTILE not in outside_code  # inside the fenced config it is inert text


def test_a_fence_in_a_user_string_cannot_close_the_config_block(tmp_path):
    from pruneshift.report import render_markdown
    from pruneshift.report._page import Section

    code = "experiment: '```\n<img src=x onerror=alert(1)>'\n"
    markdown = render_markdown("t", [Section("c", "c", code=code + "note: ````x\n")], tmp_path)
    assert "`````yaml" in markdown and markdown.rstrip().endswith("`````")


def test_the_html_is_self_contained(quick_run):
    html = (quick_run[0] / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count("data:image/png;base64,") == len(INLINED_FIGURES)
    assert "default-src 'none'" in html


def test_report_and_status_commands(quick_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(quick_run[0], out)
    shutil.rmtree(out / "figures")
    (out / "report.html").unlink()
    runner = CliRunner()
    rebuilt = runner.invoke(app, ["report", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (out / "report.html").exists()
    assert len(list((out / "figures").glob("*.png"))) == len(TRAINED_FIGURES)
    status = runner.invoke(app, ["status", str(out)])
    assert status.exit_code == 0, status.output
    for stage in ("hpo", "reference", "pruning", "deploy", "grid r=0", "grid r=0.5"):
        assert stage in status.stdout
    assert "18 │       0 │      0 │       0 │    0" in status.stdout


def test_status_of_a_run_whose_grid_is_not_stored_yet(quick_run, tmp_path):
    import optuna

    from pruneshift.pipeline._status import run_status
    from pruneshift.storage import default_storage_url, open_storage, stages_study_name

    out = tmp_path / "copy"
    shutil.copytree(quick_run[0], out)
    storage = open_storage(default_storage_url(out))
    optuna.delete_study(study_name=stages_study_name("quick"), storage=storage)
    optuna.create_study(study_name=stages_study_name("quick"), storage=storage)
    _, rows = run_status(out)
    assert [r["stage"] for r in rows] == ["hpo", "reference", "pruning", "deploy"]
    assert rows[0]["left"] == 0 and rows[1]["done"] == 0


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def test_a_real_browser_opens_the_report_offline(quick_run, tmp_path):
    import os

    playwright = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    if executable is None:
        if os.environ.get("PRUNESHIFT_REQUIRE_BROWSER"):
            pytest.fail("no Chromium on this machine; .ci/run installs Debian's chromium")
        pytest.skip("no Chromium here (install Debian's chromium to run this test)")
    report = quick_run[0] / "report.html"
    errors, requests = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        title = page.title()
        images = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert title == "pruneshift report: quick"
    assert len(images) == len(INLINED_FIGURES) and all(w > 100 for w in images)
    assert_real_picture(tmp_path / "report.png")


def _browser(playwright):
    import os

    executable = chromium_path()
    if executable is None:
        if os.environ.get("PRUNESHIFT_REQUIRE_BROWSER"):
            pytest.fail("no Chromium on this machine; .ci/run installs Debian's chromium")
        pytest.skip("no Chromium here (install Debian's chromium to run this test)")
    return playwright.chromium.launch(executable_path=executable, args=[
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"])


@pytest.mark.parametrize("width", [800, 1400])
def test_the_answer_fits_a_narrow_screen(quick_run, tmp_path, width):
    """At 800 px the page does not overflow sideways and the answer table's cost column is in
    view without scrolling (screenshots kept for a look by eye)."""
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.goto((quick_run[0] / "report.html").as_uri(), wait_until="load")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        cost = page.locator("#answer th", has_text="keeping costs (points)").bounding_box()
        page.screenshot(path=str(tmp_path / f"answer-{width}.png"))
        browser.close()
    assert overflow <= width
    assert cost is not None and cost["x"] + cost["width"] <= width
    assert_real_picture(tmp_path / f"answer-{width}.png")


def test_every_first_screen_number_comes_from_results_json(quick_run):
    """The answer section recomputed from results.json alone: each ratio's MACs removed,
    ONNX Runtime latency and its change, what keeping costs and its bounds, the test
    accuracies the answer rests on, and the headline's bound."""
    import json

    out, _ = quick_run
    results = json.loads((out / "results.json").read_text())
    answer = (out / "report.md").read_text().split("## Answer", 1)[1].split("\n## ", 1)[0]
    dense = results["ratios"]["0"]["deployment"]["onnx"]["timings"][0]["median_ms"]
    worst = 0.0
    for key, entry in results["ratios"].items():
        if key == "0":
            continue
        found = entry["answer"]
        start = f"Prune to {100 * float(key):.0f} %"
        line = next(x for x in answer.splitlines() if x.startswith(start))
        assert f"{100 * entry['reductions']['macs']:.0f} % fewer MACs" in line
        latency = entry["deployment"]["onnx"]["timings"][0]["median_ms"]
        assert f"ONNX Runtime {latency:.3f} ms at batch 1 on one thread " \
               f"({100 * (latency / dense - 1):+.0f} %)" in line
        assert f"at most {_points(found['ci_high'])}" in line or \
            f"{_points(found['ci_low'])} to {_points(found['ci_high'])}" in line
        confirmed = entry["settle"]["confirmation"]
        assert f"test accuracy {100 * confirmed['recipe_accuracy']:.1f} % re-tuned, " \
               f"{100 * confirmed['kept_accuracy']:.1f} % kept (over {confirmed['seeds']} " \
               "fresh seeds)" in line
        row = next(x for x in answer.splitlines() if x.startswith(f"| {key} |"))
        assert f"| {found['decision']} | {_points(found['regret'])} |" in row
        worst = max(worst, found["ci_high"])
    kind = results["verdict"]["kind"]
    if kind == "keep":
        assert f"costs at most {_points(worst)} accuracy points" in answer


def _points(value):
    from pruneshift.report._text import points

    return points(value)


@pytest.mark.parametrize(("value", "shown"), [
    (0.018, "1.8"), (0.0046, "0.46"), (0.0003, "0.03"), (0.005, "0.50"), (0.0, "0.0"),
    (0.0049798, "0.498"), (0.00503, "0.503"), (0.01004, "1.004"), (-0.0035, "-0.35")])
def test_a_number_beside_a_round_epsilon_shows_its_side(value, shown):
    """A bound of 0.498 points is not shown as 0.50 beside ε = 0.50 (nor 0.503 as 0.50)."""
    assert _points(value) == shown


def test_a_shift_that_costs_nothing_is_not_told_to_be_re_tuned(hostile_synthetic):
    from pruneshift.analysis import ThresholdCriterion
    from pruneshift.report._text import summary

    results = hostile_synthetic[1].model_copy(deep=True)
    threshold = results.threshold
    threshold.by_regret = ThresholdCriterion(overall=None,
                                             per_hp={"lr": None, "weight_decay": None})
    threshold.by_shift = ThresholdCriterion(overall=0.25, per_hp={"lr": 0.5, "weight_decay": None})
    threshold.overall, threshold.per_hp["lr"] = 0.25, 0.5
    for entry, compared in results.compared():
        for regret in (compared.regret, compared.per_hp["lr"].regret):
            regret.mean, regret.ci_low, regret.ci_high = 0.001, -0.002, 0.004
        entry.answer = entry.answer.model_copy(update=dict(
            decision="keep", regret=0.001, ci_low=0.0, ci_high=0.004))
    results.verdict = results.verdict.model_copy(update=dict(
        kind="keep", retune_from=None, keep_up_to=0.9, shift_from=0.25, unsettled=[]))
    text = " ".join(summary(results))
    assert "Re-tune" not in text
    assert "Keep your hyperparameters up to 90 % pruning" in text
    assert "costs at most 0.40 accuracy points" in text
    assert "The good region moves measurably from 25 % pruning on" in text
    assert "lr moves measurably from 50 % pruning on" in text


def test_the_configuration_shows_what_the_grid_ran_with(quick_run, hostile_synthetic):
    import yaml

    def config_block(out):
        markdown = (out / "report.md").read_text()
        section = markdown.split("## Configuration and environment", 1)[1]
        return yaml.safe_load(section.split("```yaml", 1)[1].split("```", 1)[0])

    out, results = quick_run
    shown = config_block(out)
    assert "synthetic" not in shown  # a real-data run has no synthetic section
    for name, value in {**results.hpo_optimum, **results.grid["fixed"]}.items():
        assert shown["training"][name] == pytest.approx(value)
    markdown = (hostile_synthetic[0] / "report.md").read_text()
    summary_section = markdown.split("## Summary", 1)[1].split("##", 1)[0]
    assert "The synthetic task" in summary_section and "model cnn" not in summary_section
    assert "synthetic" in config_block(hostile_synthetic[0])


def test_what_to_do_gives_the_gain_the_answer_rests_on(quick_run):
    """Where the settle stage ran, the gain of re-tuning in "What to do" is its gain on fresh
    seeds, as in the answer; words in tables are left-aligned, numbers right."""
    from pruneshift.report._text import answer_interval, points

    out, results = quick_run
    answer = results.ratios[0.5].answer
    html = (out / "report.html").read_text()
    assert f"{points(answer.regret)} on fresh seeds ({answer_interval(answer)})" in html
    assert f'<td class="text">{results.ratios[0.5].answer.decision}</td>' in html
    assert "<td>0.5</td>" in html


def test_the_html_landscapes_give_every_cell_on_hover(quick_run):
    """report.html draws each ratio's grid as a table whose cells name their hyperparameters
    and their accuracy on every seed; report.md keeps the picture."""
    import json
    import re
    from html import unescape

    from pruneshift.config import build_config

    out, _ = quick_run
    html = (out / "report.html").read_text()
    config = build_config(json.loads((out / "results.json").read_text())["config"])
    tables = html.count('<table class="heat">')
    tips = [unescape(t) for t in re.findall(r'<td title="([^"]+)"', html)]
    assert tables == len(config.pruning.ratios) and tips and len(tips) % tables == 0
    for tip in tips:
        point, rest = tip.split(": ", 1)
        assert all(f"{name} = " in point for name in config.grid.axes)
        assert "% mean validation accuracy" in rest
        assert len(rest.split("per seed ", 1)[1].split(", ")) == config.grid.seeds
    assert "(figures/landscapes.png)" in (out / "report.md").read_text()
