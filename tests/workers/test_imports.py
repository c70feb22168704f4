"""A heavy import runs with the collector off and leaves its objects frozen, once per process."""

from __future__ import annotations

import gc
import sys
import threading
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

    def recorded(module: str, unused: tuple[str, ...] = ()):
        through.append(module)
        return for_good(module, unused)

    monkeypatch.setattr(imports, "for_good", recorded)
    training.import_keras()
    competitors.prepare()  # what the competitors' child runs before it says ready
    assert through == ["tensorflow", "statsforecast"]


# As Keras imports scikit-learn and matplotlib.pyplot: where installed (both are, here).
OPTIONAL = """\
try:
    from extra_lib import part
except ImportError:
    part = None
try:
    from plain_lib import gallery
except ImportError:
    gallery = None
"""
UNUSED = ["extra_lib", "plain_lib.gallery"]


def a_library_with_extras(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own: bool) -> None:
    """lib_with_extras imports extra_lib.part and plain_lib.gallery where installed; the process
    is forecast's own or not."""
    from forecast.workers import imports

    a_module(tmp_path, monkeypatch, "lib_with_extras", OPTIONAL)
    for package, module in (("extra_lib", "part"), ("plain_lib", "gallery")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / f"{module}.py").write_text("")
        for name in (package, f"{package}.{module}"):
            monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(imports, "_OWN", [])  # this process's mark, restored after the test
    if own:
        imports.own_process()


def test_in_forecasts_own_process_the_unused_are_left_out_and_importable_after(tmp_path, monkeypatch) -> None:
    a_library_with_extras(tmp_path, monkeypatch, own=True)
    with for_good("lib_with_extras", UNUSED):
        import lib_with_extras
    # The library went on without them, as where they are not installed; a package is kept
    # whole but for the submodule named.
    assert lib_with_extras.part is None and lib_with_extras.gallery is None
    assert "extra_lib" not in sys.modules and "plain_lib" in sys.modules and "plain_lib.gallery" not in sys.modules
    from extra_lib import part  # the process's own imports, after: as usual
    from plain_lib import gallery

    assert part.__name__ == "extra_lib.part" and gallery.__name__ == "plain_lib.gallery"


def test_another_thread_imports_as_usual_meanwhile(tmp_path, monkeypatch) -> None:
    a_library_with_extras(tmp_path, monkeypatch, own=True)
    found: list[object] = []

    def beside() -> None:  # as the competitors' thread, beside the network's import
        from plain_lib import gallery

        found.append(gallery)

    with for_good("lib_with_extras", UNUSED):
        thread = threading.Thread(target=beside)
        thread.start()
        thread.join()
        import lib_with_extras
    assert found and lib_with_extras.gallery is found[0]  # imported by then, so not left out


def test_in_a_users_session_nothing_is_left_out(tmp_path, monkeypatch) -> None:
    a_library_with_extras(tmp_path, monkeypatch, own=False)
    with for_good("lib_with_extras", UNUSED):
        import lib_with_extras
    assert lib_with_extras.part is not None and lib_with_extras.gallery is not None  # the user may use them


def test_what_was_imported_before_is_not_left_out(tmp_path, monkeypatch) -> None:
    a_library_with_extras(tmp_path, monkeypatch, own=True)
    import extra_lib  # noqa: F401  (the package, not yet its part)

    with for_good("lib_with_extras", UNUSED):
        import lib_with_extras
    assert lib_with_extras.part is not None and lib_with_extras.gallery is None
