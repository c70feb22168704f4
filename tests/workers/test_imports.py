"""A heavy import runs with the collector off and leaves its objects frozen, once per process."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from forecast.workers.imports import for_good


def a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


def test_the_import_runs_without_the_collector_and_its_objects_are_frozen(tmp_path, monkeypatch) -> None:
    a_module(
        tmp_path,
        monkeypatch,
        "heavy_lib",
        "import gc\nCOLLECTING = gc.isenabled()\nOBJECTS = [[i] for i in range(1000)]\n",
    )
    frozen = gc.get_freeze_count()
    with for_good("heavy_lib"):
        import heavy_lib
    assert heavy_lib.COLLECTING is False
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + 1000  # its lists are out of every later collection


def test_once_per_process_and_never_where_the_collector_is_off(tmp_path, monkeypatch) -> None:
    a_module(tmp_path, monkeypatch, "light_lib", "X = 1\n")
    import light_lib  # noqa: F401  (imported already: nothing is frozen again)

    frozen = gc.get_freeze_count()
    with for_good("light_lib"):
        assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    gc.disable()
    try:
        with for_good("another_lib"):
            pass
        assert not gc.isenabled() and gc.get_freeze_count() == frozen  # the caller's choice stands
    finally:
        gc.enable()


def test_a_failed_import_turns_the_collector_back_on(tmp_path, monkeypatch) -> None:
    a_module(tmp_path, monkeypatch, "broken_lib", "raise ImportError('libbroken.so: cannot open shared object file')\n")
    with pytest.raises(ImportError), for_good("broken_lib"):
        import broken_lib  # noqa: F401
    assert gc.isenabled()


def test_tensorflow_and_statsforecast_are_imported_through_it(monkeypatch) -> None:
    """The two heavy imports (benchmarks/imports.py measured what it saves) go through for_good."""
    from forecast.network import training
    from forecast.scoring import competitors
    from forecast.workers import imports

    through: list[str] = []

    def recorded(module: str):
        through.append(module)
        return for_good(module)

    monkeypatch.setattr(imports, "for_good", recorded)
    training.import_keras()
    competitors.prepare()  # what the competitors' child runs before it says ready
    assert through == ["tensorflow", "statsforecast"]
