"""Runs written before 0.2's renames (config/legacy.py, rundir.LEGACY_*) stay finished runs:
every stage current, evaluate and predict work on them, and nothing in them is rewritten
by reading it. The old run is built the way 0.1 wrote it: its file and stage names, its
config keys, and its config hashes computed by 0.1's formula over the old names."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import yaml

from ..conftest import snapshot_tree
from .test_pipeline import TINY, only_run, stage_lines

# 0.1's stages: name -> (config sections it hashed, with 0.1's names)
OLD_STAGES = {
    "snapshot": ("data", "prep.calendar"),
    "scale": ("data", "prep"),
    "window": ("data", "prep"),
    "train": ("model", "train"),
    "evaluate": ("data", "evaluate.season", "evaluate.intervals"),
    "plot": ("plot.enabled", "plot.dpi"),
}
NEW_STAGES = {"snapshot": "snapshot", "scale": "encode", "window": "split", "train": "train", "evaluate": "evaluate",
              "plot": "plot"}  # fmt: skip
OLD_FILES = {"encoding.json": "scaler.json", "split.npz": "windows.npz"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def old_hash(config: dict, sections: tuple[str, ...]) -> str:
    """0.1's runner.section_hash, over a config mapping spelt with 0.1's names."""
    payload = {}
    for dotted in sections:
        node = config
        for part in dotted.split("."):
            node = node[part]
        payload[dotted] = node
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def downgrade(run: Path) -> None:
    """Rewrite a finished run as 0.1 wrote it."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    data, prep, model = config["data"], config["prep"], config["model"]
    # csv and synthetic name their series themselves: 0.1 left the name unset.
    data.update(ticker=None, tickers=data.pop("symbols"), tickers_file=data.pop("symbols_file"))
    del data["symbol"]
    prep["horizon"], prep["calendar"] = prep.pop("output_steps"), prep.pop("calendar_features")
    prep["normalize"] = {"series": "global"}.get(prep["normalize"], prep["normalize"])
    model["scope"] = {"symbol": "ticker"}[model["scope"]]
    del prep["fourier_terms"], prep["deseasonalize"], config["train"]["ensemble"]  # added since: legacy.ADDED_OFF
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    encoding = json.loads((run / "encoding.json").read_text())
    encoding["horizon"] = encoding.pop("output_steps")
    encoding["normalize"] = {"series": "global"}.get(encoding["normalize"], encoding["normalize"])
    (run / "scaler.json").write_text(json.dumps(encoding, indent=2) + "\n")
    with np.load(run / "split.npz") as npz:
        arrays = {("horizon" if k == "output_steps" else k): npz[k] for k in npz.files}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (run / "windows.npz").write_bytes(buffer.getvalue())
    (run / "encoding.json").unlink()
    (run / "split.npz").unlink()
    # 0.1 had no statistical competitors: no stage, no file, no rows or columns of theirs.
    (run / "competitors.npz").unlink()
    metrics = json.loads((run / "metrics.json").read_text())
    competitors = list(metrics.pop("competitors")["fitted"])
    for name in competitors:
        del metrics["metrics"][name], metrics["diebold_mariano"][name]
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    predictions = (run / "predictions.csv").read_text().splitlines()
    header = predictions[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in competitors]
    rows = [",".join(line.split(",")[i] for i in keep) for line in predictions]
    (run / "predictions.csv").write_text("\n".join(rows) + "\n")

    manifest = json.loads((run / "manifest.json").read_text())
    stages = {}
    for old, sections in OLD_STAGES.items():
        record = manifest["stages"][NEW_STAGES[old]]
        for key in ("inputs", "outputs"):
            record[key] = {
                OLD_FILES.get(name, name): sha(run / OLD_FILES.get(name, name)) if digest else None
                for name, digest in record[key].items()
                if name != "competitors.npz"
            }
        record["config"] = old_hash(config, sections)
        stages[old] = record
    manifest["stages"] = stages
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def test_a_run_written_before_the_renames_is_current_and_is_read_as_it_is(invoke, tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY.replace("prep: {", "prep: {calendar_features: [day_of_week], "))
    assert invoke("train", "--config", str(config)).exit_code == 0
    run = only_run(tmp_path)
    fresh = invoke("predict", run.name, "--horizon", "3", "--json")
    assert fresh.exit_code == 0, fresh.output
    downgrade(run)
    before = snapshot_tree(run)

    old = invoke("predict", run.name, "--horizon", "3", "--json")
    assert old.exit_code == 0, old.output
    assert "is now called" not in old.output  # a config the tool wrote: read without a deprecation line
    assert json.loads(old.stdout)["forecast"] == json.loads(fresh.stdout)["forecast"]
    # Reading migrates nothing: the run's files are as 0.1 left them (.lock holds a pid).
    after = snapshot_tree(run)
    assert {k: v for k, v in after.items() if k != ".lock"} == {k: v for k, v in before.items() if k != ".lock"}

    # Renames make nothing out of date; the competitors stage (new in 0.2) is added, and
    # evaluate runs again to score them, without retraining.
    again = invoke("train", "--run-dir", str(run))
    assert again.exit_code == 0, again.output
    lines = stage_lines(again)
    assert [s for s, status in lines.items() if status.startswith("unchanged")] == [
        "snapshot", "encode", "split", "train",
    ]  # fmt: skip
    assert [s for s, status in lines.items() if status.startswith("done")] == ["competitors", "evaluate", "plot"]
    assert set(json.loads((run / "metrics.json").read_text())["competitors"]["fitted"]) == {
        "auto_ets", "auto_arima", "auto_theta",
    }  # fmt: skip

    rescored = invoke("evaluate", run.name, "--set", "evaluate.season=3")
    assert rescored.exit_code == 0, rescored.output
    lines = stage_lines(rescored)
    unchanged = [s for s, status in lines.items() if status.startswith("unchanged")]
    assert unchanged == ["snapshot", "encode", "split", "train"]


def as_written_by_0_2(run: Path) -> None:
    """Rewrite a finished run as 0.2 wrote it: metrics.json without verdicts (beats_naive was
    skill > 0), split.npz without its first and last rows; the manifest's hashes follow."""
    metrics = json.loads((run / "metrics.json").read_text())
    del metrics["verdicts"]
    metrics["beats_naive"] = metrics["skill"] > 0
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with np.load(run / "split.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if k not in ("train_start", "test_end")}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (run / "split.npz").write_bytes(buffer.getvalue())
    manifest = json.loads((run / "manifest.json").read_text())
    for stage, name in (("split", "split.npz"), ("evaluate", "metrics.json")):
        manifest["stages"][stage]["outputs"][name] = sha(run / name)
    for stage in ("train", "competitors", "evaluate", "plot"):
        if "split.npz" in manifest["stages"][stage].get("inputs", {}):
            manifest["stages"][stage]["inputs"]["split.npz"] = sha(run / "split.npz")
        if "metrics.json" in manifest["stages"][stage].get("inputs", {}):
            manifest["stages"][stage]["inputs"]["metrics.json"] = sha(run / "metrics.json")
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def test_a_run_written_by_0_2_is_judged_by_the_one_rule_and_still_predicts(invoke, tmp_path: Path) -> None:
    import forecast
    from forecast.rundir import RunDir
    from forecast.rundir.artifacts import read_split

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY + "evaluate: {competitors: [auto_ets], combine: true}\n")
    assert invoke("train", "--config", str(config)).exit_code == 0
    run = only_run(tmp_path)
    judged = forecast.open_run(run).metrics
    split = read_split(RunDir(run))
    fresh = invoke("predict", run.name, "--horizon", "3", "--json")
    assert fresh.exit_code == 0, fresh.output
    as_written_by_0_2(run)
    before = snapshot_tree(run)

    old = forecast.open_run(run).metrics  # judged on reading, from its own numbers, by the same rule
    assert old.verdicts == judged.verdicts and old.beats_naive == judged.beats_naive
    assert old.verdict_lines() == judged.verdict_lines()
    again = read_split(RunDir(run))  # its first and last rows derived from the windows
    assert (again.train_start, again.test_end) == (split.train_start, split.test_end)
    predicted = invoke("predict", run.name, "--horizon", "3", "--json")
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.stdout)["forecast"] == json.loads(fresh.stdout)["forecast"]
    assert json.loads(predicted.stdout)["test"]["verdict"] == json.loads(fresh.stdout)["test"]["verdict"]
    assert invoke("report", run.name).exit_code == 0
    after = snapshot_tree(run)  # reading rewrote nothing but the report, a view
    assert {k: v for k, v in after.items() if k not in (".lock", "report.html")} == {
        k: v for k, v in before.items() if k not in (".lock", "report.html")
    }
    scored = invoke("score", "tiny", "--include-as-of")  # logged, and waiting for its actuals
    assert scored.exit_code == 4 and "nothing to score yet: 2 forecast(s) logged for tiny" in scored.stderr
