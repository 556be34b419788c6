"""The NLP stage's orchestrator: text -> :class:`~pipeline.nlp.types.TagResult`.

Where it sits in the flow: ``Article --tag--> Article + Mentions + StockReactions``. Built once
per process from the entity catalog and ``NlpSettings`` (:meth:`Tagger.build`); pure given its
inputs (no database, no files but the spaCy package). For each batch of texts, top to bottom:

1. ``chunking.prepare_text``: normalise look-alike characters (offsets kept), drop what lies
   beyond ``max_text_chars``, cut into chunks of at most ``max_chunk_chars``, split sentences;
2. ``nlp.pipe`` over all chunks inside ``nlp.memory_zone()``: tokenizer, ``catalog_ruler``,
   ``ticker_ruler``, ``cue_ruler``, optionally the statistical NER (``spacy_pipeline``); words
   that recur across batches are first made permanent, up to a bound (``warm_vocabulary``), so
   the zone does not make every batch start cold;
3. ``reading.DocReader``: each ``Doc`` -> plain facts (catalog hits with their context,
   unknown-model guesses, NER organisations); no spaCy object leaves the zone;
4. ``resolution.Resolver``: decide ambiguous hits with the whole article as evidence
   (``disambiguation``), settle overlaps, link to catalog records (``linking``);
5. ``stock_reactions.find_stock_reactions`` over the sentences and the company mentions, with
   the catalog's listed parent of each division without a listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.catalog_patterns import build_name_table
from pipeline.nlp.chunking import PreparedText, prepare_text
from pipeline.nlp.facts import ChunkFacts
from pipeline.nlp.reading import CATALOG_SPANS, CUE_SPANS, TICKER_SPANS, DocReader, SentenceIndex
from pipeline.nlp.resolution import Resolver
from pipeline.nlp.spacy_pipeline import RulerSpec, build_language
from pipeline.nlp.stock_reactions import ListedParent, find_stock_reactions
from pipeline.nlp.types import EntityMention, EntityType, StockReaction, TagResult
from pipeline.nlp.unknown_models import CUE_PATTERNS
from pipeline.nlp.warm_vocabulary import WarmVocabulary

ReactionFinder = Callable[
    [str, Sequence[tuple[int, int]], Sequence[EntityMention]], tuple[StockReaction, ...]
]


class Tagger:
    """Tags texts with AI models, companies, organisations and stock reactions."""

    def __init__(
        self, nlp: Any, reader: DocReader, resolver: Resolver, settings: NlpSettings,
        find_reactions: ReactionFinder | None,
    ):
        self._nlp = nlp
        self._reader = reader
        self._resolver = resolver
        self._settings = settings
        self._find_reactions = find_reactions
        self._warm = WarmVocabulary(settings.warm_words)
        # room in the tokenizer's cache (10,000 chunks by default, partly filled by the catalog
        # patterns) for every promoted word; entries made inside a memory zone are never kept
        nlp.tokenizer.max_cache_size += settings.warm_words

    @classmethod
    def build(cls, catalog: Catalog, settings: NlpSettings) -> Tagger:
        """Build the patterns from the catalog and load spaCy, once per process."""
        names = build_name_table(catalog)
        rulers = (
            RulerSpec("catalog_ruler", CATALOG_SPANS, "LOWER", names.patterns),
            RulerSpec("ticker_ruler", TICKER_SPANS, "ORTH", names.ticker_patterns),
            RulerSpec("cue_ruler", CUE_SPANS, "LOWER", CUE_PATTERNS),
        )
        nlp = build_language(settings.ner_model, rulers, max_chunk_chars=settings.max_chunk_chars)
        reader = DocReader(
            names, guess_models=settings.unknown_models, uses_ner=bool(settings.ner_model)
        )
        finder = load_reaction_finder(catalog)
        return cls(nlp, reader, Resolver(catalog, names), settings, finder)

    @property
    def uses_statistical_ner(self) -> bool:
        """Whether the statistical NER runs (``False`` in rules-only mode)."""
        return "ner" in self._nlp.pipe_names

    @property
    def vocabulary_size(self) -> int:
        """Strings held for good by spaCy's vocabulary (the catalog's and the promoted words';
        bounded: the strings a memory zone made are gone)."""
        return len(self._nlp.vocab.strings)

    def tag(self, text: str) -> TagResult:
        """Everything found in one text."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[TagResult]:
        """Everything found in each text, in order; spaCy runs over batches of chunks."""
        results: list[TagResult] = []
        for group in _batches(texts, self._settings.batch_size):
            prepared = [self._prepare(text) for text in group]
            facts = self._read(prepared)
            results.extend(self._result(p, f) for p, f in zip(prepared, facts, strict=True))
        return results

    def _prepare(self, text: str) -> PreparedText:
        return prepare_text(
            text, max_chunk_chars=self._settings.max_chunk_chars,
            max_text_chars=self._settings.max_text_chars,
        )

    def _read(self, prepared: list[PreparedText]) -> list[list[ChunkFacts]]:
        """Run spaCy over every chunk and read each ``Doc`` before the memory zone closes."""
        jobs = [(index, start, end) for index, p in enumerate(prepared) for start, end in p.chunks]
        indexes = [SentenceIndex(p.sentences) for p in prepared]
        facts: list[list[ChunkFacts]] = [[] for _ in prepared]
        self._promote(p.normalised for p in prepared)
        with self._nlp.memory_zone():
            chunks = (prepared[index].normalised[start:end] for index, start, end in jobs)
            docs = self._nlp.pipe(chunks, batch_size=self._settings.batch_size)
            for (index, start, end), doc in zip(jobs, docs, strict=True):
                text = prepared[index].normalised
                facts[index].append(self._reader.read(doc, text, (start, end), indexes[index]))
        return facts

    def _promote(self, texts: Iterator[str]) -> None:
        """Tokenize the batch's newly recurring words outside any memory zone: their lexemes and
        tokenizer-cache entries then outlive the zone (bounded by ``nlp.warm_words``)."""
        for _ in self._nlp.tokenizer.pipe(self._warm.observe(texts)):
            pass  # one Doc per word: spaCy caches none of a Doc's chunks after a special case

    def _result(self, prepared: PreparedText, facts: list[ChunkFacts]) -> TagResult:
        entities = self._resolver.resolve(prepared, facts)
        return TagResult(entities, self._stock_reactions(prepared, entities))

    def _stock_reactions(
        self, prepared: PreparedText, entities: tuple[EntityMention, ...]
    ) -> tuple[StockReaction, ...]:
        if self._find_reactions is None:
            return ()
        companies = [m for m in entities if m.type in (EntityType.COMPANY, EntityType.ORG)]
        return tuple(self._find_reactions(prepared.original, prepared.sentences, companies))


def load_reaction_finder(catalog: Catalog) -> ReactionFinder | None:
    """The stock-reaction extractor the tagger hands its company mentions to."""
    return partial(find_stock_reactions, listed_parents=listed_parents(catalog))


def listed_parents(catalog: Catalog) -> dict[str, ListedParent]:
    """Each catalog company without a listing -> its nearest ancestor with one (Amazon Web
    Services -> Amazon, Google -> Alphabet); companies with no listed ancestor are left out."""
    parents: dict[str, ListedParent] = {}
    for company in catalog.companies:
        if company.ticker is not None:
            continue
        listed = next((a for a in catalog.ancestors(company.id) if a.ticker is not None), None)
        if listed is not None and listed.ticker is not None:
            parents[company.id] = ListedParent(listed.name, listed.id, listed.ticker)
    return parents


def _batches(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]
