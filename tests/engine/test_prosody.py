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


def _glottal(f0: np.ndarray, sr: int = 16_000) -> np.ndarray:
    """A voiced sound with the given per-sample f0: harmonics of a falling spectrum."""
    phase = 2 * np.pi * np.cumsum(f0) / sr
    return sum(np.sin(k * phase) / k for k in range(1, 12)).astype(np.float32) * 0.2


def test_pitch_follows_a_glide_on_the_20_ms_grid_and_silence_is_unvoiced() -> None:
    sr = 16_000
    t = np.arange(sr) / sr
    glide = 100 + 150 * t / t[-1]  # 100 → 250 Hz in 1 s: 3 Hz (~2 %) per 20 ms frame
    wav = np.concatenate([np.zeros(sr // 2, np.float32), _glottal(glide),
                          np.zeros(sr // 2, np.float32)])
    frames = len(wav) // prosody.HOP
    f0 = prosody.pitch_hz(wav, sr, frames)
    times = np.arange(frames) * prosody.HOP / sr
    inner = (times > 0.6) & (times < 1.4)
    expected = 100 + 150 * (times[inner] - 0.5)
    assert np.all(np.isfinite(f0[inner]))
    # within 2 % (measured 1.3 %); one frame off the grid would be 3.7 %
    assert np.max(np.abs(f0[inner] / expected - 1)) < 0.02
    assert np.all(np.isnan(f0[times < 0.4])) and np.all(np.isnan(f0[times > 1.6]))


def test_pitch_of_a_clip_shorter_than_three_periods_is_unvoiced_not_an_error() -> None:
    f0 = prosody.pitch_hz(np.zeros(400, np.float32), 16_000, 2)
    assert f0.shape == (2,) and np.all(np.isnan(f0))


def test_energy_is_librosas_rms_without_librosa() -> None:
    """The numpy RMS gives librosa's numbers exactly (librosa stays the reference)."""
    import librosa

    rng = np.random.default_rng(0)
    for n in (3000, 48_000, 16_000 * 7 + 123):
        wav = (rng.standard_normal(n) * 0.1).astype(np.float32)
        want = librosa.feature.rms(y=wav, frame_length=1024, hop_length=prosody.HOP,
                                   center=True)[0]
        assert np.array_equal(prosody.rms(wav), want)


def test_dtw_is_librosas_path_ties_included() -> None:
    import librosa

    rng = np.random.default_rng(1)
    for n, m in ((150, 170), (40, 300), (1, 5), (7, 1), (300, 280)):
        x, y = rng.standard_normal((n, 2)), rng.standard_normal((m, 2))
        x[::7], y[::5] = 0, 0  # equal costs: the tie-breaking must match too
        _, want = librosa.sequence.dtw(X=x.T, Y=y.T, metric="euclidean")
        assert np.array_equal(prosody.dtw(x, y), want), (n, m)


def test_contours_and_similarity_need_no_librosa() -> None:
    """A one-shot CLI never pays librosa's import and numba compilation for prosody."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; from accent_coach.engine import prosody; "
            "c = prosody.contours(np.random.default_rng(0).standard_normal(48000)"
            ".astype(np.float32) * 0.1); prosody.contour_similarity(c, c); "
            "print('librosa' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
