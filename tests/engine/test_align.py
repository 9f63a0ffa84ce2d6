"""Forced alignment, greedy decoding, heard-vs-expected alignment and GOP on built posteriors."""

from __future__ import annotations

import numpy as np
import pytest

from accent_coach.engine import scoring
from accent_coach.engine.alignment import align_sequences, forced_align, greedy_decode
from accent_coach.engine.articulation import distance


def posteriors_for(frames: list[int], vocab_size: int, p: float = 0.94) -> np.ndarray:
    """Log-posteriors where each frame's listed token gets probability ``p``."""
    rest = (1 - p) / (vocab_size - 1)
    lp = np.full((len(frames), vocab_size), np.log(rest))
    for t, tok in enumerate(frames):
        lp[t, tok] = np.log(p)
    return lp


def test_viterbi_on_hand_built_posteriors() -> None:
    lp = posteriors_for([0, 1, 1, 0, 2, 0, 0, 3, 3, 3, 0], 4)
    fa = forced_align(lp, [1, 2, 3], blank=0)
    assert [(s.start, s.end) for s in fa.spans] == [(1, 3), (4, 5), (7, 10)]
    assert fa.score == pytest.approx(np.sum(np.max(lp, axis=1)))


def test_viterbi_repeated_token_needs_blank_between() -> None:
    lp = posteriors_for([0, 1, 0, 1, 0], 3)
    fa = forced_align(lp, [1, 1], blank=0)
    assert [(s.start, s.end) for s in fa.spans] == [(1, 2), (3, 4)]


def test_viterbi_forces_tokens_that_were_not_emitted() -> None:
    lp = posteriors_for([0, 1, 1, 0, 0, 0, 3, 0], 4)  # token 2 never spoken
    fa = forced_align(lp, [1, 2, 3], blank=0)
    assert all(s is not None and s.end > s.start for s in fa.spans)
    assert fa.spans[1].logp < np.log(0.5)
    assert fa.spans[0].logp > np.log(0.5)


def test_beam_matches_exact_viterbi_on_random_posteriors() -> None:
    # speech-like: a true path (variable durations, pauses) under heavy noise
    rng = np.random.default_rng(0)
    targets = list(rng.integers(1, 12, size=80))
    frames: list[int] = []
    for tok in targets:
        frames += [0] * int(rng.integers(1, 12)) + [tok] * int(rng.integers(1, 3))
    logits = rng.normal(scale=1.5, size=(len(frames), 12))
    logits[np.arange(len(frames)), frames] += 3.0
    lp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    exact = forced_align(lp, targets, beam=10_000)
    beamed = forced_align(lp, targets, beam=40)
    assert beamed.score <= exact.score + 1e-6
    assert beamed.score == pytest.approx(exact.score, rel=1e-3)
    starts = [s.start for s in exact.spans]
    assert [s.start for s in beamed.spans] == starts


def test_viterbi_long_input_memory_is_linear() -> None:
    # 30k frames x 6k tokens would need 360 MB of back-pointers unbeamed
    rng = np.random.default_rng(1)
    n_tok, per = 3000, 10
    frames = []
    targets = list(rng.integers(1, 40, size=n_tok))
    for tok in targets:
        frames += [0] * (per - 2) + [tok, 0]
    lp = posteriors_for(frames, 40)
    fa = forced_align(lp, targets)
    assert fa.spans[-1] is not None
    assert fa.spans[-1].start == len(frames) - 2


def test_greedy_decode_collapses_repeats_and_blanks() -> None:
    lp = posteriors_for([0, 1, 1, 0, 1, 2, 2, 0], 3)
    assert [t for t, _, _ in greedy_decode(lp)] == [1, 1, 2]
    assert greedy_decode(lp)[0][1:] == (1, 3)


def test_nw_pairs_similar_phones() -> None:
    pairs = align_sequences(["θ", "ɪ", "ŋ", "k"], ["s", "ɪ", "ŋ", "k"], distance)
    assert pairs == [(0, 0), (1, 1), (2, 2), (3, 3)]
    pairs = align_sequences(["b", "ɪ", "ɡ"], ["b", "ɪ", "ɡ", "ə"], distance)
    assert pairs[-1] == (None, 3)  # epenthetic vowel is an insertion
    pairs = align_sequences(["k", "æ", "t"], ["k", "æ"], distance)
    assert pairs[-1] == (2, None)


def test_articulatory_distance_orders_confusions() -> None:
    assert distance("s", "s") == 0
    assert distance("s", "z") < distance("s", "m")
    assert distance("θ", "s") < distance("θ", "ɡ")
    assert distance("iː", "ɪ") < distance("iː", "ɑː")


# ----- GOP -------------------------------------------------------------------------------

VOCAB = ["<pad>", "a", "b", "c", "d"]


def _gop(frames: list[int], targets: list[int], matches=None) -> list[scoring.PhoneGOP]:
    lp = posteriors_for(frames, len(VOCAB), p=0.995)
    fa = forced_align(lp, targets)
    return scoring.phone_gops(lp, targets, fa, [1, 2, 3, 4], blank=0, matches=matches)


def test_gop_correct_phone_scores_high() -> None:
    gops = _gop([0, 1, 0, 2, 0, 3, 0], [1, 2, 3])
    assert all(g.score > 80 for g in gops)
    assert all(g.lpr > 0 for g in gops)


def test_gop_substitution_reports_heard_phone() -> None:
    gops = _gop([0, 1, 0, 4, 0, 3, 0], [1, 2, 3], [True, False, True])  # "b" read as "d"
    assert gops[1].score < scoring.PHONE_ERROR_BELOW
    assert gops[1].best_alt == 4
    assert gops[0].score > 80 and gops[2].score > 80


def test_gop_deletion_has_no_heard_phone() -> None:
    gops = _gop([0, 1, 0, 0, 0, 3, 0], [1, 2, 3], [True, False, True])
    assert gops[1].score < scoring.PHONE_ERROR_BELOW
    assert gops[1].best_alt is None


def test_calibration_is_monotonic_and_bounded() -> None:
    xs = [scoring.calibrate(x) for x in (-100, -2, 0, 2, 100)]
    assert xs == sorted(xs)
    assert 0 <= xs[0] < 1 and 99 < xs[-1] <= 100
    assert scoring.calibrate(0.0, heard_match=False) <= scoring.calibrate(0.0, heard_match=True)


def test_word_score_is_pulled_down_by_one_bad_phone() -> None:
    assert scoring.word_score([90, 90, 90]) == pytest.approx(90)
    assert scoring.word_score([90, 90, 10]) < np.mean([90, 90, 10])
    assert scoring.word_score([]) == 0


def test_fluency_rewards_rate_and_penalises_pauses() -> None:
    smooth, _ = scoring.fluency([(0.0, 0.5), (0.55, 1.0), (1.05, 1.5)], 15, 0)
    paused, det = scoring.fluency([(0.0, 0.5), (1.5, 2.0), (2.05, 2.5)], 15, 0)
    hesitant, _ = scoring.fluency([(0.0, 0.5), (0.55, 1.0), (1.05, 1.5)], 15, 2)
    slow, _ = scoring.fluency([(0.0, 2.0), (2.05, 4.0), (4.05, 6.0)], 15, 0)
    assert smooth == 100
    assert det["pauses"] == 1 and paused < smooth
    assert hesitant == smooth - 2 * scoring.HESITATION_COST
    assert slow < smooth


def test_completeness_and_overall() -> None:
    assert scoring.completeness(4, 1) == 75
    s = {"accuracy": 80.0, "fluency": 60.0, "completeness": 100.0, "prosody": 50.0}
    expect = sum(scoring.OVERALL_WEIGHTS[k] * v for k, v in s.items())
    assert scoring.overall(s) == pytest.approx(expect)


def test_fluency_penalties_scale_with_length() -> None:
    short = [(i * 1.0, i * 1.0 + 0.5) for i in range(10)]  # 0.5 s pause per second
    long = [(i * 1.0, i * 1.0 + 0.5) for i in range(100)]
    f_short, _ = scoring.fluency(short, 50, 0)
    f_long, _ = scoring.fluency(long, 500, 0)
    assert f_long == pytest.approx(f_short, abs=5)
