"""What a run name means to the commands that take one (predict, report, evaluate, promote,
`forecast.open_run`), in this order:

    a path, or a folder name under the runs root  -> that run, whatever state it is in
    a registered model with a champion (lstm)     -> the champion's run: what retrain serves
    a config name (lstm, lstm-MSFT)               -> the newest complete run made by `forecast train`

A retrain challenger is only ever taken as a champion: after `forecast retrain` rejected one,
`predict lstm` still means the model the user trained (issue 20), and a failed or interrupted
run is never the answer to a bare name. Which run was taken, and why, is said on stderr.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from forecast import rundir
from forecast.errors import MissingInputError
from forecast.registry.registry import Registry, models_root
from forecast.rundir import RunDir

log = logging.getLogger(__name__)
# Kinds a bare name may stand for: a training command's runs (global: a universe's model).
TRAINED = ("train", "global")


def find_run(
    name: str | os.PathLike[str],
    runs_root: Path,
    models_dir: Path | None = None,
    *,
    marker: str = rundir.CONFIG,
    champion: bool = True,
) -> RunDir:
    """The run `name` means (see the module's docstring). marker: config.yaml for a run that
    trained, manifest.json for any run (report, runs show). champion=False skips the registry
    (promote: the champion is what is being replaced)."""
    text = os.fspath(name)
    given = RunDir.given(text, runs_root, marker)
    if given is not None:
        return given
    if champion and (served := _champion(text, models_dir)) is not None:
        return served
    runs = RunDir.all_named(text, runs_root, marker)
    skipped: list[str] = []
    for run in runs:
        manifest = run.manifest()
        status, kind = manifest.get("status", "unknown"), run.kind(manifest)
        # predict/evaluate (config.yaml) take a trained model; report and runs show any run but a challenger
        wanted = kind in TRAINED or (marker == rundir.MANIFEST and kind != "retrain")
        if status == "complete" and wanted:
            newer = f"; newer, not taken: {', '.join(skipped)}" if skipped else ""
            log.info("%s: %s, the newest complete %s%s", text, run.path, _made_by(kind), newer)
            return run
        skipped.append(f"{run.path.name} ({'retrain challenger' if kind == 'retrain' else kind}, {status})")
    if runs:
        raise MissingInputError(
            f"no complete run made by forecast train is named {text!r} under {runs_root}: {', '.join(skipped[:3])}"
            + (f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""),
            hint=f"name one (see forecast runs list --all), or train: forecast train --config configs/{text}.yaml",
        )
    raise MissingInputError(
        f"run {text!r} not found (as a path, a folder under {runs_root}, a model or a run name)",
        hint="see: forecast runs list",
    )


def _made_by(kind: str) -> str:
    return "run made by forecast train" if kind == "train" else f"{kind} run"


def _champion(name: str, models_dir: Path | None) -> RunDir | None:
    """The champion's run when `name` is a registered model that has one."""
    root = models_root(models_dir)
    if "/" in name or not (root / name).is_dir():
        return None
    record = Registry(root, name).champion()
    if record is None:
        return None
    run = RunDir.open(Path(record["run"]))
    how = {"retrain": "by retrain"}.get(record.get("how", ""), record.get("how", ""))  # or "by hand"
    how = f"promoted {how} {(record.get('promoted') or '')[:10]}".replace("  ", " ")
    log.info("%s: %s, the champion of model %s (%s; data to %s)", name, run.path, name, how, record.get("data_end"))
    return run
