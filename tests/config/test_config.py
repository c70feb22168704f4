"""Config: safe YAML, typed sections, dotted-path errors with suggestions, --set overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.config import Config, load_config
from forecast.errors import ConfigError, MissingInputError

ROOT = Path(__file__).parents[2]
D = "data: {source: sample, symbol: IBM}\n"


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "name", ["lstm.yaml", "rnn.yaml", "gru.yaml", "examples/sine_rnn.yaml", "examples/csv_lstm.yaml"]
)
def test_shipped_configs_load_and_run_offline_with_sample(name: str) -> None:
    config = load_config(ROOT / "configs" / name)
    assert config.name == Path(name).stem
    sample = load_config(ROOT / "configs" / name, ["data.source=sample", "data.symbol=MSFT"])
    assert sample.data.source == "sample"


def test_lstm_config_is_the_case_study() -> None:
    c = load_config(ROOT / "configs" / "lstm.yaml")
    assert (c.data.symbol, c.data.target, c.prep.lookback, c.prep.test_fraction) == ("MSFT", "adj_close", 120, 0.2)
    assert (c.model.kind, c.model.units, c.model.dense, c.train.optimizer, c.train.loss) == (
        "lstm", [50, 50], [25], "adam", "mse"
    )  # fmt: skip


def test_csv_path_is_relative_to_the_config_file() -> None:
    c = load_config(ROOT / "configs" / "examples" / "csv_lstm.yaml")
    assert c.data.path == (ROOT / "configs" / "examples" / "ibm.csv").resolve()


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, "data: {source: sample, symbol: IBM}\n"))
    assert isinstance(c, Config) and c.prep.lookback == 60 and c.train.batch_size == 64 and c.name == "c"


def test_overrides_are_typed(tmp_path: Path) -> None:
    c = load_config(
        write(tmp_path, "data: {source: sample, symbol: IBM}\n"),
        ["prep.lookback=30", "model.units=[8, 4]", "model.bidirectional=true", "train.learning_rate=0.01"],
    )
    assert (c.prep.lookback, c.model.units, c.model.bidirectional, c.train.learning_rate) == (30, [8, 4], True, 0.01)


@pytest.mark.parametrize(
    ("text", "overrides", "message"),
    [
        ("data: {source: sample, symbl: IBM}\n", [], "data.symbl: unknown key; did you mean 'symbol'?"),
        ("data: {source: sample, symbol: IBM}\nmodle: {}\n", [], "modle: unknown key; did you mean 'model'?"),
        (D + "prep: {lookback: many}\n", [], "prep.lookback: input should be a valid integer"),
        (D + "prep: {lookback: 0}\n", [], "prep.lookback: input should be greater than or equal to 1"),
        (D + "model: {kind: transformer}\n", [], "model.kind: input should be 'rnn', 'lstm' or 'gru'"),
        ("data: {source: sample, symbol: IBM}\n", ["train.epochs=-1"], "train.epochs"),
        ("data: {source: sample, symbol: IBM}\n", ["train.epoch=3"], "did you mean 'epochs'"),
        ("data: {source: sample, symbol: IBM}\n", ["lookback"], "not of the form section.key=value"),
        ("prep: {lookback: 3}\n", [], "data: required but missing"),
        ("data: {source: yahoo}\n", [], "source yahoo needs symbol"),
        ("data: {source: sample, symbol: '../x'}\n", [], "data.symbol: symbol '../x' may hold only"),
        ("", [], "is empty"),
        ("- a\n- b\n", [], "must be a mapping"),
        ("data: [unclosed\n", [], "line 2"),
        ("data: !!python/object/apply:os.system ['echo pwned']\n", [], "could not determine a constructor"),
    ],
)  # fmt: skip
def test_bad_configs_name_the_field(tmp_path: Path, text: str, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), overrides)
    assert message in str(info.value)
    assert info.value.exit_code == 78


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_readme_config_reference_is_generated_from_the_schema() -> None:
    from forecast.cli.docs import END, START, config_reference

    readme = (ROOT / "README.md").read_text()
    assert f"{START}\n{config_reference()}{END}" in readme, "run: python -m forecast.cli.docs"
    for key in ("lookback", "test_fraction", "batch_size", "patience", "auto_adjust"):
        assert f"| `{key}` |" in readme


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["lookback=60"], "--set lookback=60: lookback: unknown key; did you mean 'prep.lookback'?"),
        (["epochs=3"], "--set epochs=3: epochs: unknown key; did you mean 'train.epochs'?"),
        (["prep.lookback=60", "prep.lookback=x"], "--set prep.lookback=x: prep.lookback: input should be a valid"),
        (["data.ticker=../x"], "--set data.ticker=../x: data.symbol: symbol '../x' may hold only"),  # an old name
    ],
)  # fmt: skip
def test_a_bad_set_is_blamed_on_the_set_not_the_file(tmp_path: Path, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "data: {source: sample, symbol: IBM}\n"), overrides)
    assert str(info.value).startswith(message)


def test_a_bad_value_in_the_file_is_blamed_on_the_file_whatever_else_is_set(tmp_path: Path) -> None:
    path = write(tmp_path, D + "prep: {lookback: many}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, ["train.epochs=3"])
    assert str(info.value).startswith(f"{path}: prep.lookback: input should be a valid integer")


def test_config_show_takes_the_config_as_an_argument_or_as_config(invoke, tmp_path: Path) -> None:
    path = write(tmp_path, "data: {source: sample, symbol: IBM}\n")
    positional, option = invoke("config", "show", str(path)), invoke("config", "show", "--config", str(path))
    assert positional.exit_code == option.exit_code == 0 and positional.stdout == option.stdout
    assert "symbol: IBM" in option.stdout
    for args in ([], [str(path), "--config", str(path)]):
        refused = invoke("config", "show", *args)
        assert refused.exit_code == 64 and "forecast config show --config configs/lstm.yaml" in refused.stderr


def test_the_defaults_are_the_recipe_the_shipped_configs_use() -> None:
    # A config written from the reference gets what was measured, not the tutorial's recipe.
    import yaml

    from forecast.config.schema import ModelConfig, PrepConfig, TrainConfig

    sections = {"prep": PrepConfig, "model": ModelConfig, "train": TrainConfig}
    marked = {
        (section, key): field.default
        for section, model in sections.items()
        for key, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and "measured" in field.json_schema_extra
    }
    assert marked == {
        ("prep", "target_transform"): "auto", ("model", "dense_activation"): "linear",
        ("train", "epochs"): 30, ("train", "patience"): 5,
    }  # fmt: skip
    for name in ("lstm", "rnn", "gru"):
        shipped = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())
        assert {(s, k): shipped[s][k] for s, k in marked} == marked, name
