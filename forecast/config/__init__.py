"""Typed configuration: the schema (data.py, schema.py) and how a config is loaded (load.py).

Everything is re-exported here: `from forecast.config import Config, load_config`.
"""

from forecast.config.data import MAX_UNIVERSE, DataConfig, Interval, Period, Section, Source
from forecast.config.load import (
    ConfigLike,
    apply_overrides,
    as_config,
    build_config,
    data_config_from_options,
    describe_validation_error,
    dump_config,
    load_config,
    raw_config,
    read_config_file,
    read_yaml_mapping,
    require_one_series,
)
from forecast.config.schema import (
    MODEL_KINDS,
    Activation,
    BacktestConfig,
    Config,
    EvaluateConfig,
    MlflowConfig,
    ModelConfig,
    PlotConfig,
    PredictConfig,
    PrepConfig,
    RetrainConfig,
    TrainConfig,
)

__all__ = [
    "MODEL_KINDS",
    "Activation",
    "BacktestConfig",
    "Config",
    "ConfigLike",
    "DataConfig",
    "EvaluateConfig",
    "Interval",
    "MAX_UNIVERSE",
    "MlflowConfig",
    "ModelConfig",
    "Period",
    "PlotConfig",
    "PredictConfig",
    "PrepConfig",
    "RetrainConfig",
    "Section",
    "Source",
    "TrainConfig",
    "apply_overrides",
    "as_config",
    "build_config",
    "data_config_from_options",
    "describe_validation_error",
    "dump_config",
    "load_config",
    "raw_config",
    "read_config_file",
    "read_yaml_mapping",
    "require_one_series",
]
