"""Build the spaCy ``Language`` the tagger runs: tokenizer, three span rulers, optionally the NER.

Where it sits in the flow: called once by ``Tagger.build``. The pipeline is

    tokenizer -> catalog_ruler -> ticker_ruler -> cue_ruler [-> tok2vec/transformer -> ner]

- ``catalog_ruler``: a ``SpanRuler`` (spaCy's successor of the ``EntityRuler``, same patterns)
  with every catalog name, alias and ticker form, matched on ``LOWER``, its matches kept
  *without* resolving overlaps, so that the case and context rules can reject a long candidate
  and still keep a shorter one;
- ``ticker_ruler``: bare tickers (``META``), matched on ``ORTH``;
- ``cue_ruler``: the unknown-model anchors (head nouns, release verbs);
- the statistical model's ``ner``, loaded by package name (``NlpSettings.ner_model``), with only
  the ``tok2vec`` or ``transformer`` it listens to (``en_core_web_trf``); the ``en_core_web_sm``
  family's NER embeds its own, so their shared ``tok2vec``, tagger, parser and lemmatizer go.
  Rules-only mode (``ner_model = ""``) starts from ``spacy.blank("en")``: the same tokenizer.

The rulers come first so that adding their phrase patterns only runs the tokenizer. They are
:class:`OffsetRuler` s: ``SpanRuler`` s (same patterns, same matching) that keep each match as a
plain ``(label, id, start token, end token)`` tuple (:func:`ruler_matches`) instead of making a
``Span`` per match for ``doc.spans``: the reader needs only the offsets, and a ``Span`` per
match (made again on each read of ``doc.spans``) cost more than the matching itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler

from config.errors import NewsmonError

_UNUSED_COMPONENTS = (
    "tagger", "parser", "attribute_ruler", "lemmatizer", "trainable_lemmatizer", "senter",
    "morphologizer", "textcat", "textcat_multilabel", "entity_linker", "spancat",
)


class NlpSetupError(NewsmonError):
    """The configured statistical model cannot be loaded or has no NER."""


@dataclass(frozen=True)
class RulerSpec:
    """One ruler: its name, the key its matches are kept under (:func:`ruler_matches`), the
    token attribute its phrase patterns match on, and the patterns."""

    name: str
    spans_key: str
    match_on: Literal["LOWER", "ORTH"]
    patterns: tuple[Mapping[str, Any], ...]


def build_language(ner_model: str, rulers: Sequence[RulerSpec], *, max_chunk_chars: int) -> Any:
    """The ``Language`` for tagging: the rulers first, then the statistical NER when
    ``ner_model`` names a package."""
    nlp = load_statistical_model(ner_model) if ner_model else spacy.blank("en")
    nlp.max_length = max(nlp.max_length, max_chunk_chars + 1)
    previous = None
    for spec in rulers:
        _add_ruler(nlp, spec, after=previous)
        previous = spec.name
    return nlp


def load_statistical_model(name: str) -> Any:
    """Load an installed spaCy package with only the NER and what it listens to."""
    try:
        nlp = spacy.load(name, exclude=list(_UNUSED_COMPONENTS))
    except (OSError, ImportError) as error:
        raise NlpSetupError(
            f"cannot load the spaCy model {name!r}: install its package "
            f"(e.g. `pip install {name}`), or set nlp.ner_model = \"\" for rules-only tagging"
        ) from error
    if "ner" not in nlp.pipe_names:
        raise NlpSetupError(f"the spaCy model {name!r} has no 'ner' component")
    for component in [c for c in nlp.pipe_names if c != "ner"]:
        if "ner" not in getattr(nlp.get_pipe(component), "listening_components", ()):
            nlp.remove_pipe(component)  # en_core_web_sm/md/lg: the NER embeds its own tok2vec
    return nlp


Match = tuple[str, str, int, int]
"""A ruler's match: label, pattern id, start token, end token."""


def ruler_matches(doc: Any, key: str) -> list[Match]:
    """The matches the :class:`OffsetRuler` with ``spans_key = key`` kept on ``doc``, sorted
    and without duplicates as a ``SpanRuler`` sorts its spans; none if it did not run."""
    matches: list[Match] = doc.user_data.get((_MATCHES, key), [])
    return matches


_MATCHES = "newsmon_ruler_matches"


class OffsetRuler(SpanRuler):
    """A ``SpanRuler`` that keeps its matches as tuples in ``doc.user_data`` (read them with
    :func:`ruler_matches`) instead of ``Span`` objects in ``doc.spans``."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str,
                 phrase_matcher_attr: str | None):
        super().__init__(
            nlp, name, spans_key=spans_key, phrase_matcher_attr=phrase_matcher_attr,
            validate=False, annotate_ents=False, overwrite=True, scorer=None,
        )
        self._keys: dict[int, tuple[int, int, str, str]] = {}

    def __call__(self, doc: Any) -> Any:
        self._require_patterns()
        found = list(self.phrase_matcher(doc))
        if len(self.matcher):
            found += self.matcher(doc)
        keyed = {(start, end, *self._key_of(m_id)) for m_id, start, end in found if start != end}
        doc.user_data[(_MATCHES, self.key)] = [
            (label, span_id, start, end) for start, end, _, _, label, span_id in sorted(keyed)
        ]
        return doc

    def _key_of(self, match_id: int) -> tuple[int, int, str, str]:
        """A pattern's label and id, with the string hashes a ``Span`` sorts by."""
        if match_id not in self._keys:
            names = self._match_label_id_map[match_id]
            strings = self.nlp.vocab.strings
            self._keys[match_id] = (
                strings.add(names["label"]), strings.add(names["id"]), names["label"], names["id"]
            )
        return self._keys[match_id]


@Language.factory(
    "newsmon_offset_ruler", default_config={"spans_key": "ruler", "phrase_matcher_attr": None}
)
def make_offset_ruler(
    nlp: Language, name: str, spans_key: str, phrase_matcher_attr: str | None
) -> OffsetRuler:
    """spaCy's factory for :class:`OffsetRuler`."""
    return OffsetRuler(nlp, name, spans_key=spans_key, phrase_matcher_attr=phrase_matcher_attr)


def _add_ruler(nlp: Any, spec: RulerSpec, *, after: str | None) -> None:
    config = {"spans_key": spec.spans_key, "phrase_matcher_attr": spec.match_on}
    placement: dict[str, Any] = {"after": after} if after else {"first": True}
    ruler = nlp.add_pipe("newsmon_offset_ruler", name=spec.name, config=config, **placement)
    ruler.add_patterns([dict(pattern) for pattern in spec.patterns])
