"""Stock-reaction extraction: phrasings of market moves, the traps that are not moves, anaphora,
offsets, magnitudes and events, on hand-built company mentions (no spaCy)."""

from __future__ import annotations

import re
import time

import pytest

from config.catalog import Catalog
from pipeline.nlp.stock_reactions import ListedParent, find_stock_reactions
from pipeline.nlp.tagger import Tagger, listed_parents
from pipeline.nlp.types import DecidedBy, Direction, EntityMention, EntityType, StockReaction
from tests.conftest import REPO_ROOT

UP, DOWN, FLAT = Direction.UP, Direction.DOWN, Direction.FLAT

# surface form -> (canonical name, catalog id, ticker, parent id), as the catalog would link them
COMPANIES: dict[str, tuple[str, str, str | None, str | None]] = {
    "Meta": ("Meta", "meta", "META", None),
    "Meta Platforms": ("Meta", "meta", "META", None),
    "Facebook parent": ("Meta", "meta", "META", None),
    "$META": ("Meta", "meta", "META", None),
    "NASDAQ: META": ("Meta", "meta", "META", None),
    "Nvidia": ("Nvidia", "nvidia", "NVDA", None),
    "NVDA": ("Nvidia", "nvidia", "NVDA", None),
    "$NVDA": ("Nvidia", "nvidia", "NVDA", None),
    "NASDAQ:NVDA": ("Nvidia", "nvidia", "NVDA", None),
    "AMD": ("AMD", "amd", "AMD", None),
    "Broadcom": ("Broadcom", "broadcom", "AVGO", None),
    "AVGO": ("Broadcom", "broadcom", "AVGO", None),
    "Alphabet": ("Alphabet", "alphabet", "GOOGL", None),
    "NASDAQ: GOOGL": ("Alphabet", "alphabet", "GOOGL", None),
    "GOOGL": ("Alphabet", "alphabet", "GOOGL", None),
    "Google": ("Google", "google", None, "alphabet"),
    "AWS": ("Amazon Web Services", "aws", None, "amazon"),
    "Microsoft": ("Microsoft", "microsoft", "MSFT", None),
    "MSFT": ("Microsoft", "microsoft", "MSFT", None),
    "Oracle": ("Oracle", "oracle", "ORCL", None),
    "SoftBank": ("SoftBank", "softbank", "9984", None),
    "SoftBank Group": ("SoftBank", "softbank", "9984", None),
    "Amazon.com Inc.": ("Amazon", "amazon", "AMZN", None),
    "Amazon": ("Amazon", "amazon", "AMZN", None),
    "AMZN": ("Amazon", "amazon", "AMZN", None),
    "Apple": ("Apple", "apple", "AAPL", None),
    "iPhone maker": ("Apple", "apple", "AAPL", None),
    "Intel": ("Intel", "intel", "INTC", None),
    "Micron": ("Micron", "micron", "MU", None),
    "Palantir": ("Palantir", "palantir", "PLTR", None),
    "Tesla": ("Tesla", "tesla", "TSLA", None),
    "CoreWeave": ("CoreWeave", "coreweave", "CRWV", None),
    "Baidu": ("Baidu", "baidu", "BIDU", None),
    "ASML": ("ASML", "asml", "ASML", None),
    "Nasdaq": ("Nasdaq", "nasdaq", "NDAQ", None),
    "OpenAI": ("OpenAI", "openai", None, None),
    "Anthropic": ("Anthropic", "anthropic", None, None),
    "DeepSeek": ("DeepSeek", "deepseek", None, None),
}
LISTED_PARENTS = {
    "google": ListedParent("Alphabet", "alphabet", "GOOGL"),
    "aws": ListedParent("Amazon", "amazon", "AMZN"),
}
"""Divisions without a listing -> their listed parent, as the catalog would give them."""
_SURFACES = re.compile(
    r"(?<![\w$])(" + "|".join(re.escape(s) for s in sorted(COMPANIES, key=len, reverse=True)) + r")"
    r"(?!\w)"
)

SEED_SENTENCE = (
    "Early signs suggest the strategy may be working, investor confidence has already responded "
    "positively, with Meta’s stock rising following the announcement."
)


def company(text: str, surface: str, nth: int = 0) -> EntityMention:
    """The COMPANY mention of the ``nth`` occurrence of ``surface`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return company_at(surface, start)


def all_companies(text: str) -> list[EntityMention]:
    """Every catalog surface in ``text`` as a mention, as the tagger would give them."""
    return [company_at(match.group(), match.start()) for match in _SURFACES.finditer(text)]


def company_at(surface: str, start: int) -> EntityMention:
    """The COMPANY mention of ``surface`` at ``start``, linked as the test catalog says."""
    name, company_id, ticker, parent_id = COMPANIES[surface]
    return EntityMention(
        EntityType.COMPANY,
        surface,
        start,
        start + len(surface),
        name,
        company_id,
        ticker=ticker,
        parent_id=parent_id,
    )


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans: a break after ".", "!" or "?" followed by a capital."""
    spans, start = [], 0
    for match in re.finditer(r"(?<=[.!?])\s+(?=[A-Z$“\"])", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def react(text: str) -> tuple[StockReaction, ...]:
    """The reactions of ``text``, its companies found by the test catalog."""
    return find_stock_reactions(text, sentence_spans(text), all_companies(text), LISTED_PARENTS)


def summary(reactions: tuple[StockReaction, ...]) -> list[tuple[str, Direction, float | None]]:
    return [(r.company, r.direction, r.magnitude_pct) for r in reactions]


# --- the seed article ----------------------------------------------------------------------------


def test_seed_sentence_yields_exactly_one_reaction_for_meta() -> None:
    mentions = [company(SEED_SENTENCE, "Meta")]
    reactions = find_stock_reactions(SEED_SENTENCE, [(0, len(SEED_SENTENCE))], mentions)
    assert len(reactions) == 1
    reaction = reactions[0]
    assert (reaction.company, reaction.direction, reaction.magnitude_pct) == ("Meta", UP, None)
    assert reaction.company_id == "meta"
    assert reaction.ticker == "META"
    assert reaction.event == "the announcement"
    assert reaction.text == "Meta’s stock rising following the announcement"
    assert SEED_SENTENCE[reaction.start : reaction.end] == reaction.text
    assert reaction.sentence == SEED_SENTENCE


def test_the_whole_seed_article_has_only_the_meta_reaction() -> None:
    path = REPO_ROOT.parent / "shared" / "seed" / "muse-spark-article.txt"
    if not path.is_file():
        pytest.skip(f"seed article not found at {path}")
    text = path.read_text(encoding="utf-8")
    mentions = [company_at(m.group(), m.start()) for m in re.finditer(r"\bMeta\b", text)]
    reactions = find_stock_reactions(text, sentence_spans(text), mentions)
    assert summary(reactions) == [("Meta", UP, None)]
    assert reactions[0].event == "the announcement"


# --- phrasings of a move -------------------------------------------------------------------------

POSITIVE = [
    ("Shares of Nvidia fell 17% on Monday.", [("Nvidia", DOWN, 17.0)]),
    (
        "NVDA -3.2%, AMD -2.1%, AVGO +0.4%",
        [("Nvidia", DOWN, 3.2), ("AMD", DOWN, 2.1), ("Broadcom", UP, 0.4)],
    ),
    ("$NVDA ▼1.5% in early trade", [("Nvidia", DOWN, 1.5)]),
    ("Alphabet (NASDAQ: GOOGL) climbed 4% in premarket trading.", [("Alphabet", UP, 4.0)]),
    ("Microsoft lost $200 billion in market value.", [("Microsoft", DOWN, None)]),
    ("Nvidia shares tumbled as much as 17 percent.", [("Nvidia", DOWN, 17.0)]),
    ("Oracle jumped 9%.", [("Oracle", UP, 9.0)]),
    ("SoftBank surged 7.8% in Tokyo.", [("SoftBank", UP, 7.8)]),
    ("Amazon.com Inc. shares slid 2.3 percent.", [("Amazon", DOWN, 2.3)]),
    ("The deal closed on Monday, sending Meta shares up 3%.", [("Meta", UP, 3.0)]),
    ("Meta's market capitalisation rose by $50 billion.", [("Meta", UP, None)]),
    ("ASML shares fell 6.7 per cent in Amsterdam.", [("ASML", DOWN, 6.7)]),
    ("Meta's stock rose nearly four percent in afternoon trading.", [("Meta", UP, 4.0)]),
    ("Microsoft slid as much as 9% in late trading.", [("Microsoft", DOWN, 9.0)]),
    ("Microsoft closed 2% lower.", [("Microsoft", DOWN, 2.0)]),
    ("Tesla shares are down more than 40% this year.", [("Tesla", DOWN, 40.0)]),
    ("Meta shares were indicated 2% higher in premarket trading.", [("Meta", UP, 2.0)]),
    ("Meta's stock is up 4% year to date.", [("Meta", UP, 4.0)]),
    ("Apple rose 0.5% to $230.", [("Apple", UP, 0.5)]),
    ("Apple's share price slipped 1.1% on Thursday.", [("Apple", DOWN, 1.1)]),
    ("Palantir shares were little changed in early trading.", [("Palantir", FLAT, None)]),
    (
        "Shares of Microsoft and Alphabet were flat.",
        [("Microsoft", FLAT, None), ("Alphabet", FLAT, None)],
    ),
    ("Intel shares held steady after the report.", [("Intel", FLAT, None)]),
    ("Nvidia fell 3% while AMD rose 2%.", [("Nvidia", DOWN, 3.0), ("AMD", UP, 2.0)]),
    ("Nvidia and AMD fell 3% and 2%, respectively.", [("Nvidia", DOWN, 3.0), ("AMD", DOWN, 2.0)]),
    (
        "Shares of Nvidia, AMD and Broadcom all fell more than 2%.",
        [("Nvidia", DOWN, 2.0), ("AMD", DOWN, 2.0), ("Broadcom", DOWN, 2.0)],
    ),
    (
        "Microsoft gained 1.5%, Alphabet added 0.8% and Amazon slipped 0.3%.",
        [("Microsoft", UP, 1.5), ("Alphabet", UP, 0.8), ("Amazon", DOWN, 0.3)],
    ),
    (
        "Microsoft (MSFT), Alphabet (GOOGL) and Amazon (AMZN) all rose in early trading.",
        [("Microsoft", UP, None), ("Alphabet", UP, None), ("Amazon", UP, None)],
    ),
    (
        "Nvidia, Broadcom and other chip stocks fell sharply.",
        [("Nvidia", DOWN, None), ("Broadcom", DOWN, None)],
    ),
    (
        "Meta's stock was flat, while Microsoft edged down 0.4%.",
        [("Meta", FLAT, None), ("Microsoft", DOWN, 0.4)],
    ),
    ("Meta Platforms (NASDAQ: META) stock jumped 5% on Thursday.", [("Meta", UP, 5.0)]),
    ("Shares of the Facebook parent rose 2% in early trading.", [("Meta", UP, 2.0)]),
    ("The iPhone maker's shares fell 2% on the news.", [("Apple", DOWN, 2.0)]),
    ("Baidu's Hong Kong-listed shares rose 4%.", [("Baidu", UP, 4.0)]),
    ("Micron shares hit a record high.", [("Micron", UP, None)]),
    ("Meta's stock hit a 52-week low.", [("Meta", DOWN, None)]),
    ("Nvidia's market value fell below $4 trillion.", [("Nvidia", DOWN, None)]),
    ("Nvidia lost nearly $600 billion in market cap.", [("Nvidia", DOWN, None)]),
    ("The rally added $150 billion to Nvidia's market value.", [("Nvidia", UP, None)]),
    ("The slump knocked $200 billion off Microsoft's market value.", [("Microsoft", DOWN, None)]),
    ("A 17% plunge in Nvidia shares erased $593 billion.", [("Nvidia", DOWN, 17.0)]),
    ("Nvidia’s 17% plunge on Monday shocked investors.", [("Nvidia", DOWN, 17.0)]),
    ("The news hit Nvidia shares, which fell 3%.", [("Nvidia", DOWN, 3.0)]),
    ("DeepSeek's release sent Nvidia shares tumbling 17%.", [("Nvidia", DOWN, 17.0)]),
    ("Meta's shares notched a 2% gain.", [("Meta", UP, 2.0)]),
    ("Oracle's stock posted its best day since 1999, surging 36%.", [("Oracle", UP, 36.0)]),
    ("Nvidia shares are on track for their biggest one-day loss.", [("Nvidia", DOWN, None)]),
    ("Nvidia shares extended losses on Tuesday.", [("Nvidia", DOWN, None)]),
    ("Nvidia, the world's most valuable company, fell 3% on Monday.", [("Nvidia", DOWN, 3.0)]),
    ("CoreWeave, a cloud provider backed by Nvidia, rose 17%.", [("CoreWeave", UP, 17.0)]),
    ("Shares of Nvidia, whose chips power OpenAI's models, slipped 1%.", [("Nvidia", DOWN, 1.0)]),
    ("Nvidia shares, which fell 17% on Monday, rebounded 8% on Tuesday.", [("Nvidia", UP, 8.0)]),
    ("$META rose after the launch.", [("Meta", UP, None)]),
    ("Meta was among the biggest gainers in the S&P 500.", [("Meta", UP, None)]),
    ("Nvidia led the declines, falling 3%.", [("Nvidia", DOWN, 3.0)]),
    ("Nvidia shares came under pressure after the report.", [("Nvidia", DOWN, None)]),
    ("Shares of OpenAI partner CoreWeave jumped 8%.", [("CoreWeave", UP, 8.0)]),
    ("Meta, meanwhile, fell 2%.", [("Meta", DOWN, 2.0)]),
    ("Nvidia closed at a record on Friday.", [("Nvidia", UP, None)]),
    ("Nvidia's shares have more than tripled since 2023.", [("Nvidia", UP, None)]),
    (
        "Microsoft, whose shares are up 20% this year, said it would spend more.",
        [("Microsoft", UP, 20.0)],
    ),
    ("Nvidia (NVDA -3.2%) fell after the report.", [("Nvidia", DOWN, 3.2)]),
    ("Meta’s stock slipped about 1% in after-hours trading.", [("Meta", DOWN, 1.0)]),
    ("Alphabet (GOOGL) was flat.", [("Alphabet", FLAT, None)]),
    ("NASDAQ:NVDA fell 2.9% in premarket trading.", [("Nvidia", DOWN, 2.9)]),
    ("Alphabet finished the session flat.", [("Alphabet", FLAT, None)]),
    ("Stocks tied to AI, including Nvidia, Broadcom and Oracle, fell between 2% and 4%.",
     [("Nvidia", DOWN, None), ("Broadcom", DOWN, None), ("Oracle", DOWN, None)]),
    ("Chip stocks, such as Nvidia and AMD, rallied 3%.", [("Nvidia", UP, 3.0), ("AMD", UP, 3.0)]),
    ("Nvidia closed the week 3% higher.", [("Nvidia", UP, 3.0)]),
    ("Alphabet (NASDAQ: GOOGL) was little changed.", [("Alphabet", FLAT, None)]),
    ("Shares of Meta rose 1.2%, while Alphabet (GOOGL) was flat.",
     [("Meta", UP, 1.2), ("Alphabet", FLAT, None)]),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE, ids=[t for t, _ in POSITIVE])
def test_a_stated_move_is_found_with_company_direction_and_magnitude(
    text: str, expected: list[tuple[str, Direction, float | None]]
) -> None:
    reactions = react(text)
    assert summary(reactions) == expected
    assert all(text[r.start : r.end] == r.text for r in reactions)


# --- what is not a move of a company's stock -----------------------------------------------------

NEGATIVE = [
    "The model rose to first place on the leaderboard, Meta said.",
    "OpenAI's revenue rose 20% last year.",
    "After the OpenAI funding round, the valuation rose to $420 billion.",
    "OpenAI's valuation rose to $500 billion in a secondary sale.",
    "The S&P 500 fell 1% and the Nasdaq rose.",
    "The Nasdaq rose 2% as Meta unveiled its model.",
    "Downloads jumped after Meta's launch.",
    "Meta's stock of GPUs has grown to 600,000.",
    "Nvidia declined to comment.",
    "Meta lost the lawsuit.",
    "Meta shed 10% of its workforce.",
    "Meta shares its plans for the new model.",
    "Meta's stock-based compensation rose 10%.",
    "Nvidia's market share fell to 80%.",
    "Meta rose to the challenge.",
    "Analysts expect Meta's stock to rise after the launch.",
    "OpenAI's ChatGPT now has 800 million weekly users, up from 500 million in March.",
    "Microsoft's Azure revenue grew 39%, up from 35% a quarter earlier.",
    "Nvidia's data center sales rose 56% to $41 billion.",
    "Amazon added 20% more GPUs to its cluster.",
    "Meta's stock has been a key driver of the market's rise.",
    "Meta's stock trades at a lower multiple than its peers.",
    "Nvidia CEO Jensen Huang sold 1 million shares worth $180 million.",
    "Anthropic raised $13 billion at a $183 billion valuation, up from $61.5 billion.",
    "Google rolled out Gemini to more users, ramping up pressure on OpenAI.",
    "Apple lost its top spot to Samsung.",
    "Intel's losses widened to $2 billion in the quarter.",
    "Meta's headcount fell 5% after layoffs.",
    "Meta ended up paying $5 billion, traders said in premarket trading.",
    "Meta closed down its VR studio in early trading hours.",
    "Nvidia shares are cheap after revenue fell.",
    "Nvidia said its GPUs are back in stock and prices dropped.",
    "Alphabet (and Google) was flat on hiring.",
    "Meta ended the year with 3,000 more staff.",
    "Stocks of companies like Nvidia, whose chips power AI, are expensive.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_what_is_not_a_stock_move_yields_nothing(text: str) -> None:
    assert react(text) == ()


def test_index_and_sector_moves_after_a_company_sentence_are_not_the_company_s() -> None:
    text = "Nvidia unveiled a new chip. Tech stocks fell sharply on Tuesday. Shares in Asia fell."
    assert react(text) == ()


# --- "the stock", "its shares": anaphora ---------------------------------------------------------

ANAPHORA = [
    ("Meta unveiled Muse Spark on Tuesday. The stock was little changed.", ("Meta", FLAT, None)),
    ("Nvidia reported results. Its shares were flat.", ("Nvidia", FLAT, None)),
    (
        "Meta reported strong results. The company's shares have soared 50% since January.",
        ("Meta", UP, 50.0),
    ),
    (
        "OpenAI signed a $300 billion deal with Oracle, and the stock jumped 36%.",
        ("Oracle", UP, 36.0),
    ),
    ("Meta poached researchers from Apple and Google, and its shares rose.", ("Meta", UP, None)),
    (
        "Nvidia agreed to supply OpenAI with chips, and the chipmaker's shares rose 4%.",
        ("Nvidia", UP, 4.0),
    ),
    ("Investors sold Nvidia, sending it down 3%.", ("Nvidia", DOWN, 3.0)),
    ("Meta unveiled Muse Spark, sending shares of the company soaring.", ("Meta", UP, None)),
    ("Shares rose 3% after Nvidia reported record revenue.", ("Nvidia", UP, 3.0)),
    ("The AI trade lifted Nvidia, whose shares rose 3%.", ("Nvidia", UP, 3.0)),
    (
        "Nvidia said in a statement that the model was an advance. Analysts were calm. "
        "The stock rebounded 8.9% on Tuesday.",
        ("Nvidia", UP, 8.9),
    ),
    (
        "Google unveiled Gemini 3, a rival to OpenAI's GPT-5 and Meta's Muse Spark, and its "
        "shares rose 2%.",
        ("Alphabet", UP, 2.0),  # Google has no shares: its listed parent's
    ),
    (
        "AWS said the campus would open in 2028. Officials praised the plan. The stock was "
        "little changed.",
        ("Amazon", FLAT, None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), ANAPHORA, ids=[t[:50] for t, _ in ANAPHORA])
def test_the_stock_resolves_to_the_company_the_text_is_about(
    text: str, expected: tuple[str, Direction, float | None]
) -> None:
    assert summary(react(text)) == [expected]


def test_the_stock_prefers_a_listed_company_to_a_private_one_named_nearer() -> None:
    text = "Nvidia reported results. OpenAI praised the chips. The stock rose 2%."
    assert summary(react(text)) == [("Nvidia", UP, 2.0)]


def test_the_stock_of_a_division_is_its_listed_parent_s() -> None:
    text = "AWS said the campus would open in 2028. The stock was little changed."
    [reaction] = react(text)
    assert (reaction.company, reaction.company_id, reaction.ticker) == ("Amazon", "amazon", "AMZN")


@pytest.mark.parametrize("text", [
    "OpenAI unveiled a new model on Tuesday. The stock rose 3%.",
    "Anthropic raised $13 billion, and its shares rose 3%.",
    "AWS said the campus would open in 2028. The stock was little changed.",  # no parent given
])
def test_the_stock_is_nobody_s_when_no_company_around_is_listed(text: str) -> None:
    assert find_stock_reactions(text, sentence_spans(text), all_companies(text)) == ()


def test_the_catalog_gives_divisions_their_listed_parent(catalog: Catalog) -> None:
    parents = listed_parents(catalog)
    assert parents["aws"] == ListedParent("Amazon", "amazon", "AMZN")
    assert parents["google"].ticker == "GOOGL"
    assert parents["meta-superintelligence-labs"].company_id == "meta"
    assert "openai" not in parents  # private: no listed ancestor
    assert "amazon" not in parents  # listed itself


def test_the_tagger_gives_the_stock_of_a_division_to_its_listed_parent(tagger: Tagger) -> None:
    text = (
        "The campus will consist of four buildings. Amazon Web Services, the company's cloud "
        "division, expects the first data halls to open in 2028.\n\n"
        "Opponents cited water use; AWS said the campus would use a closed-loop cooling system. "
        "Officials welcomed the investment. The stock was little changed in afternoon trading."
    )
    [reaction] = tagger.tag(text).stock_reactions
    assert (reaction.company, reaction.ticker, reaction.direction) == ("Amazon", "AMZN", FLAT)


def test_the_stock_does_not_reach_back_more_than_two_sentences() -> None:
    text = "Nvidia held its event. It rained. Analysts talked. The stock rose 2%."
    assert react(text) == ()


def test_the_stock_with_no_company_anywhere_yields_nothing() -> None:
    assert react("The stock has gained 150% this year. Shares were last up 2.3%.") == ()


# --- events, offsets, shape of the result --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("Meta’s stock rose 2% following the Muse Spark launch.", "the Muse Spark launch"),
        ("Nvidia shares fell 3% in extended trading after the results.", "the results"),
        ("Following the announcement, Meta's stock rose 3%.", "the announcement"),
        ("The iPhone maker's shares fell 2% on the news.", "the news"),
        (
            "Apple's share price slipped 1.1% on Thursday amid concerns about AI.",
            "concerns about AI",
        ),
        ("Oracle fell 5% after hours.", None),
        ("Meta shares rose 3% on Monday.", None),
    ],
)
def test_the_event_is_the_phrase_the_move_follows(text: str, event: str | None) -> None:
    reactions = react(text)
    assert len(reactions) == 1
    assert reactions[0].event == event


@pytest.mark.parametrize(
    ("text", "event"),
    [
        (
            "Oracle shares jumped 9% after the database company said its biggest customer had "
            "agreed to rent 2 gigawatts of data-centre capacity.",
            "the database company said its biggest customer had agreed to rent 2 gigawatts",
        ),
        (
            "Oracle shares jumped 9% after the database company said the start-up had agreed to "
            "rent an additional 2 gigawatts of capacity.",
            "the database company said the start-up had agreed to rent an additional 2 gigawatts",
        ),
        (
            "Meta shares rose 2% after the company said it planned to spend as much as $72 "
            "billion on data centres next year.",
            "the company said it planned to spend as much as $72 billion",
        ),
        (  # a quantity too long to finish is left out, and so is the "to" before it
            "Oracle shares jumped 9% after the company said its largest customer had agreed to "
            "rent slightly more than 4.5 million square feet of offices.",
            "the company said its largest customer had agreed to rent",
        ),
        (
            "Nvidia shares fell 2% after the regulator said that it had asked a court to block "
            "the sale.",
            "the regulator said that it had asked a court to block",
        ),
        (  # "as" ends the event, not "asked" nor "as much as"
            "Nvidia shares fell 2% after the regulator asked for records as investors fretted.",
            "the regulator asked for records",
        ),
    ],
)
def test_a_long_event_is_never_cut_inside_a_quantity(text: str, event: str) -> None:
    [reaction] = react(text)
    assert reaction.event == event
    assert reaction.text.endswith(event)
    assert text[reaction.start : reaction.end] == reaction.text


def test_a_company_moving_twice_in_one_sentence_yields_one_reaction() -> None:
    text = "Meta shares rose 3% on Monday, lifting Meta's market value by $40 billion."
    assert summary(react(text)) == [("Meta", UP, 3.0)]


def test_overlapping_ticker_mentions_count_once() -> None:
    text = "Meta Platforms (NASDAQ: META) rose 3%."
    outer = company(text, "NASDAQ: META")
    inner = EntityMention(
        EntityType.COMPANY, "META", outer.end - 4, outer.end, "Meta", "meta", ticker="META"
    )
    mentions = [company(text, "Meta Platforms"), outer, inner]
    assert summary(find_stock_reactions(text, [(0, len(text))], mentions)) == [("Meta", UP, 3.0)]


def test_model_mentions_are_not_companies() -> None:
    text = "Muse Spark rose 12% in the rankings."
    model = EntityMention(
        EntityType.MODEL, "Muse Spark", 0, 10, "Muse Spark", "meta/muse-spark",
        decided_by=DecidedBy.CATALOG,
    )  # fmt: skip
    assert find_stock_reactions(text, [(0, len(text))], [model]) == ()


LONG_TEXT = (
    "Nvidia shares tumbled 17% on Monday, wiping out nearly $600 billion in market value, after "
    "DeepSeek released a low-cost reasoning model. The selloff was the biggest one-day loss of "
    "market value for any company in U.S. history. Other chip stocks also fell, with Broadcom "
    "sliding 17% and AMD down 6%. The Philadelphia Semiconductor Index dropped 9.2%. Microsoft "
    "fell 2.1% and Alphabet lost 4%, while Apple rose 3.2% as investors bet the iPhone maker "
    "would benefit. In Tokyo, SoftBank Group shares plunged 8.3%. DeepSeek said its model cost "
    "less than $6 million to train. The Nasdaq fell 3.1%. OpenAI's revenue rose 20%. Analysts "
    "said the drop could be an opportunity. Nvidia said the model was an excellent advance. "
    "The stock rebounded 8.9% on Tuesday. Meta unveiled Muse Spark a week later. Shares of the "
    "company were little changed, while Oracle jumped 9%. NVDA -3.2%, AMD -2.1%, AVGO +0.4%."
)


def test_a_long_text_yields_every_move_in_order() -> None:
    assert summary(react(LONG_TEXT)) == [
        ("Nvidia", DOWN, 17.0),
        ("Broadcom", DOWN, 17.0),
        ("AMD", DOWN, 6.0),
        ("Microsoft", DOWN, 2.1),
        ("Alphabet", DOWN, 4.0),
        ("Apple", UP, 3.2),
        ("SoftBank", DOWN, 8.3),
        ("Nvidia", UP, 8.9),
        ("Meta", FLAT, None),
        ("Oracle", UP, 9.0),
        ("Nvidia", DOWN, 3.2),
        ("AMD", DOWN, 2.1),
        ("Broadcom", UP, 0.4),
    ]


def test_offsets_index_the_text_and_the_sentence_holds_the_phrase() -> None:
    reactions = react(LONG_TEXT)
    spans = sentence_spans(LONG_TEXT)
    for reaction in reactions:
        assert LONG_TEXT[reaction.start : reaction.end] == reaction.text
        assert reaction.text.strip() == reaction.text and reaction.text
        assert any(
            start <= reaction.start < reaction.end <= end
            and LONG_TEXT[start:end].strip() == reaction.sentence
            for start, end in spans
        )
    assert [r.start for r in reactions] == sorted(r.start for r in reactions)


def test_offsets_of_a_sentence_in_the_middle_of_a_text() -> None:
    text = "Meta unveiled a model. Its shares rose 3% after the launch. Nothing else happened."
    (reaction,) = react(text)
    assert (reaction.start, reaction.end) == (23, 58)
    assert reaction.text == "Its shares rose 3% after the launch"
    assert reaction.sentence == "Its shares rose 3% after the launch."
    assert reaction.event == "the launch"


def test_a_sentence_without_breaks_is_read_fast() -> None:
    pieces = ("the Meta", "Nvidia shares", "stock rose", "fell 3%", ", and of its", "up down")
    text = " ".join(pieces[(index * 7) % len(pieces)] for index in range(10_000))
    started = time.perf_counter()
    find_stock_reactions(text, [(0, len(text))], all_companies(text))
    assert time.perf_counter() - started < 2.0


def test_a_long_text_is_read_fast() -> None:
    text = " ".join([LONG_TEXT] * 20)
    spans, mentions = sentence_spans(text), all_companies(text)
    started = time.perf_counter()
    reactions = find_stock_reactions(text, spans, mentions)
    assert time.perf_counter() - started < 1.0
    assert len(reactions) == 20 * 13


# --- empty and degenerate inputs -----------------------------------------------------------------


def test_empty_inputs_yield_nothing() -> None:
    assert find_stock_reactions("", [], []) == ()
    assert find_stock_reactions("   ", [(0, 3)], []) == ()
    assert find_stock_reactions("Meta unveiled Muse Spark.", [(0, 25)], []) == ()
    assert find_stock_reactions("Shares rose 3%.", [(0, 15)], []) == ()


def test_no_sentence_spans_read_the_text_as_one_sentence() -> None:
    text = "Oracle jumped 9%."
    assert summary(find_stock_reactions(text, [], [company(text, "Oracle")])) == [
        ("Oracle", UP, 9.0)
    ]


def test_mentions_with_offsets_outside_the_text_are_ignored() -> None:
    text = "Oracle jumped 9%."
    stray = EntityMention(EntityType.COMPANY, "Meta", 40, 44, "Meta", "meta", ticker="META")
    reactions = find_stock_reactions(text, [(0, len(text))], [stray, company(text, "Oracle")])
    assert summary(reactions) == [("Oracle", UP, 9.0)]


# ---- organisations the statistical NER found outside the catalog --------------------------------


def organisation(text: str, surface: str) -> EntityMention:
    """The NER's ORG mention of ``surface`` (no catalog record: no id, no ticker)."""
    start = text.index(surface)
    return EntityMention(EntityType.ORG, surface, start, start + len(surface), surface,
                         decided_by=DecidedBy.NER, confidence=0.6)


def react_with(text: str, *organisations: str) -> list[tuple[str, str | None, Direction,
                                                             float | None, str]]:
    """The reactions of ``text``: catalog companies plus the given NER organisations."""
    mentions = all_companies(text) + [organisation(text, name) for name in organisations]
    return [(r.company, r.ticker, r.direction, r.magnitude_pct, r.text)
            for r in find_stock_reactions(text, sentence_spans(text), mentions)]


@pytest.mark.parametrize(("text", "names", "expected"), [
    ("Shares of Fanuc fell 4% in Tokyo after the robot maker cut its outlook.", ("Fanuc",),
     [("Fanuc", None, DOWN, 4.0, "Shares of Fanuc fell 4% in Tokyo after the robot maker cut "
                                 "its outlook")]),
    ("Home Depot shares are up 39 percent this year.", ("Home Depot",),
     [("Home Depot", None, UP, 39.0, "Home Depot shares are up 39 percent")]),
    ("Yaskawa Electric's stock jumped 8%.", ("Yaskawa Electric",),
     [("Yaskawa Electric", None, UP, 8.0, "Yaskawa Electric's stock jumped 8%")]),
    ("Shares of Xpeng and Nio were little changed, but Baidu rose 2% on its robotaxi news.",
     ("Xpeng and Nio",),
     [("Xpeng", None, FLAT, None, "Shares of Xpeng and Nio were little changed"),
      ("Nio", None, FLAT, None, "Shares of Xpeng and Nio were little changed"),
      ("Baidu", "BIDU", UP, 2.0, "Baidu rose 2% on its robotaxi news")]),
    ("Shares of Johnson & Johnson rose 1%.", ("Johnson & Johnson",),
     [("Johnson & Johnson", None, UP, 1.0, "Shares of Johnson & Johnson rose 1%")]),
])
def test_an_organisation_outside_the_catalog_moves_as_a_named_stock(
    text: str, names: tuple[str, ...], expected: list[tuple[object, ...]]
) -> None:
    assert react_with(text, *names) == expected


@pytest.mark.parametrize(("text", "names"), [
    ("Fanuc fell 4% in Tokyo.", ("Fanuc",)),  # a bare name: an ORG is too often not listed
    ("Fanuc unveiled a new arm. The stock fell 4%.", ("Fanuc",)),  # nor "the stock"'s company
    ("NYSE stocks rose 2% after the Fed decision.", ("NYSE", "Fed")),  # the exchange's
    ("The Federal Reserve's stock of assets fell 2%.", ("Federal Reserve",)),
    ("University of Tokyo shares of the prize fell to 3%.", ("University of Tokyo",)),
    ("FTSE 100 shares fell 0.5% in London.", ("FTSE",)),
    ("Tech stocks: chipmakers slump after the model launch.", ("Tech",)),  # a sector
    ("Software shares recovered early losses on Tuesday.", ("Software",)),
    ("Big Tech stocks rose 2% after the rate decision.", ("Big Tech",)),
])
def test_an_organisation_is_not_a_listed_company_by_default(
    text: str, names: tuple[str, ...]
) -> None:
    assert react_with(text, *names) == []


def test_organisations_change_nothing_about_the_catalog_companies_around_them() -> None:
    """"Pentagon" found by the NER must not cut the clause of the companies before it."""
    text = ("Palantir and Oracle both rallied after the Pentagon contract news, rising 6% and 9% "
            "respectively.")
    with_org = react_with(text, "Pentagon")
    assert [(company, size) for company, _, _, size, _ in with_org] == [
        ("Palantir", 6.0), ("Oracle", 9.0)]
    assert with_org == react_with(text)


def test_the_tagger_hands_the_ner_organisations_to_stock_reactions(ner_tagger: Tagger,
                                                                    rules_tagger: Tagger) -> None:
    text = "Shares of Fanuc fell 4% in Tokyo after the robot maker cut its outlook."
    [reaction] = ner_tagger.tag(text).stock_reactions
    assert (reaction.company, reaction.ticker, reaction.direction, reaction.magnitude_pct) == (
        "Fanuc", None, DOWN, 4.0)
    assert rules_tagger.tag(text).stock_reactions == ()  # without the NER nobody names Fanuc


def test_a_sector_the_ner_calls_an_organisation_is_neither_a_mention_nor_a_stock(
    ner_tagger: Tagger,
) -> None:
    """The small NER labels a capitalised sector at a sentence start ORG ("Tech", "Software");
    a sector moving is market talk, not a company's reaction."""
    text = ("Tech stocks: chipmakers slide after the Qwen release; software steadies\n\n"
            "Software stocks recovered early losses, while Nvidia fell 2%.")
    result = ner_tagger.tag(text)
    assert [m.text for m in result.entities if m.type is EntityType.ORG] == []
    assert [(r.company, r.direction) for r in result.stock_reactions] == [("Nvidia", DOWN)]


def test_an_organisation_on_the_words_of_a_catalog_company_gives_way_to_it() -> None:
    text = "Shares of Nvidia Corp fell 3% on Monday."
    assert react_with(text, "Nvidia Corp") == [
        ("Nvidia", "NVDA", DOWN, 3.0, "Shares of Nvidia Corp fell 3%")]
