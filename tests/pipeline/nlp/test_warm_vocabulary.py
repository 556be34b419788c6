"""The warm vocabulary: recurring words stay in spaCy's vocabulary, and only up to a bound."""

from __future__ import annotations

import random
import string

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger
from pipeline.nlp.warm_vocabulary import WarmVocabulary


def test_a_word_is_promoted_once_it_recurs_in_a_second_batch() -> None:
    warm = WarmVocabulary(limit=100)
    assert warm.observe(["Nvidia shares rose", "shares again"]) == []  # one batch, however often
    assert sorted(warm.observe(["Nvidia fell", "AMD fell"])) == ["Nvidia"]
    assert warm.observe(["Nvidia", "Nvidia fell"]) == ["fell"]  # Nvidia is never returned again
    assert warm.promoted == 2


def test_promotion_stops_at_the_limit() -> None:
    warm = WarmVocabulary(limit=3)
    words = [f"word{number}" for number in range(10)]
    warm.observe([" ".join(words)])
    promoted = warm.observe([" ".join(words)])
    assert len(promoted) == 3
    assert warm.observe([" ".join(words)]) == []
    assert warm.promoted == 3


def test_junk_chunks_are_never_promoted() -> None:
    warm = WarmVocabulary(limit=10)
    url = "https://example.com/" + "a" * 60
    warm.observe([url])
    assert warm.observe([url]) == []


def test_words_seen_longest_ago_are_forgotten_beyond_eight_times_the_limit() -> None:
    warm = WarmVocabulary(limit=2)
    warm.observe(["alpha"])
    warm.observe(["beta " + " ".join(f"w{n}" for n in range(15))])  # 17 words > 16: half go
    assert warm.observe(["alpha"]) == []  # alpha, seen first, was forgotten: counts anew
    assert warm.observe(["alpha"]) == ["alpha"]


def _random_word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=9))


def test_the_taggers_vocabulary_stays_bounded_on_endlessly_new_text(catalog: Catalog) -> None:
    tagger = Tagger.build(catalog, NlpSettings(ner_model="", warm_words=40, batch_size=4))
    rng = random.Random(5)
    pool = [_random_word(rng) for _ in range(300)]  # words that recur across batches
    sentence = "Nvidia shares rose 3% after the launch of GPT-5."
    tagger.tag_many([sentence])
    before = tagger.vocabulary_size
    for _ in range(30):  # every batch: new words, and words from the pool
        batch = [
            " ".join([sentence, *rng.sample(pool, 20), *(_random_word(rng) for _ in range(30))])
            for _ in range(4)
        ]
        results = tagger.tag_many(batch)
        assert all(result.entities for result in results)
    grown = tagger.vocabulary_size - before
    # 40 promoted words at most, each with its few strings (text, suffix, shape); without a
    # bound the pool alone would add 300 words and the new words 3,600
    assert 40 <= grown <= 40 * 3


def test_warm_words_change_nothing_in_the_results(
    catalog: Catalog, rules_tagger: Tagger
) -> None:
    cold = Tagger.build(catalog, NlpSettings(ner_model="", warm_words=0))
    texts = [
        "Meta's stock rose 3% after the Muse Spark launch.\n\nShares of Nvidia fell 17%.",
        "Alphabet (NASDAQ: GOOGL) climbed 4% in premarket trading.\nClaude 3.5 Sonnet leads.",
    ] * 3
    for _ in range(3):  # later rounds run on promoted words
        assert rules_tagger.tag_many(texts) == cold.tag_many(texts)
