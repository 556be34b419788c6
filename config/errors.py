"""The root of newsmon's exceptions, at the bottom of the dependency graph so every package can
derive its own errors from it. Expected outcomes (a duplicate, a 404, a feed that is not a feed)
are values, not exceptions; these are for conditions a caller cannot carry on from.
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base class of every error newsmon raises on purpose."""
