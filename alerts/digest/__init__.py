"""The daily digest: a subscription's stories of a period, ranked, grouped and rendered.

Flow: Alerts of a period (loaded by the shell into a :class:`DigestInput`) --:func:`build_digest`-->
:class:`Digest` --:func:`render_html` / :func:`render_text` / :func:`render_markdown` /
:func:`render_json` / :func:`render_compact`--> documents for the channels. Everything here is
pure: no database, no clock, no network.
"""

from __future__ import annotations

from alerts.digest.build import (
    build_digest,
    entities_from_refs,
    lead_report,
    reaction_from_ref,
    score_story,
)
from alerts.digest.render import (
    SCHEMA,
    digest_document,
    digest_environment,
    render_compact,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from alerts.digest.types import (
    CountChange,
    Digest,
    DigestEntity,
    DigestInput,
    DigestOutlet,
    DigestReaction,
    DigestSection,
    DigestStory,
    EntityCount,
    MarketMove,
    RankedStory,
    StoryReport,
)

__all__ = [
    "SCHEMA",
    "CountChange",
    "Digest",
    "DigestEntity",
    "DigestInput",
    "DigestOutlet",
    "DigestReaction",
    "DigestSection",
    "DigestStory",
    "EntityCount",
    "MarketMove",
    "RankedStory",
    "StoryReport",
    "build_digest",
    "digest_document",
    "digest_environment",
    "entities_from_refs",
    "lead_report",
    "reaction_from_ref",
    "render_compact",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "score_story",
]
