"""Stress marks before the syllable (maximal onsets), as learners see IPA."""

from __future__ import annotations

import pytest

from accent_coach.engine.g2p import reference
from accent_coach.engine.syllables import legal_onset, stressed_ipa, syllable_starts
from ui.views import ipa_line


@pytest.mark.parametrize(
    ("tokens", "stress", "want"),
    [
        (["n", "aɪ", "n"], [0, 1, 0], "ˈnaɪn"),
        (["θ", "ɹ", "iː"], [0, 0, 1], "ˈθɹiː"),  # a cluster moves with its syllable
        (["ɛ", "k", "s", "t", "ɹ", "ə"], [1, 0, 0, 0, 0, 0], "ˈɛkstɹə"),
        (["ʌ", "n", "d", "ɚ", "s", "t", "æ", "n", "d"], [2, 0, 0, 0, 0, 0, 1, 0, 0],
         "ˌʌndɚˈstænd"),  # "st" can start a word, "ndɚst" cannot
        (["b", "ɐ", "n", "æ", "n", "ə"], [0, 0, 0, 1, 0, 0], "bɐˈnænə"),
        (["f", "oʊ", "ɾ", "ə", "ɡ", "ɹ", "æ", "f"], [0, 1, 0, 0, 0, 0, 2, 0], "ˈfoʊɾəˌɡɹæf"),
        (["ɪ", "k", "s", "p", "l", "eɪ", "n"], [0, 0, 0, 0, 0, 1, 0], "ɪkˈspleɪn"),  # "spl"
        (["s", "ɪ", "ŋ", "ɪ", "ŋ"], [0, 1, 0, 0, 0], "ˈsɪŋɪŋ"),
        (["æ", "t", "l", "æ", "n", "t", "ɪ", "k"], [0, 0, 0, 1, 0, 0, 0, 0],
         "ætˈlæntɪk"),  # "tl" cannot start an English syllable
        (["aɪ"], [1], "ˈaɪ"),
        (["ð", "ə"], [0, 0], "ðə"),
    ],
)
def test_stress_mark_sits_before_the_syllable(tokens, stress, want):
    assert stressed_ipa(tokens, stress) == want


def test_onsets_follow_english_phonotactics():
    assert legal_onset(["s", "t", "ɹ"]) and legal_onset(["k", "w"]) and legal_onset(["p", "j"])
    assert not legal_onset(["ŋ"]) and not legal_onset(["t", "l"])
    assert not legal_onset(["n", "d"]) and not legal_onset(["k", "s", "t"])
    assert syllable_starts(["ɛ", "k", "s", "t", "ɹ", "ə"]) == [0, 2]


@pytest.mark.parametrize("accent", ["us", "uk"])
def test_the_practice_line_puts_stress_before_syllables(accent):
    line = ipa_line(reference("Nine one. Think of three things.", accent))
    assert line.startswith("/ˈnaɪn ˈw") and "ˈθɪŋk" in line and "ˈθɹiː" in line
    assert "nˈ" not in line and "θɹˈ" not in line
