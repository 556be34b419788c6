"""Reading settings and source lists from TOML files and the environment, validated once.

Precedence, lowest first: ``config/defaults.toml`` < ``$NEWSMON_HOME/config.toml`` (or the file
named by ``$NEWSMON_CONFIG`` / ``--config``) < environment (``NEWSMON_DATABASE_URL`` and
``NEWSMON_<SECTION>__<KEY>``) < explicit overrides from the command line. Errors name the file
and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import ValidationError

from config.errors import NewsmonError
from config.settings import Settings, SourceSpec

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = PACKAGE_DIR / "defaults.toml"
DEFAULT_SOURCES_FILE = PACKAGE_DIR / "sources.toml"
ENV_PREFIX = "NEWSMON_"
_RESERVED_ENV = {"NEWSMON_HOME", "NEWSMON_CONFIG", "NEWSMON_DATABASE_URL", "NEWSMON_SHARED_DATA"}


class ConfigError(NewsmonError):
    """A configuration file or variable is invalid; the message says where and why."""


def resolve_home(env: Mapping[str, str], home: Path | None = None) -> Path:
    """The data directory: the argument, else ``$NEWSMON_HOME``, else the user's data dir."""
    if home is not None:
        return home.expanduser()
    if env.get("NEWSMON_HOME"):
        return Path(env["NEWSMON_HOME"]).expanduser()
    return Path(platformdirs.user_data_dir("newsmon", appauthor=False))


def load_settings(
    *,
    home: Path | None = None,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Merge defaults, the user's file, the environment and ``overrides`` into frozen Settings."""
    environ = os.environ if env is None else env
    data_dir = resolve_home(environ, home)
    merged = read_toml(DEFAULTS_FILE)
    user_file = config_file or _user_config_file(environ, data_dir)
    if user_file is not None:
        user = read_toml(user_file)
        _refuse_secrets_in_file(user, user_file)
        merged = deep_merge(merged, user)
    merged = deep_merge(merged, _environment_layer(environ))
    merged = deep_merge(merged, {k: dict(v) for k, v in (overrides or {}).items()})
    merged["home"] = str(data_dir)
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, user_file)) from error


def load_source_specs(*paths: Path) -> list[SourceSpec]:
    """Read ``[[source]]`` tables from the given files (later files override earlier by name)."""
    by_name: dict[str, SourceSpec] = {}
    for path in paths or (DEFAULT_SOURCES_FILE,):
        for index, table in enumerate(read_toml(path).get("source", [])):
            try:
                spec = SourceSpec.model_validate(table)
            except ValidationError as error:
                where = f"{path} (source #{index + 1}, {table.get('name', '?')!r})"
                raise ConfigError(format_validation_error(error, None, where)) from error
            by_name[spec.name] = spec
    return list(by_name.values())


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax and I/O errors into :class:`ConfigError`."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"config file not found: {path}") from error
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``top``, merging nested tables instead of replacing them."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def format_validation_error(
    error: ValidationError, path: Path | None, where: str | None = None
) -> str:
    """One readable line per problem: ``file: section.key: message``."""
    origin = where or (str(path) if path else "settings")
    lines = []
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{origin}: {location}: {problem['msg']}")
    return "\n".join(lines)


def _user_config_file(env: Mapping[str, str], home: Path) -> Path | None:
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"]).expanduser()
    candidate = home / "config.toml"
    return candidate if candidate.is_file() else None


def _environment_layer(env: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if env.get("NEWSMON_DATABASE_URL"):
        layer["storage"] = {"database_url": env["NEWSMON_DATABASE_URL"]}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in _RESERVED_ENV or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        layer.setdefault(section, {})[key] = _env_value(value)
    return layer


def _env_value(value: str) -> Any:
    """Environment values are TOML scalars when they parse as one (numbers, booleans), else text."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _refuse_secrets_in_file(data: Mapping[str, Any], path: Path) -> None:
    url = data.get("storage", {}).get("database_url")
    if isinstance(url, str) and urlsplit(url).password:
        raise ConfigError(
            f"{path}: storage.database_url contains a password; secrets are read only from the "
            "environment: set NEWSMON_DATABASE_URL instead"
        )
