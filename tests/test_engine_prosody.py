"""Prosody contours and stress measures on synthetic speech (no model needed)."""

from __future__ import annotations

import numpy as np

from accent_coach.engine import prosody
from accent_coach.speech.espeak import synthesize

TEXT = "Are you coming to the party tonight? I really hope so!"


def _contour(**kw) -> np.ndarray:
    wav, sr = synthesize(TEXT, **kw)
    return prosody.contours(wav, sr)


def test_same_reading_matches_itself() -> None:
    ref = _contour()
    pitch, energy = prosody.contour_similarity(ref, ref)
    assert pitch > 0.95 and energy > 0.95


def test_monotone_reading_loses_pitch_similarity() -> None:
    ref = _contour()
    slower = _contour(rate_wpm=120, pitch=40)  # other speed and voice height, same melody
    flat = _contour(pitch_range=0)
    p_slow, _ = prosody.contour_similarity(slower, ref)
    p_flat, _ = prosody.contour_similarity(flat, ref)
    assert p_slow > p_flat + 0.2


def test_stress_match_counts_words_with_two_vowels() -> None:
    right = [[(1, 0.2, 1.0), (0, 0.08, -0.5)], [(0, 0.1, 0.0)]]
    wrong = [[(1, 0.07, -0.5), (0, 0.2, 1.0)]]
    assert prosody.stress_match(right) == 1.0
    assert prosody.stress_match(wrong) == 0.0
    assert prosody.stress_match([[(0, 0.1, 0.0)]]) is None


def test_prosody_score_range() -> None:
    assert prosody.prosody_score(1, 1, 1) == 100
    assert prosody.prosody_score(0, 0, None) == 0
    assert 0 < prosody.prosody_score(0.5, 0.5, 0.5) < 100
