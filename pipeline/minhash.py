"""MinHash signatures and the LSH index that finds near-duplicate texts (datasketch at the edge).

Where it sits in the flow: story clustering (:mod:`pipeline.clustering`) asks this module whether
a new article's text is a copy or a light rewrite of one seen recently (syndicated wire copy,
a feed's text against the page's, an article re-published with a new headline). Nothing from
datasketch leaves this module: callers see :class:`TextSketch` and plain ints.

Every sketch is built with the same fixed seed and the ``affine32`` permutation scheme, so a
sketch serialised today is comparable with one computed after a restart. The byte form is
datasketch's own ``LeanMinHash`` serialisation in little-endian order.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from datasketch import LeanMinHash, MinHash, MinHashLSH

SCHEME = "affine32"
SEED = 1729
"""Fixed, so every process hashes the same shingles to the same signature."""


@dataclass(frozen=True)
class TextSketch:
    """A MinHash signature of a text's shingles (opaque; compare with :meth:`similarity`)."""

    _lean: Any
    shingle_count: int

    def similarity(self, other: TextSketch) -> float:
        """The estimated Jaccard similarity of the two shingle sets."""
        return float(self._lean.jaccard(other._lean))

    def to_bytes(self) -> bytes:
        """The sketch as bytes (datasketch's LeanMinHash format, little-endian)."""
        buffer = bytearray(self._lean.bytesize(byteorder="<"))
        self._lean.serialize(buffer, byteorder="<")
        return bytes(buffer)

    @property
    def num_perm(self) -> int:
        """How many hash functions the sketch uses."""
        return len(self._lean.hashvalues)


class MinHasher:
    """Builds sketches with one fixed seed; the permutations are computed once and reused."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self._template = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)

    def sketch(self, shingles: Collection[bytes]) -> TextSketch:
        """The sketch of a set of shingles."""
        minhash = MinHash(
            num_perm=self.num_perm,
            seed=SEED,
            scheme=SCHEME,
            permutations=self._template.permutations,
        )
        minhash.update_batch(list(shingles))
        return TextSketch(LeanMinHash(minhash), len(shingles))

    def restore(self, data: bytes, shingle_count: int) -> TextSketch | None:
        """A sketch from :meth:`TextSketch.to_bytes`; ``None`` when it does not fit this hasher."""
        try:
            lean = LeanMinHash.deserialize(data, byteorder="<")
        except (ValueError, TypeError, OverflowError, struct.error):
            return None
        if lean.seed != SEED or len(lean.hashvalues) != self.num_perm:
            return None
        if getattr(lean, "scheme", None) != SCHEME:
            return None
        return TextSketch(lean, shingle_count)


class NearDuplicateIndex:
    """A MinHash LSH index of article ids: which indexed texts may be near-duplicates of one."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._keys: set[int] = set()

    def __len__(self) -> int:
        return len(self._keys)

    def insert(self, article_id: int, sketch: TextSketch) -> None:
        """Index ``sketch`` under ``article_id`` (ignored if the id is already indexed)."""
        if article_id in self._keys:
            return
        self._lsh.insert(article_id, sketch._lean)
        self._keys.add(article_id)

    def remove(self, article_id: int) -> None:
        """Forget ``article_id`` (no-op when it is not indexed)."""
        if article_id in self._keys:
            self._lsh.remove(article_id)
            self._keys.discard(article_id)

    def candidates(self, sketch: TextSketch) -> list[int]:
        """Indexed ids whose sketches collide with ``sketch`` in at least one band, sorted."""
        return sorted(int(key) for key in self._lsh.query(sketch._lean))
