"""A compare run's report.html on the bundled MSFT prices, opened in headless Chromium
(Debian's chromium, driven by Playwright): the ranking table and the figures render,
and the page asks the network for nothing.

Skipped where Chromium or Playwright is missing (`apt-get install chromium`; .ci/run
installs it). Set FORECAST_SCREENSHOT=path.png to keep the screenshot to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (in the dev extra)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
]
LSTM = Path(__file__).resolve().parents[2] / "configs" / "lstm.yaml"
# The flags a sandboxed, offline machine needs (see the machine notes): no sandbox as root,
# no GPU, and none of Chromium's own background connections.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def test_compare_report_on_sample_msft_renders_its_table_and_figures(invoke, tmp_path: Path) -> None:
    # Three years of prices: enough for every forecaster and figure, a fifth of the training and competitor work.
    tiny = ["--set", "data.source=sample", "--set", "data.start=2010-03-01", "--set", "train.epochs=1",
            "--set", "model.units=[4]", "--set", "model.dense=[]", "--set", "plot.dpi=60"]  # fmt: skip
    result = invoke("compare", "rnn", "lstm", "--config", str(LSTM), *tiny, "--json")
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    report = Path(compared["report"])

    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        ranking = page.evaluate(
            "[...document.querySelector('#ranking table').rows].slice(1).map(r => [...r.cells].map(c => c.innerText))"
        )
        links = page.evaluate("[...document.querySelectorAll('#candidates a')].map(a => a.href)")
        # The ranking fits a 1,280 px window: its box does not scroll sideways.
        box = page.evaluate("(w => [w.scrollWidth, w.clientWidth])(document.querySelector('#ranking .wide'))")
        verdicts = page.evaluate("[...document.querySelectorAll('.verdict')].map(v => v.innerText)")
        title = page.title()
        shot = Path(os.environ.get("FORECAST_SCREENSHOT") or tmp_path / "report.png")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()

    assert outside == []
    assert title == "Comparison: MSFT adj_close"
    # comparison.png, decoded and laid out at its real size (1100 x 800 px at dpi 60... any positive size).
    assert len(images) == 1 and images[0][0] is True and images[0][1] > 300 and images[0][2] > 200
    assert [row[1] for row in ranking] == compared["ranking"]
    assert [row[0] for row in ranking] == [str(i) for i in range(1, len(compared["ranking"]) + 1)]
    rmse = {r["name"]: f"{r['rmse']:.4f}" for r in compared["rows"]}
    assert all(row[3] == rmse[row[1]] for row in ranking)
    assert box[0] <= box[1], f"the ranking table is {box[0]} px wide in a {box[1]} px box"
    # Each model's verdicts against naive and the best competitor, the paired tests': the words
    # comparison.json holds, as scoring/verdict.py made them.
    models = [r for r in compared["rows"] if r["kind"] not in ("baseline", "competitor")]
    said = [f"{r['name']}: {r[k]['words']}." for r in models for k in ("versus_naive", "versus_competitor") if r.get(k)]
    assert verdicts == said and len(verdicts) >= 4
    assert sorted(Path(link.removeprefix("file://")).parent.name for link in links) == ["lstm", "rnn"]
    assert all(Path(link.removeprefix("file://")).is_file() for link in links)

    from PIL import Image

    with Image.open(shot) as picture:
        assert picture.width == 1280 and picture.height > 1500  # the whole page, not a blank viewport
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200  # plots and text, not an empty page
