"""Reading settings and source lists from TOML files and the environment, validated once.

Precedence, lowest first: ``config/defaults.toml`` < ``$NEWSMON_HOME/config.toml`` (or the file
named by ``$NEWSMON_CONFIG`` / ``--config``) < environment (``NEWSMON_DATABASE_URL`` and
``NEWSMON_<SECTION>__<KEY>``) < explicit overrides from the command line. Errors name the key
and where its value came from: the file, or the environment variable.
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
Origins = dict[tuple[str, ...], str]
"""Where each setting came from: ``(section,)`` or ``(section, key)`` -> a file or a variable."""


class ConfigError(NewsmonError):
    """A configuration file or variable is invalid; the message says where and why."""


def resolve_home(env: Mapping[str, str], home: Path | None = None) -> Path:
    """The data directory: the argument, else ``$NEWSMON_HOME``, else the user's data dir."""
    if home is not None:
        return home.expanduser()
    if env.get("NEWSMON_HOME"):
        return Path(env["NEWSMON_HOME"]).expanduser()
    return user_data_home()


def user_data_home() -> Path:
    """The data directory when neither ``--home`` nor ``$NEWSMON_HOME`` names one: this user's
    data directory (``~/.local/share/newsmon`` on Linux, or under ``$XDG_DATA_HOME``)."""
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
    origins: Origins = {}
    if user_file is not None:
        user = read_toml(user_file)
        _refuse_secrets_in_file(user, user_file)
        merged = deep_merge(merged, user)
        _note_origins(origins, user, str(user_file))
    variables = _environment_variables(environ)
    merged = deep_merge(merged, _environment_layer(variables))
    for name, (section, key, _value) in variables.items():
        _note_origins(origins, {section: {key: None}}, f"environment variable {name}")
    layer = {k: dict(v) for k, v in (overrides or {}).items()}
    merged = deep_merge(merged, layer)
    _note_origins(origins, layer, "overrides")
    merged["home"] = str(data_dir)
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, user_file, origins=origins)) from error


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
    error: ValidationError,
    path: Path | None,
    where: str | None = None,
    *,
    origins: Mapping[tuple[str, ...], str] | None = None,
) -> str:
    """One readable line per problem: ``origin: section.key: message``, the origin being where
    the value came from (``origins``: a key's, else its section's), else ``where``/``path``."""
    fallback = where or (str(path) if path else "settings")
    lines = []
    for problem in error.errors():
        loc = tuple(str(part) for part in problem["loc"])
        origin = next((origins[loc[:n]] for n in (2, 1) if origins and loc[:n] in origins),
                      fallback)
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{origin}: {'.'.join(loc) or '(top level)'}: {message}")
    return "\n".join(lines)


def _user_config_file(env: Mapping[str, str], home: Path) -> Path | None:
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"]).expanduser()
    candidate = home / "config.toml"
    return candidate if candidate.is_file() else None


def _environment_variables(env: Mapping[str, str]) -> dict[str, tuple[str, str, Any]]:
    """The variables that set settings: name -> ``(section, key, value)``."""
    found: dict[str, tuple[str, str, Any]] = {}
    if env.get("NEWSMON_DATABASE_URL"):
        found["NEWSMON_DATABASE_URL"] = ("storage", "database_url", env["NEWSMON_DATABASE_URL"])
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in _RESERVED_ENV or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        found[name] = (section, key, _env_value(value))
    return found


def _environment_layer(variables: Mapping[str, tuple[str, str, Any]]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for section, key, value in variables.values():
        layer.setdefault(section, {})[key] = value
    return layer


def _note_origins(origins: Origins, layer: Mapping[str, Any], origin: str) -> None:
    """Record ``origin`` for each key ``layer`` sets (it replaces an earlier layer's), and for
    each section no earlier layer named (a missing key is blamed on where its section began)."""
    for section, value in layer.items():
        origins.setdefault((section,), origin)
        if isinstance(value, Mapping):
            for key in value:
                origins[(section, key)] = origin


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
