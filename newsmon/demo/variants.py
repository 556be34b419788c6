"""Endless news for soak runs: variants of the sample stories, each with names never seen before.

Part of the offline demo of the application shell (``newsmon/demo``); ``bench/soak.py`` serves
:func:`variant_catalog` from the sample site so thousands of distinct articles flow through the
pipeline. A variant keeps an outlet and the flavour of a sample story (one of its paragraphs,
so the companies and models it names still match subscriptions) but gets a new headline and
slug, a generated lead and closing paragraph naming an invented company, product and figures,
and a paragraph of another story. Every variant therefore brings strings spaCy's
vocabulary has not seen, and is a different text for the story clusterer. Deterministic: the
same ``seed`` gives the same catalog.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta

from newsmon.demo.catalog import Block, Catalog, Story

_ONSETS = ("b", "br", "c", "d", "f", "g", "k", "l", "m", "n", "p", "qu", "r", "s", "st", "t",
           "tr", "v", "z", "x")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "ou")
_CODAS = ("", "n", "r", "x", "s", "l", "m", "th")
_COMPANY_ENDINGS = ("Labs", "AI", "Systems", "Robotics", "Compute", "Dynamics", "Analytics")
_VERBS = ("unveils", "launches", "prices", "ships", "delays", "opens", "benchmarks")
_ANGLES = ("rivals take note", "investors weigh the cost", "analysts split",
           "developers get early access", "regulators ask questions", "shares move")


@dataclass(frozen=True)
class InventedNames:
    """The made-up names and figures one variant is about."""

    company: str
    model: str
    amount: str
    percent: str
    city: str


def variant_catalog(
    base: Catalog, count: int, *, spacing: timedelta, first_offset: timedelta, seed: int = 0,
) -> Catalog:
    """``count`` variants of ``base``'s stories, published ``spacing`` apart from
    ``first_offset`` on (offsets from the site's start), in place of the originals."""
    chooser = random.Random(seed)  # noqa: S311 (sample data, not secrets)
    pages = [story for story in base.stories if story.has_page]
    stories = tuple(
        make_variant(pages[number % len(pages)], pages, number, chooser,
                     first_offset + spacing * number)
        for number in range(count)
    )
    return replace(base, stories=stories)


def make_variant(
    story: Story, pool: list[Story], number: int, chooser: random.Random, offset: timedelta,
) -> Story:
    """One variant of ``story``: new names, new headline, paragraphs mixed with two others'."""
    names = invent_names(chooser)
    middle = [chooser.choice(_paragraphs(story)), chooser.choice(_paragraphs(chooser.choice(pool)))]
    chooser.shuffle(middle)
    blocks = (_lead(names, story, chooser), *middle, _closing(names, chooser))
    return replace(
        story, slug=f"{story.slug}-{number}", title=_headline(names, chooser),
        summary=blocks[0].texts[0][:200], offset=offset, blocks=tuple(blocks), cluster=None,
        has_page=True, updated_offset=None, update_note=None, syndication=None,
    )


def invent_names(chooser: random.Random) -> InventedNames:
    """A company, a model, an amount, a percentage and a city nobody has written about."""
    company = f"{_word(chooser, 3).capitalize()} {chooser.choice(_COMPANY_ENDINGS)}"
    model = f"{_word(chooser, 2).capitalize()}-{chooser.randint(2, 9)}.{chooser.randint(0, 9)}"
    return InventedNames(
        company=company, model=model,
        amount=f"${chooser.randint(11, 989) / 10:.1f} billion",
        percent=f"{chooser.randint(11, 399) / 10:.1f}%",
        city=_word(chooser, 2).capitalize() + chooser.choice(("ville", "port", "burg", " Bay")),
    )


def _word(chooser: random.Random, syllables: int) -> str:
    return "".join(chooser.choice(_ONSETS) + chooser.choice(_VOWELS) + chooser.choice(_CODAS)
                   for _ in range(syllables))


def _paragraphs(story: Story) -> list[Block]:
    return [block for block in story.blocks if block.kind == "p"]


def _headline(names: InventedNames, chooser: random.Random) -> str:
    return (f"{names.company} {chooser.choice(_VERBS)} {names.model} as "
            f"{chooser.choice(_ANGLES)}")


def _lead(names: InventedNames, story: Story, chooser: random.Random) -> Block:
    text = (f"{names.company}, a start-up based in {names.city}, said on "
            f"{chooser.choice(('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'))} that "
            f"its {names.model} model would be available to customers within weeks, after a "
            f"funding round that values the company at {names.amount}. The announcement "
            f"came as the wider industry digested another story: {story.title}.")
    return Block("p", (text,))


def _closing(names: InventedNames, chooser: random.Random) -> Block:
    text = (f"Analysts at {_word(chooser, 2).capitalize()} Securities said {names.model} "
            f"could lift {names.company}'s revenue by {names.percent} next year, though "
            f"they cautioned that its {names.city} data centre is not finished yet.")
    return Block("p", (text,))
