"""The demo day: the sample stories re-timed so that news keeps arriving while the demo runs.

Part of the offline demo of the application shell (``newsmon/demo``). The bundled stories are
dated over the two days before the site's start (see ``stories/*.toml``). For ``newsmon demo``,
:func:`spread_over_day` keeps their order but re-times them: the oldest ``backlog`` stories are
out before the demo starts (the first crawl finds them), the others are published one after
another, evenly spaced between ``first`` and ``last`` after the start. Pure: a catalog in, a
catalog out; the site then serves it like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from newsmon.demo.catalog import Catalog, Story


@dataclass(frozen=True)
class DemoTimeline:
    """When the demo's stories come out, relative to the site's start."""

    backlog: int = 6
    """The oldest stories, published (an hour apart) before the start."""
    first: timedelta = timedelta(minutes=40)
    """When the first of the other stories is published."""
    last: timedelta = timedelta(hours=13)
    """When the last story is published."""


def spread_over_day(catalog: Catalog, timeline: DemoTimeline) -> Catalog:
    """``catalog`` with every story's offset moved onto ``timeline``, order kept (ties by key)."""
    ordered = sorted(catalog.stories, key=lambda story: (story.offset, story.key))
    backlog = ordered[: timeline.backlog]
    fresh = ordered[timeline.backlog:]
    offsets = {
        story.key: -timedelta(hours=len(backlog) - index)
        for index, story in enumerate(backlog)
    }
    span, steps = timeline.last - timeline.first, max(1, len(fresh) - 1)
    offsets.update({story.key: timeline.first + span * index // steps
                    for index, story in enumerate(fresh)})
    stories = tuple(_moved(story, offsets[story.key]) for story in catalog.stories)
    return replace(catalog, stories=stories)


def _moved(story: Story, offset: timedelta) -> Story:
    """The story published at ``offset``; an update keeps its distance from publication."""
    updated = None if story.updated_offset is None else offset + (
        story.updated_offset - story.offset)
    return replace(story, offset=offset, updated_offset=updated)
