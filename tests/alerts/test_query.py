"""The query language: parsing (every construct, precedence, quoting, errors with positions and
suggestions) and evaluation against hand-built articles (every filter, spans, dates)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from alerts.query.ast import (
    And,
    Developer,
    FieldIs,
    MaxAge,
    Mentions,
    Near,
    Not,
    Or,
    PublishedAfter,
    PublishedBefore,
    Stock,
    Words,
)
from alerts.query.words import CutText, literal_key
from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef
from config.catalog import Catalog
from tests.alerts.query_support import fail, parse

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)





def w(*words: str, scope: str | None = None) -> Words:
    return Words(words, scope)


# -- parsing: constructs ------------------------------------------------------------------------


def test_words_side_by_side_are_and(catalog: Catalog) -> None:
    assert parse("nvidia export", catalog).root == And((w("nvidia"), w("export")))


def test_quoted_phrase_and_punctuated_word_are_phrases(catalog: Catalog) -> None:
    assert parse('"Muse Spark"', catalog).root == w("muse", "spark")
    assert parse("GPT-5's", catalog).root == w("gpt", "5", "s")
    assert parse('"nvidia"', catalog).root == w("nvidia")


def test_or_not_minus_and_brackets(catalog: Catalog) -> None:
    assert parse("a OR b", catalog).root == Or((w("a"), w("b")))
    assert parse("a AND b", catalog).root == parse("a b", catalog).root
    assert parse("-crypto", catalog).root == Not(w("crypto"))
    assert parse("NOT crypto", catalog).root == Not(w("crypto"))
    assert parse('-"black friday"', catalog).root == Not(w("black", "friday"))
    assert parse("-(a OR b)", catalog).root == Not(Or((w("a"), w("b"))))
    assert parse("(a b) OR c", catalog).root == Or((And((w("a"), w("b"))), w("c")))


def test_or_binds_tighter_than_and(catalog: Catalog) -> None:
    assert parse("a OR b c", catalog).root == And((Or((w("a"), w("b"))), w("c")))
    assert parse("a b OR c", catalog).root == And((w("a"), Or((w("b"), w("c")))))
    assert parse("a AND b OR c", catalog).root == And((w("a"), Or((w("b"), w("c")))))
    assert parse("nvidia OR amd chips", catalog).canonical == "(nvidia OR amd) AND chips"
    assert parse("NOT a OR b", catalog).root == Or((Not(w("a")), w("b")))
    assert parse("a OR b OR c", catalog).root == Or((w("a"), w("b"), w("c")))


def test_operators_only_in_capitals_and_matching_ignores_case(catalog: Catalog) -> None:
    assert parse("a or b", catalog).root == And((w("a"), w("or"), w("b")))
    assert parse("nvidia not", catalog).root == And((w("nvidia"), w("not")))
    assert parse("NVIDIA", catalog) == parse("nvidia", catalog)
    assert parse("Title:Nvidia", catalog).root == w("nvidia", scope="title")


def test_escapes(catalog: Catalog) -> None:
    assert parse(r'"say \"hi\" \\ now"', catalog).root == w("say", "hi", "now")
    assert parse(r"\OR", catalog).root == w("or")
    assert parse(r"\-crypto", catalog).root == w("crypto")
    assert parse(r"re\:Invent", catalog).root == w("re", "invent")


def test_near(catalog: Catalog) -> None:
    assert parse("nvidia NEAR/5 export", catalog).root == Near(w("nvidia"), w("export"), 5)
    assert parse('"muse spark" near/3 meta', catalog).root == Near(
        w("muse", "spark"), w("meta"), 3)
    assert parse("-a NEAR/2 b", catalog).root == Not(Near(w("a"), w("b"), 2))


def test_text_field_scopes(catalog: Catalog) -> None:
    assert parse('title:"muse spark"', catalog).root == w("muse", "spark", scope="title")
    assert parse("text:nvidia", catalog).root == w("nvidia", scope="text")
    scoped = parse("title:(nvidia OR company:Meta)", catalog).root
    assert isinstance(scoped, Or)
    assert scoped.children[0] == w("nvidia", scope="title")
    mentions = scoped.children[1]
    assert isinstance(mentions, Mentions)
    assert mentions.scope == "title"
    assert mentions.label == "title:(company:Meta)"


def test_plain_fields(catalog: Catalog) -> None:
    assert parse("source:TechCrunch-AI", catalog).root == FieldIs("source", "techcrunch-ai")
    assert parse("site:https://www.TechCrunch.com/ai", catalog).root == FieldIs(
        "site", "techcrunch.com")
    assert parse("lang:EN_us", catalog).root == FieldIs("lang", "en-us")
    assert parse("after:2026-11-01", catalog).root == PublishedAfter(
        "after:2026-11-01", datetime(2026, 11, 1, tzinfo=UTC))
    before = parse("before:2026-11-20T10:30+01:00", catalog).root
    assert isinstance(before, PublishedBefore)
    assert before.at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert parse("max-age:2d", catalog).root == MaxAge("max-age:2d", timedelta(days=2))
    assert parse("max-age:12h", catalog).root == MaxAge("max-age:12h", timedelta(hours=12))
    assert parse("max-age:30m", catalog).root == MaxAge("max-age:30m", timedelta(minutes=30))
    assert parse("max-age:1w", catalog).root == MaxAge("max-age:1w", timedelta(weeks=1))


def test_company_covers_aliases_tickers_and_sub_organisations(catalog: Catalog) -> None:
    meta = parse("company:Meta", catalog).root
    assert meta == Mentions(
        "company:Meta", frozenset({"meta", "meta-superintelligence-labs", "meta-fair"}),
        frozenset({"META"}))
    for spelling in ('company:"Meta Platforms"', "company:$META", 'company:"NASDAQ: META"',
                     "company:meta", 'company:"Facebook parent"'):
        assert parse(spelling, catalog).root == meta, spelling
    msl = parse('company:"Meta Superintelligence Labs"', catalog).root
    assert isinstance(msl, Mentions)
    assert msl.entity_ids == frozenset({"meta-superintelligence-labs", "meta-fair"})
    alphabet = parse("company:Alphabet", catalog).root
    assert isinstance(alphabet, Mentions)
    assert {"alphabet", "google", "google-deepmind"} <= alphabet.entity_ids


def test_ticker_model_and_developer(catalog: Catalog) -> None:
    ticker = parse("ticker:NVDA", catalog).root
    assert isinstance(ticker, Mentions)
    assert ticker.entity_ids == frozenset({"nvidia"}) and "NVDA" in ticker.tickers
    assert ticker.label == "ticker:NVDA"
    assert parse('model:"Muse Spark"', catalog).root == Mentions(
        'model:"Muse Spark"', frozenset({"meta/muse-spark"}))
    claude = parse("model:Claude", catalog).root
    assert isinstance(claude, Mentions)
    assert {"anthropic/claude", "anthropic/claude-opus-4.6"} <= claude.entity_ids
    developer = parse("developer:Anthropic", catalog).root
    assert isinstance(developer, Developer)
    assert "anthropic" in developer.developer_ids
    assert "anthropic/claude-opus-4.6" in developer.model_ids


def test_stock_filters(catalog: Catalog) -> None:
    nvda = parse("stock:NVDA", catalog).root
    assert isinstance(nvda, Stock)
    assert nvda.company_ids == frozenset({"nvidia"}) and nvda.direction is None
    assert nvda.threshold is None
    up = parse("stock:NVDA:up", catalog).root
    assert isinstance(up, Stock) and up.direction == "up"
    down = parse("stock:Meta:down>=5%", catalog).root
    assert isinstance(down, Stock)
    assert (down.direction, down.comparison, down.threshold) == ("down", ">=", 5.0)
    assert down.label == "stock:Meta:down>=5%"
    quoted = parse('stock:"Meta Platforms":>2.5', catalog).root
    assert isinstance(quoted, Stock)
    assert (quoted.company_ids, quoted.direction, quoted.comparison, quoted.threshold) == (
        down.company_ids, None, ">", 2.5)
    google = parse("stock:Google", catalog).root
    assert google == parse("stock:GOOGL", catalog).root == parse("stock:Alphabet", catalog).root
    anyone = parse("stock:*:up>=10%", catalog).root
    assert isinstance(anyone, Stock) and anyone.company_ids is None


def test_equal_meaning_equal_queries(catalog: Catalog) -> None:
    assert parse("company:Meta  nvidia", catalog) == parse('company:"Meta Platforms" NVIDIA',
                                                            catalog)
    assert parse("a b", catalog) != parse("a OR b", catalog)


# -- parsing: errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "position", "expected", "message"), [
    ("nvidia (export OR chips", 23, "')'", "is not closed"),
    ("a b)", 3, "operand", "')' closes no '('"),
    ("a OR", 4, "a word", "nothing after OR"),
    ("OR a", 0, "a word", "OR needs something on its left"),
    ("a AND", 5, "a word", "nothing after AND"),
    ("a NOT", 5, "a word", "nothing after NOT"),
    ('""', 0, "letters or digits", "empty phrase"),
    ('"muse spark', 11, '\'"\'', "not closed"),
    ("()", 1, "a word", "empty brackets"),
    ("", 0, "a word", "empty"),
    ("foo:bar", 0, "a field", "unknown field 'foo:'"),
    ("company: Meta", 8, "a value right after", "no value"),
    ("after:2026-13-01", 6, "a date like 2026-11-20", "not a valid date"),
    ("before:yesterday", 7, "a date like 2026-11-20", "not a date"),
    ("max-age:2x", 8, "an age like", "not an age"),
    ("stock:NVDA:up>=abc", 13, "a threshold like >=5%", "'>=abc' is not a threshold"),
    ("stock:NVDA:sideways", 11, "up, down, flat", "'sideways' is not a direction"),
    ("stock:NVDA>=5%", 10, "a colon before the threshold", "must follow a colon"),
    ('stock:"Meta Platforms":upp', 23, "up, down, flat", "'upp' is not a direction"),
    ("lang:english!", 5, "a language code", "not a language"),
    ("a NEAR b", 6, "a distance in words", "NEAR needs a distance"),
    ("(a OR b) NEAR/3 c", 0, "a word or a \"phrase\"", "NEAR joins two words"),
    ("a NEAR/3 b NEAR/2 c", 11, "AND between", "exactly two"),
    ("- a", 0, "letters or digits", "nothing to search for"),
    ("title:company:Meta", 6, "brackets", "needs brackets"),
    ("title:(text:a)", 7, "fits in title", "inside 'title:(...)'"),
    ("model:Meta", 6, "company:Meta or developer:Meta", "is a company, not a model"),
    ('company:"Muse Spark"', 9, 'model:"Muse Spark"', "is a model, not a company"),
    ("trailing\\", 9, "a character after", "lone"),
])
def test_errors_name_position_and_expectation(
    catalog: Catalog, text: str, position: int, expected: str, message: str
) -> None:
    error = fail(text, catalog)
    assert error.position == position, error.render()
    assert expected in error.expected, error.render()
    assert message in error.message, error.render()
    assert error.query == text


def test_unknown_entities_suggest_the_nearest_names(catalog: Catalog) -> None:
    company = fail("company:Nvdia", catalog)
    assert (company.position, company.message) == (8, "unknown company 'Nvdia'")
    assert company.suggestions[0] == "Nvidia"
    model = fail('model:"Muse Sprak"', catalog)
    assert model.position == 7
    assert model.suggestions[0] == "Muse Spark"
    developer = fail("developer:Antropic", catalog)
    assert "Anthropic" in developer.suggestions
    ticker = fail("ticker:NVDAA", catalog)
    assert "NVDA" in ticker.suggestions
    field = fail("titel:nvidia", catalog)
    assert "title:" in field.suggestions


def test_hostile_queries_are_refused_not_crashed_on(catalog: Catalog) -> None:
    deep = fail("(" * 40 + "a" + ")" * 40, catalog)
    assert (deep.position, deep.message) == (32, "the query nests too deeply")
    assert fail("NOT " * 40 + "a", catalog).message == "the query nests too deeply"
    assert parse("(" * 30 + "a" + ")" * 30, catalog).root == w("a")
    assert fail("nvidia " * 1000, catalog).message == "the query is too long"


def test_render_puts_a_caret_under_the_position(catalog: Catalog) -> None:
    lines = fail("company:Nvdia chips", catalog).render().splitlines()
    assert lines[0] == "company:Nvdia chips"
    assert lines[1] == " " * 8 + "^"
    assert lines[2].startswith("column 9: unknown company 'Nvdia'; expected a company")
    assert lines[3] == "did you mean: Nvidia?"


# -- evaluation ---------------------------------------------------------------------------------

TITLE = "Meta unveils Muse Spark, the first model from Meta Superintelligence Labs"
TEXT = (
    "Meta Platforms said on Tuesday that Muse Spark rivals OpenAI's GPT-5. "
    "Shares of Meta rose 3.1% after the announcement, while Nvidia fell 5.2%. "
    "Nvidia faces new export rules. Google shares slipped. In Straße news, nothing."
)


def at(text: str, part: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


def entity(kind: str, name: str, entity_id: str | None, field: str, part: str, nth: int = 0,
           **links: str) -> EntityRef:
    start, end = at(TITLE if field == "title" else TEXT, part, nth)
    return EntityRef(kind, name, entity_id, field, start, end, **links)


def reaction(company: str, company_id: str | None, ticker: str | None, direction: str,
             size: float | None, part: str) -> ReactionRef:
    start, end = at(TEXT, part)
    return ReactionRef(company, company_id, ticker, direction, size, "text", start, end)


ENTITIES = (
    entity("COMPANY", "Meta", "meta", "title", "Meta", ticker="META"),
    entity("MODEL", "Muse Spark", "meta/muse-spark", "title", "Muse Spark", developer_id="meta"),
    entity("COMPANY", "Meta Superintelligence Labs", "meta-superintelligence-labs", "title",
           "Meta Superintelligence Labs", parent_id="meta"),
    entity("COMPANY", "Meta", "meta", "text", "Meta Platforms", ticker="META"),
    entity("MODEL", "Muse Spark", "meta/muse-spark", "text", "Muse Spark", developer_id="meta"),
    entity("COMPANY", "OpenAI", "openai", "text", "OpenAI"),
    entity("MODEL", "GPT-5", "openai/gpt-5", "text", "GPT-5", developer_id="openai"),
    entity("COMPANY", "Nvidia", "nvidia", "text", "Nvidia", ticker="NVDA"),
    entity("COMPANY", "Google", "google", "text", "Google", parent_id="alphabet"),
)
REACTIONS = (
    reaction("Meta", "meta", "META", "up", 3.1, "Shares of Meta rose 3.1%"),
    reaction("Nvidia", "nvidia", "NVDA", "down", 5.2, "Nvidia fell 5.2%"),
    reaction("Google", "google", None, "down", None, "Google shares slipped"),
)
ARTICLE = ArticleView(
    article_id=1, title=TITLE, text=TEXT, source="techcrunch-ai", site="ai.techcrunch.com",
    url="https://ai.techcrunch.com/2026/11/19/muse-spark", language="en-US",
    published=NOW - timedelta(hours=20), entities=ENTITIES, reactions=REACTIONS,
)


def reasons(text: str, catalog: Catalog, article: ArticleView = ARTICLE,
            now: datetime = NOW) -> tuple[MatchReason, ...] | None:
    return parse(text, catalog).matches(article, now)


def matched(text: str, catalog: Catalog, article: ArticleView = ARTICLE) -> bool:
    return reasons(text, catalog, article) is not None


def shown(reason: MatchReason, article: ArticleView = ARTICLE) -> list[str]:
    """The text each span of a reason highlights."""
    fields = {"title": article.title, "text": article.text}
    return [fields[field][start:end] for field, start, end in reason.spans]


def test_term_reasons_span_every_occurrence(catalog: Catalog) -> None:
    found = reasons("NVIDIA", catalog)
    assert found is not None and len(found) == 1
    assert (found[0].kind, found[0].label) == ("term", "nvidia")
    assert shown(found[0]) == ["Nvidia", "Nvidia"]
    assert [span[0] for span in found[0].spans] == ["text", "text"]


def test_phrase_spans_cross_punctuation_and_fields(catalog: Catalog) -> None:
    found = reasons('"muse spark"', catalog)
    assert found is not None
    assert (found[0].kind, found[0].label) == ("phrase", '"muse spark"')
    assert [span[0] for span in found[0].spans] == ["title", "text"]
    assert shown(found[0]) == ["Muse Spark", "Muse Spark"]
    gpt = reasons('"openai s gpt 5"', catalog)
    assert gpt is not None and shown(gpt[0]) == ["OpenAI's GPT-5"]
    assert matched('"spark the first"', catalog)  # punctuation between words is ignored
    assert not matched('"spark muse"', catalog)
    assert not matched('"labs meta"', catalog)  # never across title and text


def test_case_folding_keeps_offsets_right(catalog: Catalog) -> None:
    found = reasons("strasse", catalog)
    assert found is not None and shown(found[0]) == ["Straße"]
    nothing = reasons("nothing", catalog)
    assert nothing is not None and shown(nothing[0]) == ["nothing"]


def test_words_are_runs_of_letters_and_digits_at_their_offsets() -> None:
    """Cutting without a regex gives exactly the regex's words, at the right offsets, whatever
    the characters (punctuation, accents, combining marks, other scripts, odd spaces)."""
    rng = random.Random(5)
    alphabet = "aZ9_ -.,'\"\u2019\u201c\u00e9\u0301\u00df\u00b2\u00bd\u00a0\u2009\n\t\u0130\u03a3" \
        "\u03c2\u4e2d\U0001d518\x1c\ud800"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        cut = CutText(text)
        expected = [word.casefold() for word in re.findall(r"[^\W_]+", text)]
        assert list(cut.words) == expected, repr(text)
        starts, ends = cut.offsets()
        if ends is None:  # folding kept the characters: a word ends at start + its length
            ends = [start + len(word) for start, word in zip(starts, cut.words, strict=True)]
        assert [m.span() for m in re.finditer(r"[^\W_]+", text)] == list(
            zip(starts, ends, strict=True))
        firsts, lasts, joined = cut.bounds()  # the matcher's: offsets and joined-word starts
        assert (firsts, lasts) == cut.offsets()
        spaced = literal_key(cut.words)
        assert [spaced[at - 1] for at in joined] == [" "] * len(joined)
        assert [spaced[at:at + len(word)] for at, word in zip(joined, cut.words, strict=True)] \
            == list(cut.words)


def test_title_and_text_scopes(catalog: Catalog) -> None:
    assert not matched("title:nvidia", catalog)
    title = reasons("title:meta", catalog)
    assert title is not None and [s[0] for s in title[0].spans] == ["title", "title"]
    assert matched("text:nvidia", catalog)
    scoped = reasons("title:(company:OpenAI OR company:Meta)", catalog)
    assert scoped is not None and [r.label for r in scoped] == ["title:(company:Meta)"]
    assert {span[0] for span in scoped[0].spans} == {"title"}


def test_and_or_not(catalog: Catalog) -> None:
    assert matched("meta nvidia", catalog)
    assert not matched("meta crypto", catalog)
    either = reasons("crypto OR nvidia", catalog)
    assert either is not None and [r.label for r in either] == ["nvidia"]
    assert matched("meta -crypto", catalog)
    assert not matched("meta -nvidia", catalog)
    assert not matched("NOT (nvidia OR crypto)", catalog)
    assert reasons("-crypto", catalog) == ()  # a match, with nothing to highlight


def test_reasons_are_not_repeated(catalog: Catalog) -> None:
    found = reasons("nvidia nvidia (nvidia OR crypto)", catalog)
    assert found is not None and [r.label for r in found] == ["nvidia"]
    stock = reasons("stock:META stock:Meta:up", catalog)
    assert stock is not None and [r.label for r in stock] == ["META up 3.1%"]


def test_near_counts_words_between_in_either_order(catalog: Catalog) -> None:
    found = reasons("nvidia NEAR/2 export", catalog)  # "Nvidia faces new export"
    assert found is not None
    assert found[0].kind == "near" and shown(found[0]) == ["Nvidia", "export"]
    assert matched("export NEAR/2 nvidia", catalog)
    assert not matched("nvidia NEAR/1 export", catalog)
    assert matched('"muse spark" NEAR/0 rivals', catalog)
    assert not matched("labs NEAR/50 platforms", catalog)  # one in the title, one in the text
    assert not matched("nvidia NEAR/0 nvidia", catalog)  # two occurrences, far apart


def test_company_matches_aliases_and_sub_organisations(catalog: Catalog) -> None:
    found = reasons('company:"Facebook parent"', catalog)
    assert found is not None
    assert found[0].kind == "entity" and found[0].label == "company:Meta"
    assert shown(found[0]) == ["Meta", "Meta Superintelligence Labs", "Meta Platforms"]
    msl = reasons('company:"Meta Superintelligence Labs"', catalog)
    assert msl is not None and shown(msl[0]) == ["Meta Superintelligence Labs"]
    alphabet = reasons("company:Alphabet", catalog)
    assert alphabet is not None and shown(alphabet[0]) == ["Google"]
    assert not matched("company:Google -company:Meta", catalog)
    assert not matched("company:Anthropic", catalog)


def test_ticker_filter_and_mentions_known_only_by_ticker(catalog: Catalog) -> None:
    found = reasons("ticker:NVDA", catalog)
    assert found is not None and shown(found[0]) == ["Nvidia"]
    unlinked = EntityRef("COMPANY", "$AMD", None, "text", 0, 4, ticker="AMD")
    article = ArticleView(2, "", "$AMD up", "s", "x.com", "u", entities=(unlinked,))
    assert matched("ticker:AMD", catalog, article)
    assert matched("company:AMD", catalog, article)


def test_model_and_developer(catalog: Catalog) -> None:
    model = reasons('model:"Muse Spark"', catalog)
    assert model is not None and shown(model[0]) == ["Muse Spark", "Muse Spark"]
    developer = reasons("developer:OpenAI", catalog)
    assert developer is not None and shown(developer[0]) == ["GPT-5"]
    assert not matched("developer:Anthropic", catalog)
    assert matched('model:"GPT-5"', catalog)
    opus = EntityRef("MODEL", "Claude Opus 4.6", "anthropic/claude-opus-4.6", "text", 0, 15)
    article = ArticleView(3, "", "Claude Opus 4.6 is out", "s", "x.com", "u", entities=(opus,))
    assert matched("model:Claude", catalog, article)
    assert matched("developer:Anthropic", catalog, article)  # by the catalog, no developer_id
    assert not matched('model:"Claude Sonnet"', catalog, article)


def test_stock_directions_and_thresholds(catalog: Catalog) -> None:
    meta = reasons("stock:META", catalog)
    assert meta is not None
    assert (meta[0].kind, meta[0].label) == ("stock", "META up 3.1%")
    assert shown(meta[0]) == ["Shares of Meta rose 3.1%"]
    assert matched("stock:Meta:up", catalog)
    assert not matched("stock:Meta:down", catalog)
    assert matched("stock:Meta:>=3.1%", catalog)
    assert not matched("stock:Meta:>3.1%", catalog)
    assert matched("stock:NVDA:down>=5%", catalog)
    assert not matched("stock:NVDA:down>=6%", catalog)
    assert matched("stock:NVDA:<=5.2", catalog)
    assert not matched("stock:Meta:<3%", catalog)
    assert not matched("stock:Anthropic", catalog)


def test_stock_of_a_subsidiary_counts_for_its_listed_parent(catalog: Catalog) -> None:
    found = reasons("stock:GOOGL:down", catalog)
    assert found is not None and [r.label for r in found] == ["Google down"]
    assert not matched("stock:Alphabet:down>=1%", catalog)  # no size stated: no threshold met


def test_stock_of_anyone(catalog: Catalog) -> None:
    found = reasons("stock:*:down", catalog)
    assert found is not None and [r.label for r in found] == ["NVDA down 5.2%", "Google down"]
    up = reasons("stock:*:up>=3%", catalog)
    assert up is not None and [r.label for r in up] == ["META up 3.1%"]


def test_source_site_and_language(catalog: Catalog) -> None:
    source = reasons("source:TechCrunch-AI", catalog)
    assert source == (MatchReason("field", "source:techcrunch-ai"),)
    assert matched("site:techcrunch.com", catalog)  # a subdomain counts
    assert matched("site:ai.techcrunch.com", catalog)
    assert not matched("site:crunch.com", catalog)
    assert matched("lang:en", catalog) and matched("lang:en-us", catalog)
    assert not matched("lang:de", catalog) and not matched("lang:en-gb", catalog)


def test_date_windows_with_a_fixed_now(catalog: Catalog) -> None:
    # published 2026-11-19 16:00 UTC, now 2026-11-20 12:00 UTC
    assert matched("after:2026-11-19", catalog)
    assert not matched("after:2026-11-19T16:01", catalog)
    assert matched("before:2026-11-20", catalog)
    assert not matched("before:2026-11-19T16:00", catalog)
    assert matched("max-age:1d", catalog) and matched("max-age:20h", catalog)
    assert not matched("max-age:19h", catalog)
    later = parse("max-age:1d", catalog).matches(ARTICLE, NOW + timedelta(hours=5))
    assert later is None
    fetched = ArticleView(4, "t", "x", "s", "x.com", "u", fetched_at=datetime(2026, 11, 20, 11))
    assert matched("max-age:2h", catalog, fetched)  # naive times are UTC; fetched_at stands in
    undated = ArticleView(5, "t", "x", "s", "x.com", "u")
    assert not matched("max-age:1w", catalog, undated)
    assert not matched("-after:2026-01-01", catalog, fetched)
