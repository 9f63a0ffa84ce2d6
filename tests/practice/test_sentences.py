"""The sentence library: enough sentences, and every target-sound tag is true."""

from __future__ import annotations

import pytest

from accent_coach.engine.g2p import espeak_words, recognizer_tokens
from accent_coach.practice.sentences import (
    CONSONANTS,
    LEVELS,
    OBSTRUENTS,
    SOUNDS,
    filter_sentences,
    load_sentences,
    sentence_for_phone,
)

# Word counts that keep the levels honest: short for beginners, long for advanced.
WORD_RANGE = {"beginner": (3, 8), "intermediate": (7, 14), "advanced": (10, 20)}


def _words(text: str) -> list[list[str]]:
    """Stress-free phones per word, fused espeak symbols (ɑːɹ) split into their parts."""
    return [[t for p in w for t in recognizer_tokens(p)] for w in espeak_words(text, "en-us")]


def _has_final_consonants(words: list[list[str]]) -> bool:
    return sum(1 for w in words if w and w[-1] in OBSTRUENTS) >= 3


def _has_cluster(words: list[list[str]]) -> bool:
    for w in words:
        run = 0
        for p in w:
            run = run + 1 if p in CONSONANTS else 0
            if run >= 3:
                return True
    return False


def tag_holds(text: str, tag: str) -> bool:
    words = _words(text)
    if tag == "final consonants":
        return _has_final_consonants(words)
    if tag == "clusters":
        return _has_cluster(words)
    phones = {p for w in words for p in w}
    return all(group & phones for group in SOUNDS[tag].groups)


def test_library_is_large_and_balanced() -> None:
    sentences = load_sentences()
    assert len(sentences) >= 120
    assert len({s.id for s in sentences}) == len(sentences)
    assert len({s.text.lower() for s in sentences}) == len(sentences)
    for level in LEVELS:
        assert len(filter_sentences(level=level)) >= 30
    for key in SOUNDS:
        assert len(filter_sentences(sound=key)) >= 5, key


@pytest.mark.parametrize("sentence", load_sentences(), ids=lambda s: s.id)
def test_sentence_tags_are_true(sentence) -> None:
    assert sentence.level in LEVELS
    assert sentence.sounds, "every sentence drills something"
    low, high = WORD_RANGE[sentence.level]
    assert low <= len(sentence.text.split()) <= high
    for tag in sentence.sounds:
        assert tag in SOUNDS, tag
        assert tag_holds(sentence.text, tag), f"{tag!r} not in {_words(sentence.text)}"


def test_checker_rejects_false_tags() -> None:
    assert not tag_holds("She sells sea shells.", "θ")
    assert not tag_holds("I see a bee.", "v/w")
    assert not tag_holds("Go to me.", "clusters")
    assert tag_holds("Strengths.", "clusters")


def test_filter_and_drill_lookup() -> None:
    both = filter_sentences(level="beginner", sound="θ")
    assert both and all(s.level == "beginner" and "θ" in s.sounds for s in both)
    pick = sentence_for_phone("θ", level="advanced")
    assert pick is not None and "θ" in pick.sounds and pick.level == "advanced"
    assert sentence_for_phone("w") is not None  # reached through the v/w contrast
    assert sentence_for_phone("q") is None
