"""The quick checks before the stock patterns run: whether a sentence may state a move at all
(``stock_moves.may_state_move``), whether it holds the words a subject pattern needs
(``stock_subjects._NEEDS``). They may say "yes" too often, never "no" where a pattern matches, so
skipping what they reject changes no result."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.nlp import stock_reactions, stock_subjects
from pipeline.nlp import stock_vocabulary as vocab
from pipeline.nlp.stock_moves import may_state_move
from tests.conftest import REPO_ROOT
from tests.pipeline.nlp.test_stock_reactions import NEGATIVE, POSITIVE, react

DEVSET = REPO_ROOT / "tests" / "data" / "tagging" / "dev.jsonl"
_PHRASE_GROUPS = (
    vocab._UP_WORD_GROUPS, vocab._DOWN_WORD_GROUPS, vocab._PRE_UP_NOUN_GROUPS,
    vocab._PRE_DOWN_NOUN_GROUPS,
)
_PHRASES = sorted({
    phrase.replace("_", " ") for groups in _PHRASE_GROUPS for group in groups
    for phrase in group.split()
})


def _devset_texts() -> list[str]:
    lines = DEVSET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@pytest.mark.parametrize("phrase", _PHRASES)
def test_every_direction_word_passes_in_any_case(phrase: str) -> None:
    for text in (f"Nvidia shares {phrase} on Monday", f"NVIDIA SHARES {phrase.upper()} TODAY"):
        assert may_state_move(text)


@pytest.mark.parametrize("text", [
    "Meta's stock was little changed.", "The shares were flat.", "Shares flattened out.",
    "Oracle stock held steady.", "Nvidia barely budged.", "a 17% plunge in Nvidia shares",
    "lifting Meta shares", "news weighed on Nvidia shares", "knocking $600 billion off its value",
    "adding $50 billion to its market value", "NVDA -3.2%", "Nvidia shares hit a 52-week low",
    "Meta shares roſe", "MICROSOFT SHARES DİPPED",
])
def test_moves_of_every_kind_pass(text: str) -> None:
    assert may_state_move(text)


@pytest.mark.parametrize("text", [
    "Meta on Tuesday unveiled Muse Spark, the first model from its Meta Superintelligence Labs.",
    "Shares of the company are listed in New York.",
    "",
])
def test_sentences_without_any_move_word_are_rejected(text: str) -> None:
    assert not may_state_move(text)


def test_the_stated_moves_and_the_devset_moves_pass() -> None:
    texts = [text for text, _ in POSITIVE] + _devset_texts()
    with_moves = [text for text in texts if react(text)]
    assert with_moves
    assert all(may_state_move(text) for text in with_moves)


def test_skipping_rejected_sentences_changes_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [text for text, _ in POSITIVE] + list(NEGATIVE) + _devset_texts()
    checked = [react(text) for text in texts]
    monkeypatch.setattr(stock_reactions, "may_state_move", lambda _sentence: True)
    assert [react(text) for text in texts] == checked


def test_skipping_patterns_without_their_words_changes_no_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [text for text, _ in POSITIVE] + list(NEGATIVE) + _devset_texts()
    checked = [react(text) for text in texts]
    monkeypatch.setattr(stock_subjects, "_may_match", lambda _needs, _folded: True)
    assert [react(text) for text in texts] == checked


@pytest.mark.parametrize(("pattern", "text"), [
    (stock_subjects._NAMED, "\ue000\ue001'S SHARE PRICE"),
    (stock_subjects._NAMED, "\ue000\ue001 AMERICAN DEPOſITARY RECEIPTS"),
    (stock_subjects._NAMED, "\ue000\ue001's value"),
    (stock_subjects._NAMED, "\ue000\ue001 m-cap"),
    (stock_subjects._SHARES_OF, "ADRs of \ue000\ue001"),
    (stock_subjects._STOCKS_INCLUDING, "Stocks tied to AI, including \ue000\ue001,"),
    (stock_subjects._LIST_WITH_OTHERS, "\ue000\ue001 and Other chipmakers"),
    (vocab.POSSESSIVE_MOVE, "\ue000\ue001's 17 Per Cent plunge"),
    (vocab.POSSESSIVE_MOVE, "\ue000\ue001's 17 PCT plunge"),
])
def test_a_pattern_s_words_are_found_where_it_matches(pattern: re.Pattern[str], text: str) -> None:
    assert pattern.search(text)
    assert stock_subjects._may_match(stock_subjects._NEEDS[pattern], vocab.fold_case(text))
