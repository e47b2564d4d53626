"""The run report: written by `chainrule train` and `chainrule report`, self-contained,
and rendered by a real headless Chromium (no console errors, every figure drawn,
a screenshot with ink where the curves are)."""

from __future__ import annotations

import io
import json
import os
import re
from contextlib import redirect_stdout

import numpy as np
import pytest
from chromium import Browser, find_chromium, read_png

import chainrule as cr
from chainrule.cli import main
from chainrule.explain import report as report_module
from chainrule.explain.report import REPORT, heatmap, line_chart, render_report, write_report

# .ci/run installs Chromium and sets this: there, a missing browser fails the test.
REQUIRE_CHROMIUM = os.environ.get("CHAINRULE_REQUIRE_CHROMIUM") == "1"
CHROMIUM = find_chromium()

FIGURES = ["fig-loss", "fig-accuracy", "fig-confusion", "fig-health-loss",
           "fig-health-dead_frac", "fig-health-act_std", "fig-health-act_mean",
           "fig-health-out_grad_norm", "fig-health-grad_norm", "fig-health-update_ratio",
           "fig-health-nonfinite_frac", "fig-graph"]


def _no_curves(*args, **kwargs):
    """curves.png (matplotlib, a second or two) is not what these tests look at."""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run of `chainrule train --health` (2 short epochs): its folder and printout."""
    out = tmp_path_factory.mktemp("runs") / "mlp"
    from chainrule import train as train_module

    text = io.StringIO()
    with redirect_stdout(text), pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module._Curves, "update", _no_curves)
        status = main(["train", "--epochs", "2", "--limit", "320", "--health", "5",
                       "--out", str(out)])
    assert status == 0
    return out, text.getvalue()


def test_train_prints_findings_and_the_report_path(run):
    out, printed = run
    assert "health: nothing unusual in 4 samples (every 5 steps)" in printed
    assert f"report: {out / REPORT}" in printed
    assert (out / REPORT).is_file() and (out / "health.csv").is_file()


def test_the_page_is_self_contained(run):
    out, _ = run
    page = (out / REPORT).read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    # the only URLs are SVG's XML namespaces (and xlink's, in Graphviz's output)
    urls = set(re.findall(r"https?://[^\"' )>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    for figure in FIGURES:
        assert f'id="{figure}"' in page
    for words in ("Findings", "Settings", "Loss and accuracy", "Confusion matrix", "Layers",
                  "Health over time", "Computation graph of one forward pass", "38,410"):
        assert words in page


def test_chainrule_report_rewrites_the_page(run, capsys):
    out, _ = run
    os.remove(out / REPORT)
    assert main(["report", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out / REPORT}"
    assert (out / REPORT).is_file()
    assert main(["report", str(out / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_without_dot_the_graph_is_listed(run, monkeypatch):
    out, _ = run
    monkeypatch.setattr(report_module.shutil, "which", lambda name: None)
    from chainrule.cli import _trained_model

    model, test_set = _trained_model(str(out))
    page = render_report(out, model, test_set)
    assert "Graphviz's <code>dot</code> is not installed" in page
    assert "<code>linear</code>" in page and 'id="fig-graph"' not in page


def test_a_broken_run_shows_its_findings(tmp_path, monkeypatch):
    from chainrule import nn
    from chainrule.data import Subset, load_digits
    from chainrule.explain.health import HealthMonitor
    from chainrule.train import _Curves, fit

    monkeypatch.setattr(_Curves, "update", _no_curves)
    cr.manual_seed(0)
    train_set, test_set = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    with cr.no_grad():
        model[1].bias.fill_(-30.0)
    fit(model, Subset(train_set, range(320)), test_set, epochs=2, out=tmp_path,
        progress=False, health=HealthMonitor(every=2))
    page = render_report(tmp_path)  # no model: the rest of the page still comes
    assert "layer 2 (ReLU): 100% of units dead" in page
    assert "What people usually try" in page
    assert "Not drawn: give the model and the test set" in page


def test_an_interrupted_run_still_gets_its_report(tmp_path, monkeypatch, capsys):
    from chainrule import train as train_module

    real_fit = train_module.fit

    def fit_then_ctrl_c(*args, **kwargs):
        kwargs["epochs"] = 1
        history = real_fit(*args, **kwargs)
        raise train_module.TrainingInterrupted(2, 1, os.path.join(kwargs["out"], "x"), None,
                                               history)

    monkeypatch.setattr(train_module, "fit", fit_then_ctrl_c)
    monkeypatch.setattr(train_module._Curves, "update", _no_curves)
    out = tmp_path / "run"
    assert main(["train", "--epochs", "3", "--limit", "64", "--out", str(out)]) == 130
    assert f"report: {out / REPORT}" in capsys.readouterr().out
    assert (out / REPORT).is_file()


def test_figures_are_svg_with_their_marks():
    svg = line_chart([("a", [0, 1, 2], [3.0, 1.0, float("nan")])], title="t", x_label="x",
                     y_label="y", log=True)
    assert svg.count("<circle") == 2  # the nan is left out
    svg = heatmap(np.array([[0.0, np.nan], [1e-3, 10.0]]), ["r0", "r1"], ["c0", "c1"],
                  title="h", log=True)
    assert "r1, c1: 10" in svg and "#eeeeee" in svg


def test_write_report_refuses_a_folder_without_a_run(tmp_path):
    from chainrule.train import TrainingError

    with pytest.raises(TrainingError, match="no checkpoint"):
        write_report(tmp_path)


@pytest.mark.skipif(CHROMIUM is None and not REQUIRE_CHROMIUM,
                    reason="needs Chromium (apt-get install chromium); .ci/run installs it")
def test_the_page_renders_in_chromium(run, tmp_path):
    out, _ = run
    browser = Browser(CHROMIUM, width=1280, height=1000)
    try:
        browser.open((out / REPORT).resolve().as_uri())
        boxes = browser.evaluate("""JSON.stringify(Array.from(
            document.querySelectorAll('figure.fig')).map(f => {
              const r = f.getBoundingClientRect(); const s = f.querySelector('svg');
              const b = s ? s.getBoundingClientRect() : {width: 0, height: 0};
              return {id: f.id, x: r.x + window.scrollX, y: r.y + window.scrollY,
                      w: b.width, h: b.height, marks: s ? s.querySelectorAll(
                        'rect,polyline,path,polygon,circle,text').length : 0};
            }))""")
        size = browser.call("Page.getLayoutMetrics")["cssContentSize"]
        page_png = browser.screenshot({"x": 0, "y": 0, "width": size["width"],
                                       "height": size["height"], "scale": 0.25})
        figures = {b["id"]: b for b in json.loads(boxes)}
        loss = figures["fig-loss"]
        curve_png = browser.screenshot({"x": loss["x"], "y": loss["y"], "width": loss["w"],
                                        "height": loss["h"], "scale": 1})
        errors = browser.errors()
    finally:
        browser.close()
    assert errors == []
    assert sorted(figures) == sorted(FIGURES)
    for fig_id, box in figures.items():
        assert box["w"] > 50 and box["h"] > 50, (fig_id, box)
        assert box["marks"] > 3, (fig_id, box)
    (tmp_path / "report.png").write_bytes(page_png)
    page = read_png(page_png)[..., :3].astype(np.int32)
    assert page.shape[0] > 500 // 4 and page.shape[1] > 200
    assert page.std() > 10  # not blank
    curve = read_png(curve_png)[..., :3].astype(np.int32)
    assert curve.shape[0] >= loss["h"] - 1 and curve.shape[1] >= loss["w"] - 1
    # ink in the plotting area: pixels far from white and from the plot's light grey
    inner = curve[30:-44, 58:-12]
    dark = (np.abs(inner - 255).sum(axis=2) > 120)
    assert dark.mean() > 0.005, dark.mean()
    blue = (inner[..., 2] > 150) & (inner[..., 0] < 100)  # the loss line, #1f77b4
    assert blue.sum() > 100
