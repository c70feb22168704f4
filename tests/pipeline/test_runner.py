"""The runner's skip and resume logic, with fake stages that write small files: what
reruns, what is skipped, how a failure or an interruption is recorded and resumed."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from forecast.config import Config, build_config
from forecast.errors import DataError, MissingInputError, Terminated
from forecast.pipeline.runner import Stage, _digest, _same_config, _section, run_pipeline
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir

from ..conftest import interrupt_save


class Fakes:
    """Three stages, a -> b -> c, each writing one file from its input and its config field."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: dict[str, BaseException] = {}

    def stage(self, name: str, inputs: tuple[str, ...], section: str) -> Stage:
        def run(ctx: Context) -> dict:
            self.calls.append(name)
            if name in self.fail:
                raise self.fail.pop(name)
            node = ctx.config
            for part in section.split("."):
                node = getattr(node, part)
            seen = [ctx.run.file(i).read_text() for i in inputs]
            ctx.run.file(f"{name}.txt").write_text(f"{name}({node}, {seen})")
            return {"wrote": f"{name}.txt"}

        return Stage(name, run, inputs, (f"{name}.txt",), (section,))

    @property
    def stages(self) -> tuple[Stage, ...]:
        return (self.stage("a", (), "prep.lookback"), self.stage("b", ("a.txt",), "model.units"),
                self.stage("c", ("b.txt",), "plot.dpi"))  # fmt: skip


def config(**prep: int):
    return build_config({"data": {"source": "synthetic"}, "prep": prep, "plot": {"report": False}})


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture
def run(tmp_path: Path) -> RunDir:
    return RunDir.create(tmp_path / "runs", "t")


def go(fakes: Fakes, run: RunDir, cfg=None, **options):
    events: list[tuple[str, str]] = []
    fakes.calls.clear()
    ctx = Context(cfg or config(), run, run.path / "data")
    listener = lambda stage, status, record: events.append((stage, status))  # noqa: E731
    manifest = run_pipeline(ctx, stages=fakes.stages, listener=listener, **options)
    return manifest, events


def test_a_new_run_runs_every_stage_in_order_and_records_each(fakes: Fakes, run: RunDir) -> None:
    manifest, events = go(fakes, run)
    assert fakes.calls == ["a", "b", "c"]
    assert [e for e in events if e[1] == "done"] == [("a", "done"), ("b", "done"), ("c", "done")]
    assert manifest["status"] == "complete"
    record = manifest["stages"]["b"]
    assert record["status"] == "done" and record["info"] == {"wrote": "b.txt"}
    assert record["inputs"] == {"a.txt": run.sha256("a.txt")} and record["outputs"] == {"b.txt": run.sha256("b.txt")}


def test_nothing_changed_nothing_reruns(fakes: Fakes, run: RunDir) -> None:
    go(fakes, run)
    before = (run.path / "c.txt").read_bytes()
    _, events = go(fakes, run)
    assert fakes.calls == [] and events == [("a", "skipped"), ("b", "skipped"), ("c", "skipped")]
    assert (run.path / "c.txt").read_bytes() == before


def test_a_changed_config_field_reruns_its_stage_and_everything_after(fakes: Fakes, run: RunDir) -> None:
    go(fakes, run)
    go(fakes, run, build_config({"data": {"source": "synthetic"}, "model": {"units": [7]}, "plot": {"report": False}}))
    assert fakes.calls == ["b", "c"]
    assert "[7]" in (run.path / "b.txt").read_text()


def test_an_output_changed_on_disk_reruns_its_stage(fakes: Fakes, run: RunDir) -> None:
    go(fakes, run)
    (run.path / "c.txt").write_text("edited by hand")
    go(fakes, run)
    assert fakes.calls == ["c"]
    (run.path / "a.txt").unlink()
    go(fakes, run)
    assert fakes.calls == ["a", "b", "c"]


def test_a_failure_is_recorded_and_the_next_run_resumes_there(fakes: Fakes, run: RunDir) -> None:
    fakes.fail["b"] = DataError("b broke")
    with pytest.raises(DataError):
        go(fakes, run)
    manifest = run.manifest()
    assert fakes.calls == ["a", "b"] and manifest["status"] == "failed" and manifest["error"] == "b broke"
    assert manifest["stages"]["b"]["status"] == "failed" and "c" not in manifest["stages"]
    manifest, _ = go(fakes, run)
    assert fakes.calls == ["b", "c"] and manifest["status"] == "complete" and "error" not in manifest


def test_an_interruption_is_recorded_as_interrupted(fakes: Fakes, run: RunDir) -> None:
    fakes.fail["c"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        go(fakes, run)
    manifest = run.manifest()
    assert manifest["status"] == "interrupted" and manifest["stages"]["c"]["status"] == "interrupted"


@pytest.mark.parametrize("save", range(8))  # 8 saves: the start, each of 3 stages running and done, complete
def test_a_signal_landing_in_any_save_of_the_manifest_leaves_nothing_running(
    save: int, fakes: Fakes, run: RunDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = interrupt_save(monkeypatch, save)
    with pytest.raises(KeyboardInterrupt):
        go(fakes, run)
    monkeypatch.undo()
    manifest = run.manifest()
    assert manifest["status"] == "interrupted", saves
    assert "running" not in [record["status"] for record in manifest["stages"].values()], manifest["stages"]
    manifest, _ = go(fakes, run)
    assert manifest["status"] == "complete" and fakes.calls == ["a", "b", "c"][min(3, save // 2) :]


def test_a_signal_that_library_code_swallowed_stops_the_run_before_its_next_stage(
    fakes: Fakes, run: RunDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C code that clears errors (an isinstance check inside TensorFlow's import) can drop the
    interruption the handler raised; the signal is still recorded, and the run stops at the next
    stage boundary rather than running on to the end."""
    real = fakes.stage

    def swallowing(name: str, inputs: tuple[str, ...], section: str) -> Stage:
        stage = real(name, inputs, section)
        if name != "a":
            return stage

        def run_a(ctx: Context) -> dict:
            monkeypatch.setattr(Terminated, "signal", signal.SIGTERM)  # arrived; its exception was lost
            return stage.run(ctx)

        return Stage(name, run_a, stage.inputs, stage.outputs, stage.sections)

    monkeypatch.setattr(fakes, "stage", swallowing)
    with pytest.raises(Terminated):
        go(fakes, run)
    manifest = run.manifest()
    assert fakes.calls == ["a"] and manifest["status"] == "interrupted"
    assert manifest["stages"]["a"]["status"] == "done" and "b" not in manifest["stages"]


def test_force_rerun_from_and_until(fakes: Fakes, run: RunDir) -> None:
    manifest, _ = go(fakes, run, until="b")
    assert fakes.calls == ["a", "b"] and manifest["status"] == "prepared"
    go(fakes, run)
    assert fakes.calls == ["c"]
    go(fakes, run, rerun_from="b")
    assert fakes.calls == ["b", "c"]
    go(fakes, run, force=True)
    assert fakes.calls == ["a", "b", "c"]


def test_a_stage_that_must_be_current_is_never_run_but_refused(fakes: Fakes, run: RunDir) -> None:
    go(fakes, run)
    before = json.loads((run.path / "manifest.json").read_text())
    changed = build_config({"data": {"source": "synthetic"}, "model": {"units": [9]}, "plot": {"report": False}})
    with pytest.raises(MissingInputError, match="stage b of .* is out of date"):
        go(fakes, run, changed, rerun_from="c", must_be_current=frozenset({"a", "b"}))
    assert fakes.calls == [] and json.loads((run.path / "manifest.json").read_text()) == before


def test_a_run_written_before_evaluate_combine_keeps_its_stages_current() -> None:
    config = Config.model_validate({"data": {"source": "synthetic", "target": "value"}})
    sections = ("data", "evaluate.season", "evaluate.intervals", "evaluate.competitors", "evaluate.combine")
    before = _digest({name: _section(config, name) for name in sections if name != "evaluate.combine"})
    assert _same_config(before, config, sections)  # combine false: the run's stages stay current
    combined = config.model_copy(update={"evaluate": config.evaluate.model_copy(update={"combine": True})})
    assert not _same_config(before, combined, sections)  # turning it on scores the run again
