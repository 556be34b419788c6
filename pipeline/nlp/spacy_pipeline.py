"""Build the spaCy ``Language`` the tagger runs: tokenizer, two span rulers, optionally the NER.

Where it sits in the flow: called once by ``Tagger.build``. The pipeline is

    tokenizer -> catalog_ruler -> ticker_ruler -> cue_ruler [-> tok2vec/transformer -> ner]

- ``catalog_ruler``: a ``SpanRuler`` (spaCy's successor of the ``EntityRuler``, same patterns)
  with every catalog name, alias and ticker form, matched on ``LOWER`` and written to
  ``doc.spans["catalog"]`` *without* resolving overlaps, so that the case and context rules can
  reject a long candidate and still keep a shorter one;
- ``ticker_ruler``: bare tickers (``META``), matched on ``ORTH``;
- ``cue_ruler``: the unknown-model anchors (head nouns, release verbs);
- the statistical model's ``ner``, loaded by package name (``NlpSettings.ner_model``), with only
  the ``tok2vec`` or ``transformer`` it listens to (``en_core_web_trf``); the ``en_core_web_sm``
  family's NER embeds its own, so their shared ``tok2vec``, tagger, parser and lemmatizer go.
  Rules-only mode (``ner_model = ""``) starts from ``spacy.blank("en")``: the same tokenizer.

The rulers come first so that adding their phrase patterns only runs the tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import spacy

from config.errors import NewsmonError

_UNUSED_COMPONENTS = (
    "tagger", "parser", "attribute_ruler", "lemmatizer", "trainable_lemmatizer", "senter",
    "morphologizer", "textcat", "textcat_multilabel", "entity_linker", "spancat",
)


class NlpSetupError(NewsmonError):
    """The configured statistical model cannot be loaded or has no NER."""


@dataclass(frozen=True)
class RulerSpec:
    """One ``SpanRuler``: its name, the ``doc.spans`` key it fills, the token attribute its
    phrase patterns match on, and the patterns."""

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


def _add_ruler(nlp: Any, spec: RulerSpec, *, after: str | None) -> None:
    config = {
        "spans_key": spec.spans_key, "phrase_matcher_attr": spec.match_on, "validate": False,
        "annotate_ents": False, "overwrite": True, "scorer": None,
    }
    placement: dict[str, Any] = {"after": after} if after else {"first": True}
    ruler = nlp.add_pipe("span_ruler", name=spec.name, config=config, **placement)
    ruler.add_patterns([dict(pattern) for pattern in spec.patterns])
