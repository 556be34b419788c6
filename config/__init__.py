"""Settings: the schema (pydantic, strict, frozen), the defaults, the default sources, the catalog.

``load_settings`` merges, in rising precedence, ``defaults.toml`` < the user's ``config.toml`` <
``NEWSMON_*`` environment variables < explicit overrides (CLI flags), validates the result once and
returns a frozen :class:`Settings`. Every other package receives settings; none reads files or the
environment itself.
"""

from config.loading import ConfigError, load_settings, load_source_specs
from config.settings import (
    CrawlerSettings,
    LoggingSettings,
    NlpSettings,
    Settings,
    SourceSpec,
    StorageSettings,
    parse_duration,
)

__all__ = [
    "ConfigError",
    "CrawlerSettings",
    "LoggingSettings",
    "NlpSettings",
    "Settings",
    "SourceSpec",
    "StorageSettings",
    "load_settings",
    "load_source_specs",
    "parse_duration",
]
