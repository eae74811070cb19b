"""The RL Baselines3 Zoo's files beside a Stable-Baselines3 zip: `vecnormalize.pkl` and `config.yml`.

Where the Zoo keeps them: in the stats folder named after the run's env (`logs/ppo/Pendulum-v1_1/
Pendulum-v1.zip` beside `logs/ppo/Pendulum-v1_1/Pendulum-v1/`), or, as the Hugging Face hub stores
a model, beside the zip itself (`vec_normalize.pkl`, `config.yml`). An agent's `rl_zoo` setting
names them instead, or turns one off with null.

How they are read, with nothing executed:
- `vecnormalize.pkl` (a pickled VecNormalize) by `restricted_pickle`: VecNormalize, RunningMeanStd
  and gymnasium's spaces become plain records, numpy arrays are rebuilt, anything else is refused;
- `config.yml` (the run's hyperparameters, an OrderedDict dumped by PyYAML) by a safe YAML loader
  that builds the `!!python/object/apply:collections.OrderedDict` tag as a plain dict and refuses
  every other python tag.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml

from tinyrl.errors import CheckpointError
from tinyrl.importers.common.restricted_pickle import Record, restricted_loads

RECORDED_CLASSES = frozenset(
    {
        ("stable_baselines3.common.vec_env.vec_normalize", "VecNormalize"),
        ("stable_baselines3.common.running_mean_std", "RunningMeanStd"),
        *(
            (f"{package}.spaces.{module}", name)
            for package in ("gym", "gymnasium")
            for module, name in (("box", "Box"), ("discrete", "Discrete"), ("dict", "Dict"))
        ),
    }
)
RECORDED_PACKAGES = ("numpy.random",)  # a space may carry its seeded generator: recorded, never rebuilt
ORDERED_DICT_TAG = "tag:yaml.org,2002:python/object/apply:collections.OrderedDict"


def companion_files(zip_path: str | os.PathLike, env_id: str) -> dict[str, str]:
    """The Zoo's files found for this zip: {"vecnormalize": path, "zoo_config": path}, each if present.

    Looked for in the run's stats folder (named after the zip, or after the env) under the Zoo's names,
    then beside the zip under the hub's (`vec_normalize.pkl`, `config.yml`)."""
    zip_path = Path(zip_path)
    stats_folders = [zip_path.parent / zip_path.stem, zip_path.parent / env_id.split("/")[-1]]
    candidates = {
        "vecnormalize": [folder / "vecnormalize.pkl" for folder in stats_folders]
        + [zip_path.parent / "vec_normalize.pkl"],
        "zoo_config": [folder / "config.yml" for folder in [*stats_folders, zip_path.parent]],
    }
    found = {}
    for key, paths in candidates.items():
        existing = [path for path in paths if path.is_file()]
        if existing:
            found[key] = str(existing[0])
    return found


class _ZooConfigLoader(yaml.SafeLoader):
    """Safe YAML plus the Zoo's OrderedDict tag, built as a dict; every other python tag stays refused."""


def _ordered_dict(loader: yaml.SafeLoader, node: yaml.Node) -> dict:
    (pairs,) = loader.construct_sequence(node, deep=True)  # apply:OrderedDict takes one argument: the pairs
    return {key: value for key, value in pairs}


_ZooConfigLoader.add_constructor(ORDERED_DICT_TAG, _ordered_dict)


def read_zoo_config(path: str | os.PathLike) -> dict:
    """The run's hyperparameters (config.yml) as a plain dict."""
    try:
        data = yaml.load(Path(path).read_text(), Loader=_ZooConfigLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.constructor.ConstructorError as exc:
        raise CheckpointError(f"{path}: refused: {exc.problem} (only plain YAML and the Zoo's OrderedDict)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: not a readable Zoo config.yml: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: not a mapping of hyperparameters")
    return data


def normalizes_observations(zoo_config: dict, path: str) -> bool:
    """Whether the run wrapped its env in VecNormalize with observation normalisation (the Zoo's
    `normalize`: true, a mapping, or that mapping printed as a string)."""
    normalize = zoo_config.get("normalize", False)
    if isinstance(normalize, str):
        try:
            normalize = yaml.safe_load(normalize.replace("True", "true").replace("False", "false"))
        except yaml.YAMLError:
            raise CheckpointError(f"{path}: field 'normalize' is not readable: {normalize!r}") from None
    if isinstance(normalize, dict):
        return bool(normalize.get("norm_obs", True))
    return bool(normalize)


def read_vecnormalize(path: str | os.PathLike) -> dict | None:
    """The observation normaliser of a pickled VecNormalize: {"mean", "var", "clip", "epsilon"}, or None
    when it does not normalise observations."""
    data = Path(path).read_bytes()
    record = restricted_loads(data, RECORDED_CLASSES, str(path), RECORDED_PACKAGES)
    if not isinstance(record, Record) or not record.class_name.endswith(".VecNormalize"):
        raise CheckpointError(f"{path}: not a pickled VecNormalize")
    if not record.get("norm_obs", True):
        return None
    if record.get("norm_obs_keys"):
        raise CheckpointError(f"{path}: field 'norm_obs_keys': dict observations are not supported")
    stats = record.get("obs_rms")
    mean = stats.get("mean") if isinstance(stats, Record) else None
    var = stats.get("var") if isinstance(stats, Record) else None
    if not isinstance(mean, np.ndarray) or not isinstance(var, np.ndarray) or mean.shape != var.shape:
        raise CheckpointError(f"{path}: field 'obs_rms' lacks matching mean and var arrays")
    try:
        clip, epsilon = float(record.get("clip_obs")), float(record.get("epsilon"))
    except (TypeError, ValueError):
        raise CheckpointError(f"{path}: fields 'clip_obs' and 'epsilon' must be numbers") from None
    return {"mean": mean.astype(np.float64), "var": var.astype(np.float64), "clip": clip, "epsilon": epsilon}


ATARI_WRAPPER = "stable_baselines3.common.atari_wrappers.AtariWrapper"


def _wrapper_names(setting) -> list[str]:
    """The Zoo's env_wrapper: a name, a list of names, or names mapped to their keyword arguments."""
    items = setting if isinstance(setting, list) else [setting]
    return [name for item in items for name in (item if isinstance(item, dict) else {item: None})]


def unsupported_settings(zoo_config: dict, image: bool) -> list[str]:
    """Settings of the run that change what the policy sees and the import cannot reproduce. An image
    policy's AtariWrapper and 4-frame stack are the sb3_atari protocol's (tinyrl.episodes.atari), so they pass."""
    problems = []
    frame_stack = zoo_config.get("frame_stack")
    if frame_stack and not (image and frame_stack == 4):
        problems.append(f"frame_stack: {frame_stack}")
    wrappers = [
        name for name in _wrapper_names(zoo_config.get("env_wrapper") or []) if not (image and name == ATARI_WRAPPER)
    ]
    if wrappers:
        problems.append(f"env_wrapper: {wrappers}")
    return problems
