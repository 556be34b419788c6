"""Realistic inputs for the matching benchmark: tagged articles and subscription queries.

Articles: the body of a real news article from the Zyte extraction benchmark
(``shared/data/article-extraction-benchmark``, 181 articles, median 3,200 characters) with
sentences of the tagging development set (``tests/data/tagging/dev.jsonl``) spliced in at
paragraph breaks, carrying their gold mentions and stock reactions (linked to the catalog as the
tagger links them). An article keeps to one story: a seed sentence, then sentences that share an
entity with it, and at most one unrelated sentence; the title is a short development sentence
about the same entities when there is one. Without the shared data, articles are made of
development sentences only.

Queries: drawn from templates a subscriber would write (entities, words, phrases, ORs, NOTs,
NEAR, stock reactions, field and date filters), entities weighted by how often the development
set mentions them (a long tail over the whole catalog), words and phrases by their frequency in
the development set. Popular subscriptions recur, as they do among real users.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

from alerts.query.words import fold_words
from alerts.types import ArticleView, EntityRef, ReactionRef
from bench.tagging_devset import DEVSET
from bench.tagging_metric import EntitySpan, GoldSentence, load_devset
from config.catalog import Catalog, CompanyRecord, Entity, ModelRecord

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    ("techcrunch-ai", "techcrunch.com"), ("verge-ai", "theverge.com"),
    ("reuters-tech", "reuters.com"), ("cnbc-tech", "cnbc.com"), ("ft-tech", "ft.com"),
    ("bloomberg-tech", "bloomberg.com"), ("wired-ai", "wired.com"),
    ("ars-ai", "arstechnica.com"), ("venturebeat-ai", "venturebeat.com"),
    ("axios-ai", "axios.com"), ("heise-ki", "heise.de"), ("lemonde-tech", "lemonde.fr"),
    ("semafor-tech", "semafor.com"), ("register", "theregister.com"), ("zdnet-ai", "zdnet.com"),
    ("fortune-ai", "fortune.com"), ("wsj-tech", "wsj.com"), ("nyt-tech", "nytimes.com"),
    ("info-ai", "theinformation.com"), ("marktechpost", "marktechpost.com"),
)
LANGUAGES = ("en",) * 17 + ("de", "fr", "es")
STOPWORDS = frozenset({
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from",
    "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "its", "it", "this",
    "that", "these", "those", "than", "then", "into", "over", "after", "before", "about", "said",
    "says", "will", "would", "could", "not", "but", "more", "most", "also", "which", "who",
    "what", "when", "where", "while", "their", "they", "them", "he", "she", "his", "her", "our",
    "we", "you", "up", "down", "per", "cent", "percent",
})
_E = TypeVar("_E", CompanyRecord, ModelRecord)
EXCLUSIONS = (
    ("crypto", 8), ("bitcoin", 5), ("podcast", 5), ("sponsored", 4), ("webinar", 3),
    ("opinion", 4), ("rumor", 3), ("lawsuit", 3), ("deals", 3), ("recap", 2), ("newsletter", 3),
    ("layoffs", 2), ("earnings", 2), ("gaming", 2), ("metaverse", 3), ("\"black friday\"", 2),
)
"""What subscribers exclude (``-crypto``): a short list of noise, not random words."""
ZIPF = 0.8
"""Popularity of entities among subscriptions: rank r weighs 1 / r ** ZIPF, ranked by how often
the development set mentions them."""
RELATED = (3, 6)
"""How many sentences about the seed's entities go into one article (at most, if available)."""


@dataclass(frozen=True)
class Corpus:
    """What the generators draw from."""

    sentences: tuple[GoldSentence, ...]
    titles: tuple[GoldSentence, ...]
    about: Mapping[str, tuple[GoldSentence, ...]]
    """Catalog id -> the development sentences mentioning it."""
    bodies: tuple[tuple[str, str], ...]
    """(URL, text) of the real articles."""
    words: tuple[str, ...]
    word_weights: tuple[float, ...]
    phrases: tuple[str, ...]
    phrase_weights: tuple[float, ...]
    companies: tuple[CompanyRecord, ...]
    company_weights: tuple[float, ...]
    models: tuple[ModelRecord, ...]
    model_weights: tuple[float, ...]
    listed: tuple[CompanyRecord, ...]
    listed_weights: tuple[float, ...]


def load_corpus(catalog: Catalog) -> Corpus:
    """The development set, the real article bodies (if present) and the weighted vocabularies."""
    sentences = tuple(load_devset(DEVSET))
    words, phrases = _vocabulary(sentences)
    about: dict[str, list[GoldSentence]] = defaultdict(list)
    for sentence in sentences:
        for entity_id in entity_ids(catalog, sentence):
            about[entity_id].append(sentence)
    mentions = Counter({entity_id: len(found) for entity_id, found in about.items()})
    companies = _popular(catalog.companies, mentions)
    models = _popular(catalog.models, mentions)
    listed = tuple(company for company in companies if company.ticker is not None)
    return Corpus(
        sentences, tuple(s for s in sentences if len(s.text.split()) <= 16),
        {entity_id: tuple(found) for entity_id, found in about.items()}, _bodies(),
        tuple(words), tuple(float(count) for count in words.values()),
        tuple(phrases), tuple(float(count) for count in phrases.values()),
        companies, _zipf(len(companies), ZIPF), models, _zipf(len(models), ZIPF),
        listed, _zipf(len(listed), ZIPF),
    )


def entity_ids(catalog: Catalog, sentence: GoldSentence) -> set[str]:
    """The catalog ids a development sentence mentions."""
    return {entity.id for span in sentence.gold.entities
            if (entity := resolve(catalog, span)) is not None}


def resolve(catalog: Catalog, span: EntitySpan) -> Entity | None:
    """The catalog record a gold mention links to (None for ORG and unknown models)."""
    wanted = ModelRecord if span.type == "MODEL" else CompanyRecord
    if span.type == "ORG":
        return None
    found = [entity for entity in catalog.find(span.canonical) if isinstance(entity, wanted)]
    return found[0] if found else None


def _vocabulary(
    sentences: Sequence[GoldSentence],
) -> tuple[dict[str, float], dict[str, float]]:
    """Content words and two-word phrases of the development set, weighted by the square root
    of their counts (subscribers pick topics, not the commonest words)."""
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    for sentence in sentences:
        folded = fold_words(sentence.text)
        content = [w for w in folded if w not in STOPWORDS and len(w) > 3 and not w.isdigit()]
        words.update(content)
        phrases.update(
            f"{a} {b}" for a, b in pairwise(folded)
            if a in content and b in content
        )
    return _soften(words), _soften(phrases)


def _soften(counts: Counter[str]) -> dict[str, float]:
    return {key: count ** 0.5 for key, count in counts.items()}


def _popular(entities: Sequence[_E], mentions: Counter[str]) -> tuple[_E, ...]:
    """Most mentioned in the development set first, then the rest of the catalog by id."""
    return tuple(sorted(entities, key=lambda entity: (-mentions[entity.id], entity.id)))


def _zipf(size: int, exponent: float = 1.0) -> tuple[float, ...]:
    return tuple(1.0 / (rank + 1) ** exponent for rank in range(size))


def _bodies() -> tuple[tuple[str, str], ...]:
    configured = os.environ.get("NEWSMON_SHARED_DATA")
    base = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    truth = base / "article-extraction-benchmark" / "ground-truth.json"
    if not truth.is_file():
        return ()
    records = json.loads(truth.read_text(encoding="utf-8"))
    return tuple((record["url"], record["articleBody"]) for record in records.values()
                 if record["articleBody"])


# -- articles ---------------------------------------------------------------------------------


def build_articles(
    corpus: Corpus, catalog: Catalog, rng: random.Random, count: int, now: datetime
) -> list[ArticleView]:
    """``count`` tagged articles, published in the three days before ``now``."""
    return [_article(corpus, catalog, rng, number, now) for number in range(1, count + 1)]


def _article(
    corpus: Corpus, catalog: Catalog, rng: random.Random, number: int, now: datetime
) -> ArticleView:
    spliced = _story(corpus, catalog, rng)
    ids = entity_ids(catalog, spliced[0])
    titles = [s for s in corpus.titles if s not in spliced and entity_ids(catalog, s) & ids]
    title_sentence = rng.choice(titles or corpus.titles)
    body = rng.choice(corpus.bodies)[1].split("\n\n") if corpus.bodies else []
    parts: list[str | GoldSentence] = [*body, *spliced]
    rng.shuffle(parts)
    text, entities, reactions = _assemble(parts, catalog)
    title_entities, _ = _tags(title_sentence, 0, "title", catalog)
    source, site = rng.choice(SOURCES)
    return ArticleView(
        article_id=number, title=title_sentence.text, text=text, source=source, site=site,
        url=f"https://{site}/2026/11/article-{number}", language=rng.choice(LANGUAGES),
        published=now - timedelta(minutes=rng.randint(0, 72 * 60)),
        entities=(*title_entities, *entities), reactions=tuple(reactions),
    )


def build_general_articles(
    corpus: Corpus, rng: random.Random, count: int, now: datetime
) -> list[ArticleView]:
    """``count`` real articles as they are (general news of 2019, nothing tagged): the crawl's
    off-topic share, which few subscriptions match."""
    articles = []
    for number in range(1, count + 1):
        url, text = corpus.bodies[(number - 1) % len(corpus.bodies)]
        host = url.split("/")[2].removeprefix("www.")
        slug = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        title = " ".join(word for word in slug.replace("_", "-").split("-") if word).capitalize()
        articles.append(ArticleView(
            article_id=number, title=title, text=text, source=host.split(".")[0], site=host,
            url=url, language="en", published=now - timedelta(minutes=rng.randint(0, 72 * 60)),
        ))
    return articles


def _story(corpus: Corpus, catalog: Catalog, rng: random.Random) -> list[GoldSentence]:
    """A seed sentence, sentences sharing an entity with it, maybe one unrelated sentence."""
    seed = rng.choice(corpus.sentences)
    related = {s.id: s for entity_id in sorted(entity_ids(catalog, seed))
               for s in corpus.about.get(entity_id, ()) if s.id != seed.id}
    chosen = rng.sample(sorted(related.values(), key=lambda s: s.id),
                        min(len(related), rng.randint(*RELATED)))
    if rng.random() < 0.5:
        chosen.append(rng.choice(corpus.sentences))
    return [seed, *dict.fromkeys(chosen)]


def _assemble(
    parts: Sequence[str | GoldSentence], catalog: Catalog
) -> tuple[str, list[EntityRef], list[ReactionRef]]:
    chunks: list[str] = []
    entities: list[EntityRef] = []
    reactions: list[ReactionRef] = []
    offset = 0
    for part in parts:
        text = part if isinstance(part, str) else part.text
        if isinstance(part, GoldSentence):
            found, moved = _tags(part, offset, "text", catalog)
            entities += found
            reactions += moved
        chunks.append(text)
        offset += len(text) + 2
    return "\n\n".join(chunks), entities, reactions


def _tags(
    sentence: GoldSentence, offset: int, field: str, catalog: Catalog
) -> tuple[list[EntityRef], list[ReactionRef]]:
    entities = [_entity_ref(span, offset, field, catalog) for span in sentence.gold.entities]
    reactions = []
    for reaction in sentence.gold.stock_reactions:
        company = next((e for e in catalog.find(reaction.company)
                        if isinstance(e, CompanyRecord)), None)
        ticker = _listed_ticker(catalog, company)
        reactions.append(ReactionRef(
            reaction.company, company.id if company else None, ticker, reaction.direction,
            reaction.magnitude_pct, field, offset, offset + len(sentence.text),
        ))
    return entities, reactions


def _entity_ref(span: EntitySpan, offset: int, field: str, catalog: Catalog) -> EntityRef:
    entity = resolve(catalog, span)
    ref = EntityRef(span.type, span.canonical, None, field, offset + span.start, offset + span.end)
    if isinstance(entity, ModelRecord):
        return EntityRef(span.type, entity.name, entity.id, field, ref.start, ref.end,
                         developer_id=entity.developer)
    if isinstance(entity, CompanyRecord):
        return EntityRef(span.type, entity.name, entity.id, field, ref.start, ref.end,
                         ticker=entity.ticker, parent_id=entity.parent)
    return ref


def _listed_ticker(catalog: Catalog, company: CompanyRecord | None) -> str | None:
    if company is None:
        return None
    for candidate in (company, *catalog.ancestors(company.id)):
        if candidate.ticker is not None:
            return candidate.ticker
    return None


# -- queries ----------------------------------------------------------------------------------


class QueryMaker:
    """Writes subscription queries from weighted templates."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus = corpus
        self.rng = rng
        self.templates: list[tuple[float, Callable[[], str]]] = [
            (10, self.company), (8, self.model), (14, self.company_and_words),
            (8, self.phrase), (7, self.words), (7, self.either_company), (7, self.company_not),
            (8, self.stock), (5, self.developer), (5, self.near), (5, self.title),
            (5, self.field), (4, self.recent), (3, self.ticker), (4, self.words_or),
            (0.05, self.only_negative),
        ]

    def make(self, count: int) -> list[str]:
        """``count`` queries."""
        weights = [weight for weight, _ in self.templates]
        makers = self.rng.choices([maker for _, maker in self.templates], weights, k=count)
        return [maker() for maker in makers]

    def word(self) -> str:
        return self.rng.choices(self.corpus.words, self.corpus.word_weights)[0]

    def quoted_phrase(self) -> str:
        return f'"{self.rng.choices(self.corpus.phrases, self.corpus.phrase_weights)[0]}"'

    def term(self) -> str:
        return self.quoted_phrase() if self.rng.random() < 0.3 else self.word()

    def company_name(self) -> str:
        company = self.rng.choices(self.corpus.companies, self.corpus.company_weights)[0]
        name = self.rng.choice([company.name, *company.aliases[:2]])
        return f'"{name}"' if " " in name or '"' in name else name

    def model_name(self) -> str:
        model = self.rng.choices(self.corpus.models, self.corpus.model_weights)[0]
        return f'"{model.name}"'

    def company(self) -> str:
        return f"company:{self.company_name()}"

    def model(self) -> str:
        return f"model:{self.model_name()}"

    def company_and_words(self) -> str:
        entity = self.company() if self.rng.random() < 0.6 else self.model()
        return " ".join([entity, *(self.term() for _ in range(self.rng.randint(1, 2)))])

    def phrase(self) -> str:
        return self.quoted_phrase()

    def words(self) -> str:
        return " ".join(self.term() for _ in range(self.rng.randint(2, 3)))

    def words_or(self) -> str:
        return f"({self.term()} OR {self.term()}) {self.term()}"

    def either_company(self) -> str:
        return f"({self.company()} OR {self.company()}) {self.term()}"

    def exclusion(self) -> str:
        words = [word for word, _ in EXCLUSIONS]
        return self.rng.choices(words, [weight for _, weight in EXCLUSIONS])[0]

    def company_not(self) -> str:
        if self.rng.random() < 0.5:
            return f"{self.company()} -{self.exclusion()}"
        return f"{self.company()} -{self.exclusion()} NOT {self.exclusion()}"

    def stock(self) -> str:
        company = self.rng.choices(self.corpus.listed, self.corpus.listed_weights)[0]
        spec = self.rng.choice(["", ":up", ":down", ":down>=5%", ":>=3%", ":up>=2%"])
        return f"stock:{company.ticker}{spec}"

    def developer(self) -> str:
        return f"developer:{self.company_name()} {self.term()}"

    def near(self) -> str:
        return f"{self.word()} NEAR/{self.rng.randint(2, 8)} {self.word()}"

    def title(self) -> str:
        extra = f" {self.company()}" if self.rng.random() < 0.5 else ""
        return f"title:{self.term()}{extra}"

    def field(self) -> str:
        source, site = self.rng.choice(SOURCES)
        head = self.rng.choice([f"site:{site}", f"source:{source}", "lang:de", "lang:fr"])
        return f"{head} {self.company() if self.rng.random() < 0.7 else self.term()}"

    def recent(self) -> str:
        window = self.rng.choice(["max-age:2d", "max-age:12h", "after:2026-11-18"])
        return f"{window} {self.company()}"

    def ticker(self) -> str:
        company = self.rng.choices(self.corpus.listed, self.corpus.listed_weights)[0]
        return f"ticker:{company.ticker}"

    def only_negative(self) -> str:
        return f"-{self.exclusion()} max-age:1d"
