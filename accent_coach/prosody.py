"""Prosody: pitch and energy contours against a reference reading, plus word stress.

Contours (10 ms hop) of the learner's speech region and of the reference audio
(espeak-ng reading of the same text unless the caller passes a recording) are
z-normalised per recording — pitch in semitones over voiced frames, energy in dB —
so voice range and loudness don't matter, only the shape. They are aligned by DTW
on the energy+pitch features and compared by Pearson correlation along the path.

    pitch_sim  = clip(corr_pitch / 0.7, 0, 1)
    energy_sim = clip(corr_energy / 0.8, 0, 1)
    stress     = share of multi-syllable words whose primary-stressed vowel is the
                 most prominent (duration × energy) of the word's vowels
    prosody    = 100 · (0.35 pitch_sim + 0.35 energy_sim + 0.3 stress)

(stress weight falls to the contours when the text has no multi-syllable word).
"""

from __future__ import annotations

import numpy as np

SR = 16_000
HOP = 160
FMIN, FMAX = 65.0, 450.0


def contours(wav: np.ndarray, sr: int = SR) -> np.ndarray:
    """[T, 2] z-normalised (pitch semitones, energy dB) at 10 ms; unvoiced pitch = 0."""
    import librosa

    if sr != SR:
        from .audio import resample

        wav = resample(wav, sr, SR)
    if len(wav) < 2048:
        wav = np.pad(wav, (0, 2048 - len(wav)))
    rms = librosa.feature.rms(y=wav, frame_length=1024, hop_length=HOP)[0]
    energy = 20 * np.log10(rms + 1e-5)
    f0 = librosa.yin(wav, fmin=FMIN, fmax=FMAX, sr=SR, frame_length=1024, hop_length=HOP)
    n = min(len(f0), len(energy))
    f0, energy = f0[:n], energy[:n]
    voiced = (energy > energy.max() - 30) & (f0 > FMIN * 1.05) & (f0 < FMAX * 0.95)
    semis = np.zeros(n)
    if voiced.sum() > 2:
        st = 12 * np.log2(f0[voiced] / 100.0)
        semis[voiced] = (st - np.median(st)) / (st.std() + 1e-6)
    energy = (energy - energy.mean()) / (energy.std() + 1e-6)
    return np.stack([semis, energy], axis=1)


def _dtw_path(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    # subsample long contours so DTW stays cheap (cost is len(a)·len(b))
    step = max(1, int(np.ceil(max(len(a), len(b)) / 1500)))
    a, b = a[::step], b[::step]
    _, wp = librosa.sequence.dtw(X=a.T, Y=b.T, metric="euclidean")
    wp = wp[::-1]
    return wp[:, 0] * step, wp[:, 1] * step


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or x.std() < 1e-6 or y.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def contour_similarity(learner: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(pitch_sim, energy_sim) in [0, 1] after DTW alignment (see module doc)."""
    ia, ib = _dtw_path(learner, reference)
    a, b = learner[ia], reference[ib]
    both_voiced = (a[:, 0] != 0) & (b[:, 0] != 0)
    pitch = _corr(a[both_voiced, 0], b[both_voiced, 0])
    energy = _corr(a[:, 1], b[:, 1])
    return float(np.clip(pitch / 0.7, 0, 1)), float(np.clip(energy / 0.8, 0, 1))


def stress_match(words: list[list[tuple[int, float, float]]]) -> float | None:
    """Share of words whose primary-stress vowel is the most prominent one.

    ``words``: per word, its vowels as (stress level, duration s, mean energy z).
    Returns None when no word has two or more vowels with a marked primary stress.
    """
    hits = total = 0
    for vowels in words:
        if len(vowels) < 2 or not any(s == 1 for s, _, _ in vowels):
            continue
        prominence = [d * np.exp(0.5 * e) for _, d, e in vowels]
        total += 1
        hits += vowels[int(np.argmax(prominence))][0] == 1
    return None if total == 0 else hits / total


def prosody_score(pitch_sim: float, energy_sim: float, stress: float | None) -> float:
    """Combine the three parts as documented in the module docstring."""
    if stress is None:
        return float(100 * (0.5 * pitch_sim + 0.5 * energy_sim))
    return float(100 * (0.35 * pitch_sim + 0.35 * energy_sim + 0.3 * stress))
