"""Signals in the middle of training: SIGINT and SIGTERM stop cleanly, mark the run
interrupted and leave it resumable; after SIGKILL the next command resumes it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Real processes (signals, locks, concurrent writers): slow by nature.
pytestmark = pytest.mark.slow

SLOW = """\
name: slow
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25, target_transform: log_return}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 2000, batch_size: 64, patience: 0, seed: 3}
plot: {enabled: false}
"""


def forecast(tmp_path: Path, *args: str, **more: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "FORECAST_DATA_DIR": str(tmp_path / "data"),
        "FORECAST_RUNS_DIR": str(tmp_path / "runs"),
        **more,
    }
    return subprocess.Popen([sys.executable, "-m", "forecast", *args], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def manifest(tmp_path: Path) -> dict:
    (path,) = (tmp_path / "runs").glob("slow-*/manifest.json")
    return json.loads(path.read_text())


def start_training(tmp_path: Path) -> subprocess.Popen:
    (tmp_path / "slow.yaml").write_text(SLOW)
    process = forecast(tmp_path, "train", "--config", "slow.yaml")
    deadline = time.monotonic() + 120
    while True:
        try:
            if manifest(tmp_path)["stages"]["train"]["status"] == "running":
                time.sleep(1.0)  # well inside model.fit
                return process
        except (ValueError, KeyError, OSError):
            pass
        assert time.monotonic() < deadline and process.poll() is None, "training never started"
        time.sleep(0.2)


def resume(invoke, tmp_path: Path) -> str:
    """The stopped run resumed by the next command, in this process: what is tested is what the
    stopped process left on disk, and a resume here spares a process its TensorFlow import."""
    run = next((tmp_path / "runs").glob("slow-*"))
    result = invoke("train", "--run-dir", str(run), "--set", "train.epochs=2")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path)["status"] == "complete"
    return result.stderr


@pytest.mark.parametrize(
    ("sig", "code", "says"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_during_training_stops_cleanly_and_the_run_resumes(
    invoke, tmp_path: Path, sig, code: int, says: str
) -> None:
    process = start_training(tmp_path)
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert says in err.strip().splitlines()[-1] and "Traceback" not in err
    record = manifest(tmp_path)
    assert record["status"] == "interrupted" and record["stages"]["train"]["status"] == "interrupted"
    run = next((tmp_path / "runs").glob("slow-*"))
    assert not (run / "model.keras").exists() and not list(run.glob(".*.tmp*"))  # no half-written model
    err = resume(invoke, tmp_path)
    assert "snapshot    unchanged, skipped" in err and "split       unchanged, skipped" in err


def test_after_sigkill_the_next_command_resumes_the_run(invoke, tmp_path: Path) -> None:
    process = start_training(tmp_path)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert manifest(tmp_path)["stages"]["train"]["status"] == "running"  # nobody could record the end
    err = resume(invoke, tmp_path)
    assert "encode      unchanged, skipped" in err


def config_show_after(prelude: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`forecast config show` through the CLI's own main(), in a process that first runs `prelude`."""
    (tmp_path / "c.yaml").write_text(SLOW)
    script = prelude + "import sys\nfrom forecast.cli import main\n"
    script += "sys.argv = ['forecast', 'config', 'show', 'c.yaml']\nmain()\n"
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def said_only(done: subprocess.CompletedProcess, code: int, line: str) -> None:
    """The process ended with `code` and said one line on stderr: `error: {line}`."""
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {line}"], done.stderr


def loading_config(body: str, prelude: str) -> str:
    """A prelude for config_show_after: `prelude` runs first, then `body` (indented lines) runs
    each time the command loads its config."""
    return (prelude + "import forecast.config\n"
            "real = forecast.config.load_config\n"
            "def load_config(*args, **kwargs):\n" + body + "    return real(*args, **kwargs)\n"
            "forecast.config.load_config = load_config\n")  # fmt: skip


def test_a_signal_after_the_command_finished_changes_nothing(tmp_path: Path) -> None:
    """A SIGTERM landing in the interpreter's teardown, after the command's work and exit code
    (seen when a retrain finished just as the signal came: it died by the signal, -15)."""
    late = ("import atexit, os, signal, time\n"
            "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(0.5)))\n")  # fmt: skip
    done = config_show_after(late, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "model:" in done.stdout
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


@pytest.mark.parametrize("moment", ["typer builds the commands", "typer parses the arguments"])
@pytest.mark.parametrize(("sig", "code", "line"), [(signal.SIGTERM, 143, "terminated (SIGTERM)"),
                                                   (signal.SIGINT, 130, "aborted")])  # fmt: skip
def test_a_signal_in_the_first_tenths_of_a_second_gets_its_code_and_line(tmp_path, moment, sig, code, line) -> None:
    """Seen with a SIGTERM 0.3 s after `forecast train` started: typer turned the interruption as
    it parsed into a silent 130; as it built the commands, the process ended without a line."""
    where = "typer.main.get_group" if moment == "typer builds the commands" else "typer.core.TyperGroup.make_context"
    prelude = (f"import os, signal, typer.core, typer.main\nreal = {where}\n"
               f"def first_signalled(*args, **kwargs):\n    os.kill(os.getpid(), {int(sig)})\n"
               f"    return real(*args, **kwargs)\n{where} = first_signalled\n")  # fmt: skip
    said_only(config_show_after(prelude, tmp_path), code, line)


def test_a_signal_landing_in_a_finaliser_still_stops_the_command(tmp_path: Path) -> None:
    """A SIGTERM whose handler runs inside a finaliser (a weakref callback at the end of a retrain,
    seen once): the interruption raised there cannot propagate; Python printed "Exception ignored"
    with a traceback and the command went on as if no signal had come."""
    inside = loading_config("    Dying()\n",
                            "import os, signal\n"
                            "class Dying:\n"
                            "    def __del__(self):\n"
                            "        os.kill(os.getpid(), signal.SIGTERM)\n"
                            "        sum(range(100000))  # the handler runs here, inside the finaliser\n")  # fmt: skip
    done = config_show_after(inside, tmp_path)
    said_only(done, 143, "terminated (SIGTERM)")
    assert done.stdout == ""


def test_a_signal_the_kernel_hands_to_a_native_thread_still_stops_the_command(tmp_path: Path) -> None:
    """The kernel may deliver a process's SIGTERM to any thread that does not block it, a native one
    (TensorFlow's, OpenBLAS') too. Python 3.11 then ran its handler only when the main thread next
    blocked or gave up the GIL: here not before 5 s of pure Python had run."""
    inside = loading_config("    signal.pthread_kill(native.value, signal.SIGTERM)  # to that thread only\n"
                            "    end = time.monotonic() + 5\n"
                            "    while time.monotonic() < end:  # Python that never blocks, as importing TensorFlow\n"
                            "        pass\n"
                            "    sys.stderr.write('ran on for 5 s\\n')\n",
                            "import ctypes, signal, sys, time\n"
                            "libc = ctypes.CDLL(None)\n"
                            "native = ctypes.c_ulong()  # a thread outside Python, blocked in pause()\n"
                            "pause = ctypes.cast(libc.pause, ctypes.c_void_p)\n"
                            "libc.pthread_create(ctypes.byref(native), None, pause, None)\n")  # fmt: skip
    said_only(config_show_after(inside, tmp_path), 143, "terminated (SIGTERM)")


# Run at the start of each real command (a sitecustomize on PYTHONPATH): at its exit, the modules
# it had imported go into $MODULES_SEEN/<command>.
MODULES_SEEN = """\
import atexit, os, sys
def seen():
    with open(os.path.join(os.environ["MODULES_SEEN"], sys.argv[1]), "w") as f:
        f.write("\\n".join(sys.modules))
atexit.register(seen)
"""


@pytest.fixture(scope="module")
def real_commands(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, subprocess.CompletedProcess], Path]:
    """fetch, train (with plots) and predict, each in a real process with an empty HOME, once:
    the tests below read what they wrote and printed, and the modules each had imported."""
    tmp_path, seen = tmp_path_factory.mktemp("real"), tmp_path_factory.mktemp("seen")
    (tmp_path / "home").mkdir()
    (tmp_path / "tiny.yaml").write_text(SLOW.replace("epochs: 2000", "epochs: 1").replace("enabled: false", "dpi: 50"))
    (seen / "sitecustomize.py").write_text(MODULES_SEEN)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "FORECAST_DATA_DIR": str(tmp_path / "data"),
           "FORECAST_RUNS_DIR": str(tmp_path / "runs"), "FORECAST_MODELS_DIR": str(tmp_path / "models"),
           "PYTHONPATH": str(seen), "MODULES_SEEN": str(seen)}  # fmt: skip
    done = {}
    for args in (["fetch", "MSFT", "--source", "sample"], ["train", "--config", "tiny.yaml"], ["predict", "slow"]):
        done[args[0]] = subprocess.run([sys.executable, "-m", "forecast", *args], env=env, cwd=tmp_path,
                                       capture_output=True, text=True, timeout=300)  # fmt: skip
    return tmp_path, done, seen


def test_nothing_is_written_outside_the_roots(real_commands: tuple[Path, dict, Path]) -> None:
    """With an empty HOME: fetch, train (with plots) and predict write only under the roots."""
    tmp_path, done, _ = real_commands
    for command in ("fetch", "train", "predict"):
        assert done[command].returncode == 0, done[command].stderr
    assert list((tmp_path / "home").rglob("*")) == []
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()}
    assert written <= {"data", "runs", "tiny.yaml"}


def test_a_real_process_prints_no_tensorflow_banners(real_commands: tuple[Path, dict, Path]) -> None:
    train = real_commands[1]["train"]
    assert train.returncode == 0, train.stderr
    assert "skill" in train.stdout
    assert "oneDNN" not in train.stderr and "I0000" not in train.stderr and "E0000" not in train.stderr


def test_the_cli_imports_keras_without_what_forecast_never_uses(real_commands: tuple[Path, dict, Path]) -> None:
    """Keras' scikit-learn wrappers and its image gallery (pyplot) cost a quarter of its import
    (network/training.py: KERAS_UNUSED); the figures are drawn without pyplot all the same."""
    _, done, seen = real_commands
    assert done["train"].returncode == 0, done["train"].stderr
    modules = set((seen / "train").read_text().split())
    assert {"keras", "tensorflow", "matplotlib.figure"} <= modules  # imported by the figures themselves
    assert not {"sklearn", "matplotlib.pyplot"} & modules


def test_two_commands_on_one_run_never_write_it_at_once(tmp_path: Path) -> None:
    first = start_training(tmp_path)
    run = next((tmp_path / "runs").glob("slow-*"))
    second = forecast(tmp_path, "train", "--run-dir", str(run), "--force")
    _, err = second.communicate(timeout=120)
    first.kill()
    first.wait(timeout=60)
    assert second.returncode == 75
    assert err.strip().splitlines()[-1].startswith(f"error: a command on run {run} is already running (pid ")


def cpu_seconds(pid: str) -> float:
    """The CPU time a process has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def running(pid: str) -> bool:
    """Alive and not a zombie (an exited child whose reaping is up to init)."""
    try:
        return "\tZ" not in Path(f"/proc/{pid}/status").read_text().split("State:")[1][:3]
    except (OSError, IndexError):
        return False


def test_sigterm_stops_a_universe_and_every_worker_its_runs_resumable(tmp_path: Path) -> None:
    """The parent stops its worker processes too; each member run is recorded as interrupted."""
    (tmp_path / "uni.yaml").write_text(SLOW.replace("symbol: MSFT", "symbols: [MSFT, IBM]"))
    process = forecast(tmp_path, "train", "--config", "uni.yaml", "--workers", "2")

    def training() -> int:
        count = 0
        for path in (tmp_path / "runs").glob("slow-*/manifest.json"):
            with contextlib.suppress(ValueError, KeyError, OSError):  # a manifest being rewritten
                count += json.loads(path.read_text())["stages"]["train"]["status"] == "running"
        return count

    deadline = time.monotonic() + 180
    while training() < 2:
        assert time.monotonic() < deadline and process.poll() is None, "training never started"
        time.sleep(0.3)
    time.sleep(1.0)
    workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) >= 2  # the spawned workers (and multiprocessing's resource tracker)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert "terminated" in err.strip().splitlines()[-1] and "Traceback" not in err
    for path in (tmp_path / "runs").glob("slow-*/manifest.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "interrupted" and record["stages"]["train"]["status"] == "interrupted"
    time.sleep(1.0)
    assert [pid for pid in workers if running(pid)] == []  # no worker left training alone


def test_ctrl_c_stops_a_tune_and_its_workers_and_the_tune_resumes_from_its_study(invoke, tmp_path: Path) -> None:
    """Finished trials are kept; those under way run again on resume; no worker is left running,
    nor its temporary files (TensorFlow's autograph writes one for each function it converts)."""
    (tmp_path / "slow.yaml").write_text(SLOW + "tune: {folds: 1, space: {model.units: [[4], [3]]}}\n")
    (temporary := tmp_path / "tmp").mkdir()
    process = forecast(
        tmp_path, "tune", "--config", "slow.yaml", "--workers", "2", "--trials", "2", TMPDIR=str(temporary)
    )
    deadline = time.monotonic() + 180

    def children() -> list[str]:
        return subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()

    while len(workers := children()) < 2 or not list(tmp_path.glob("runs/*/study.db")):
        assert time.monotonic() < deadline and process.poll() is None, "the tune never started its workers"
        time.sleep(0.3)

    def trained() -> bool:  # the two busiest children (the workers) past 7 s of CPU each
        busiest = sorted(cpu_seconds(pid) for pid in children())[-2:]
        return len(busiest) == 2 and min(busiest) >= 7.0

    # The workers import TensorFlow (about 5 s of CPU), then run their trials (epochs: 2000, never
    # done in time): past 7 s each is well into a trial.
    while not trained():
        assert time.monotonic() < deadline and process.poll() is None, "the workers never trained"
        time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    (run,) = tmp_path.glob("runs/slow-tune-*")
    said = f"interrupted; finished trials are kept; resume with: forecast tune --run-dir {run}"
    assert err.strip().splitlines()[-1] == said
    assert "Traceback" not in err and json.loads((run / "manifest.json").read_text())["status"] == "interrupted"
    time.sleep(1.0)
    assert [pid for pid in workers if running(pid)] == []
    assert list(temporary.iterdir()) == []
    resumed = invoke("tune", "--run-dir", str(run), "--set", "train.epochs=1", "--workers", "1")  # here: see resume
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads((run / "tune.json").read_text())
    # The two interrupted trials ran again (as trials 2 and 3) with the values they had.
    assert sorted(r["trial"] for r in summary["leaderboard"]) == [2, 3]
    assert sorted(str(r["values"]["model.units"]) for r in summary["leaderboard"]) == ["[3]", "[4]"]
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"
