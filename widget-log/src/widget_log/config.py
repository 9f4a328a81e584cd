"""Configuration: shipped defaults (``defaults.toml``) deep-merged with a user file or dict."""

from __future__ import annotations

import copy
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or unknown."""


def default_config() -> dict[str, Any]:
    text = resources.files("widget_log").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, Any], over: dict[str, Any], path: str = "") -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        where = f"{path}{key}"
        if key not in base:
            # pricing accepts new model keys; everything else must be known.
            if path != "pricing.":
                raise ConfigError(f"unknown config key: {where}")
            out[key] = value
            continue
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key {where} must be a table")
            out[key] = _merge(base[key], value, where + ".")
        else:
            if _kind(base[key]) != _kind(value):
                raise ConfigError(
                    f"config key {where} must be {_kind(base[key])}, got {_kind(value)}"
                )
            out[key] = value
    return out


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "table"
    return type(v).__name__


def load_config(
    overrides: dict[str, Any] | None = None, path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Defaults, then the TOML file at ``path`` (if given), then ``overrides``.

    ``overrides`` may itself carry ``"config_file"``: a TOML path applied before
    the rest of the overrides.
    """
    cfg = default_config()
    overrides = dict(overrides or {})
    file_path = path or overrides.pop("config_file", None)
    if file_path:
        try:
            with open(file_path, "rb") as fh:
                cfg = _merge(cfg, tomllib.load(fh))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {file_path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML in {file_path}: {exc}") from exc
    return _merge(cfg, overrides)


def resolve_data_dir(cfg: dict[str, Any]) -> Path | None:
    """The directory of the cache DB, or None for an in-memory store."""
    data_dir = cfg.get("data_dir", "")
    if data_dir == ":memory:":
        return None
    if data_dir:
        return Path(data_dir).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lantern" / "widget-log"
