"""An article's features for story clustering, and the signature bytes storage keeps for it.

Where it sits in the flow: :class:`~pipeline.clustering.StoryClusterer` turns each
:class:`~pipeline.story_types.ClusterInput` into :class:`ArticleFeatures` here before comparing.
The text-derived part (:class:`TextProfile`: a MinHash sketch of word shingles and the counts of
the article's most frequent content terms) is what a *signature* holds, so the clusterer can be
rebuilt after a restart from stored signatures without re-reading article bodies. Title terms
and entity weights are cheap and are recomputed from the title and the tags.

Signature format (little-endian), version 1::

    b"NMS1"  B shingle_size  I shingle_count  H sketch_bytes  <sketch>
    I term_count  <term_count x uint32 term hashes, ascending>  <term_count x uint16 counts>
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from pipeline.minhash import MinHasher, TextSketch
from pipeline.story_text import content_terms, shingles, term_counts, term_hash, tokens
from pipeline.story_types import ClusteringParams, ClusterInput

MAGIC = b"NMS1"
_HEADER = struct.Struct("<4sBIH")
_COUNT = struct.Struct("<I")
_MAX_COUNT = 0xFFFF
if array("I").itemsize != 4 or array("H").itemsize != 2:  # pragma: no cover - exotic platforms
    raise ImportError("story signatures need 4-byte 'I' and 2-byte 'H' arrays")
_LOG_TF = (0.0, *(1.0 + math.log(count) for count in range(1, 256)))
TITLE_ENTITY_BONUS = 2
"""An entity named in the title counts as this many extra mentions: headlines name the subject."""


@dataclass(frozen=True)
class TextProfile:
    """What an article's words say: a near-duplicate sketch and its content-term counts."""

    sketch: TextSketch | None
    """``None`` when the text is too short to compare as a near-duplicate."""
    shingle_count: int
    terms: array[int]
    """Hashed content terms (title and text), ascending; ``counts`` holds their counts."""
    counts: array[int]

    @cached_property
    def log_counts(self) -> tuple[float, ...]:
        """``1 + ln(count)`` of each term, in ``terms`` order: the TF factor of its weight,
        computed once per article rather than once per comparison."""
        return tuple(map(log_tf, self.counts))

    def as_dict(self) -> dict[int, int]:
        """Term hash -> count."""
        return dict(zip(self.terms, self.counts, strict=True))


@dataclass(frozen=True)
class ArticleFeatures:
    """Everything the clusterer compares about one article."""

    article_id: int
    canonical_url: str
    seen_at: datetime
    title_terms: Mapping[int, str]
    """Hashed title content term -> the term (kept readable for the reasons of a match)."""
    entity_weights: Mapping[str, float]
    """Entity key -> salience (1 + ln of its weighted mention count); rarity is applied later."""
    profile: TextProfile


def build_features(
    article: ClusterInput, params: ClusteringParams, hasher: MinHasher
) -> ArticleFeatures:
    """The features of ``article``, reusing its signature when it is current."""
    profile = None
    if article.signature is not None:
        profile = decode_signature(article.signature, params, hasher)
    if profile is None:
        profile = build_profile(article.title, article.text, params, hasher)
    return ArticleFeatures(
        article_id=article.article_id,
        canonical_url=article.canonical_url,
        seen_at=article.seen_at,
        title_terms={term_hash(term): term for term in content_terms(article.title)},
        entity_weights=entity_salience(article),
        profile=profile,
    )


def build_profile(
    title: str, text: str, params: ClusteringParams, hasher: MinHasher
) -> TextProfile:
    """Sketch the body's shingles and count the content terms of title and body."""
    body_shingles = shingles(tokens(text), params.shingle_size)
    sketch = None
    if len(body_shingles) >= params.min_shingles:
        sketch = hasher.sketch(body_shingles)
    counted = term_counts(content_terms(title) + content_terms(text), params.max_terms)
    ordered = sorted(counted.items())
    return TextProfile(
        sketch=sketch,
        shingle_count=len(body_shingles),
        terms=array("I", [term for term, _ in ordered]),
        counts=array("H", [min(count, _MAX_COUNT) for _, count in ordered]),
    )


def log_tf(count: int) -> float:
    """``1 + ln(count)``, the sublinear term-frequency factor (0 for 0)."""
    return _LOG_TF[count] if count < len(_LOG_TF) else 1.0 + math.log(count)


def entity_salience(article: ClusterInput) -> dict[str, float]:
    """Entity key -> ``1 + ln(count)``, where title mentions and stock moves count extra."""
    counts: Counter[str] = Counter(article.entities)
    for key in article.title_entities:
        counts[key] += TITLE_ENTITY_BONUS
    counts.update(article.stock_reactions)
    return {key: 1.0 + math.log(count) for key, count in sorted(counts.items()) if count > 0}


def encode_signature(profile: TextProfile, params: ClusteringParams) -> bytes:
    """The signature bytes of a profile (format in the module docstring)."""
    sketch = profile.sketch.to_bytes() if profile.sketch is not None else b""
    header = _HEADER.pack(MAGIC, params.shingle_size, profile.shingle_count, len(sketch))
    terms, counts = _little_endian(profile.terms), _little_endian(profile.counts)
    return header + sketch + _COUNT.pack(len(profile.terms)) + terms + counts


def decode_signature(
    data: bytes, params: ClusteringParams, hasher: MinHasher
) -> TextProfile | None:
    """The profile in ``data``; ``None`` when it is malformed, of another version or made with
    other parameters (the caller then recomputes it from the text)."""
    try:
        magic, shingle_size, shingle_count, sketch_size = _HEADER.unpack_from(data, 0)
        offset = _HEADER.size + sketch_size
        (term_count,) = _COUNT.unpack_from(data, offset)
    except struct.error:
        return None
    offset += _COUNT.size
    if magic != MAGIC or shingle_size != params.shingle_size:
        return None
    if len(data) != offset + 6 * term_count:
        return None
    sketch = None
    if sketch_size:
        sketch = hasher.restore(data[_HEADER.size : _HEADER.size + sketch_size], shingle_count)
        if sketch is None:
            return None
    terms = _native(array("I"), data[offset : offset + 4 * term_count])
    counts = _native(array("H"), data[offset + 4 * term_count :])
    return TextProfile(sketch, shingle_count, terms, counts)


def _little_endian(values: array[int]) -> bytes:
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped.tobytes()


def _native(values: array[int], data: bytes) -> array[int]:
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values
