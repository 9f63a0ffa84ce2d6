"""G2P references, normalisation and inventory mapping."""

from __future__ import annotations

import pytest

from accent_coach.engine.g2p import (
    TextError,
    normalize_text,
    number_words,
    reference,
    text_to_phones,
    to_inventory,
    to_ipa,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "zero"), (13, "thirteen"), (23, "twenty three"), (100, "one hundred"),
     (1905, "one thousand nine hundred five"), (2_000_001, "two million one")],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_normalize_numbers_abbreviations_punctuation() -> None:
    got = dict(normalize_text('Dr. Smith\'s 2nd car, 50%! In 1990 $5 -- 3.5 "well-known"'))
    assert got["Dr"] == "doctor"
    assert got["Smith's"] == "smith's"
    assert got["2nd"] == "second"
    assert got["car"] == "car"
    assert got["50%"] == "fifty percent"
    assert got["1990"] == "nineteen ninety"
    assert got["$5"] == "five dollars"
    assert got["3.5"] == "three point five"
    assert got["well-known"] == "well known"
    assert "--" not in got


def test_no_is_only_an_abbreviation_with_a_dot() -> None:
    assert dict(normalize_text("No way"))["No"] == "no"
    assert dict(normalize_text("No. 5"))["No"] == "number"


def test_reference_keeps_training_labels_for_plain_text() -> None:
    # espeak fuses "for the" and "not a"; our per-word split must not lose or add phones
    for text in ["NOW FOR THE PARTY", "DORA IS NOT A CLEANER", "I want to be more productive"]:
        refs = reference(text, "us")
        assert len(refs) == len(text.split())
        assert [t for w in refs for t in w.tokens] == text_to_phones(text, "en-us")


def test_reference_splits_fused_words_sensibly() -> None:
    refs = {w.text: "".join(w.tokens) for w in reference("NOW FOR THE PARTY")}
    assert refs["THE"].startswith("ð")
    assert refs["FOR"].startswith("f")


def test_reference_number_is_one_word_with_all_phones() -> None:
    refs = reference("I have 23 cats")
    assert [w.text for w in refs] == ["I", "have", "23", "cats"]
    assert "".join(refs[2].tokens) == "".join(text_to_phones("twenty three"))


def test_reference_stress_marks_primary() -> None:
    tomato = reference("tomato", "uk")[0]
    assert len(tomato.stress) == len(tomato.tokens)
    assert tomato.stress.count(1) == 1
    assert tomato.tokens[tomato.stress.index(1)] == "ɑː"  # UK: to-MAH-to


def test_accents_differ() -> None:
    us = "".join(reference("water", "us")[0].tokens)
    uk = "".join(reference("water", "uk")[0].tokens)
    assert us != uk


def test_all_caps_is_read_as_words_not_spelled() -> None:
    assert reference("HELLO WORLD")[0].tokens == reference("hello world")[0].tokens


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "!!! ... ---", "👍 🎉"])
def test_unpronounceable_text_raises(text: str) -> None:
    with pytest.raises(TextError):
        reference(text)


def test_emoji_mixed_with_words_is_ignored() -> None:
    assert [w.text for w in reference("hello 🙂 world")] == ["hello", "world"]


def test_to_inventory_ipa_and_fallbacks() -> None:
    vocab = ["<pad>", "<unk>", "t", "ə", "iː", "ɹ"]
    assert to_inventory("t", vocab, "ipa") == "t"
    assert to_inventory("ɾ", vocab, "ipa") == "t"
    assert to_inventory("ɚ", vocab, "ipa") == "ə"
    assert to_inventory("i", vocab, "ipa") == "iː"
    assert to_inventory("θ", vocab, "ipa") is None


def test_to_inventory_arpabet() -> None:
    vocab = ["<pad>", "AA1", "AA0", "TH", "S", "IY1", "ER0"]
    assert to_inventory("θ", vocab, "arpabet") == "TH"
    assert to_inventory("ɑː", vocab, "arpabet") in ("AA1", "AA0")
    assert to_inventory("ɚ", vocab, "arpabet") == "ER0"
    assert to_inventory("ʒ", vocab, "arpabet") is None
    assert to_ipa("IY1", "arpabet") == "iː"
    assert to_ipa("θ", "ipa") == "θ"
