"""The daemon's settings, as read by ``plan`` (schedules) and ``service`` (stop timeout).

The model lives with every other setting in :mod:`config.settings` (``[daemon]`` in
``defaults.toml``); this module names the accessor the daemon uses.
"""

from __future__ import annotations

from config.settings import DaemonSettings, Settings

__all__ = ["DaemonSettings", "daemon_settings"]


def daemon_settings(settings: Settings) -> DaemonSettings:
    """The ``[daemon]`` settings."""
    return settings.daemon
