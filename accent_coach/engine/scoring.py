"""Scores: phone goodness of pronunciation (GOP), words, and the sentence.

Phone GOP (alignment-informed, substitution-aware; after Cao et al. 2023 "CTC-based
GOP"): for reference phone p_i with forced-aligned neighbours, take the frames from
the previous phone's start to the next phone's end and compute, with the CTC
forward algorithm, the log-likelihood of the local sequence (p_{i-1}, x, p_{i+1})
for every phone x of the inventory and for the deletion (p_{i-1}, p_{i+1}):

    LPR_i = LL(p_{i-1} p_i p_{i+1}) − max_{x ≠ p_i or deletion} LL(…)

LPR > 0: the canonical phone explains the audio better than any substitute. The
best competitor is what was *heard* instead. Calibration to 0–100:

    phone_score = 100 · σ(GOP_SLOPE · LPR + GOP_BIAS + GOP_MATCH · m)

where m = 1 when free (greedy) recognition, aligned to the reference with
articulatory costs, heard this phone (or an accent variant) at this place, else 0:
two independent pieces of evidence. Constants come from logistic regression on
held-out speakers of speechocean762 (correct phones vs. the same phones scored
against an artificially substituted reference; benchmarks/calibrate.py). A phone
is an error when its score < 50.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accent_coach.engine.alignment import ForcedAlignment, TokenSpan

GOP_SLOPE = 0.25  # benchmarks/calibrate.py on the first 6 held-out speakers
GOP_BIAS = 1.005
GOP_MATCH = 0.831
PHONE_ERROR_BELOW = 50.0
WORD_ERROR_BELOW = 40.0  # swap_detection --sweep on the first 6 held-out speakers
WORD_MIN_WEIGHT = 0.4  # word score = (1-w)·mean + w·min of its phone scores
CONTEXT_FRAMES = 8  # local window margin where a neighbour is missing
NEG = -1e30


@dataclass
class PhoneGOP:
    lpr: float  # canonical vs. best competitor, natural log
    score: float  # calibrated 0–100
    best_alt: int | None  # token id of the best competitor; None = deletion
    # LL(canonical) − LL(x) for every candidate x (the ``candidates`` order) and, last,
    # for the deletion: the whole substitution picture the learned scorer reads
    margins: np.ndarray | None = None


def _forward_batch(logp: np.ndarray, labels: np.ndarray, blank: int) -> np.ndarray:
    """CTC log-likelihood of C label sequences (rows of ``labels``, -1 padded) over logp."""
    n_cand, n_tok = labels.shape
    n_states = 2 * n_tok + 1
    lab = np.full((n_cand, n_states), blank, dtype=np.int64)
    lab[:, 1::2] = np.where(labels >= 0, labels, blank)
    valid = np.ones((n_cand, n_states), dtype=bool)
    valid[:, 1::2] = labels >= 0
    skip = np.zeros((n_cand, n_states), dtype=bool)
    skip[:, 3::2] = (lab[:, 3::2] != lab[:, 1:-2:2]) & valid[:, 3::2] & valid[:, 1:-2:2]
    # drop padded token states by letting them pass through: treat as invalid (never entered)
    alpha = np.full((n_cand, n_states), NEG)
    alpha[:, 0] = logp[0, blank]
    alpha[:, 1] = np.where(valid[:, 1], logp[0, lab[:, 1]], NEG)
    for t in range(1, logp.shape[0]):
        stay = alpha
        step = np.concatenate([np.full((n_cand, 1), NEG), alpha[:, :-1]], axis=1)
        jump = np.concatenate([np.full((n_cand, 2), NEG), alpha[:, :-2]], axis=1)
        jump = np.where(skip, jump, NEG)
        total = np.logaddexp(np.logaddexp(stay, step), jump)
        alpha = np.where(valid, total + logp[t, lab], NEG)
        alpha = np.maximum(alpha, NEG)
    last = _last_states(labels)
    rows = np.arange(n_cand)
    return np.logaddexp(alpha[rows, last], alpha[rows, np.maximum(last - 1, 0)])


def _last_states(labels: np.ndarray) -> np.ndarray:
    n_real = (labels >= 0).sum(axis=1)
    return 2 * n_real  # final blank state of the real tokens (padding sits at the end)


def calibrate(lpr: float, heard_match: bool = True) -> float:
    """0–100 phone score from the LPR and whether free recognition heard the phone."""
    z = GOP_SLOPE * lpr + GOP_BIAS + GOP_MATCH * float(heard_match)
    return float(100.0 / (1.0 + np.exp(-z)))


def phone_gops(
    logp: np.ndarray,
    targets: list[int],
    alignment: ForcedAlignment,
    candidates: list[int],
    blank: int,
    accepted: dict[int, set[int]] | None = None,
    matches: list[bool] | None = None,
) -> list[PhoneGOP]:
    """Substitution/deletion-aware GOP of every reference token (see module doc).

    ``accepted`` maps a token to variant tokens that also count as correct (accent
    variants such as ɒ for ɑː): the canonical side takes the best of them and they
    are not competitors. ``matches[i]``: free recognition heard token i (see module doc).
    """
    out = []
    accepted = accepted or {}
    cand = np.asarray(candidates, dtype=np.int64)
    n_frames = logp.shape[0]
    for i, tok in enumerate(targets):
        span = alignment.spans[i]
        m = True if matches is None else matches[i]
        if span is None:
            out.append(PhoneGOP(-10.0, calibrate(-10.0, m), None,
                                np.full(len(cand) + 1, -10.0, dtype=np.float32)))
            continue
        prev_span = alignment.spans[i - 1] if i > 0 else None
        next_span = alignment.spans[i + 1] if i + 1 < len(targets) else None
        lo = prev_span.start if prev_span else max(0, span.start - CONTEXT_FRAMES)
        hi = next_span.end if next_span else min(n_frames, span.end + CONTEXT_FRAMES)
        left = [targets[i - 1]] if prev_span else []
        right = [targets[i + 1]] if next_span else []
        ok = accepted.get(tok, set())
        out.append(_one_gop(logp[lo:hi], tok, left, right, cand, blank, ok, m))
    return out


def _one_gop(seg, tok, left, right, cand, blank, ok=frozenset(), m=True) -> PhoneGOP:
    width = len(left) + 1 + len(right)
    labels = np.full((len(cand) + 1, width), -1, dtype=np.int64)
    if left:
        labels[:, 0] = left[0]
    labels[:-1, len(left)] = cand
    if right:
        labels[:-1, len(left) + 1] = right[0]
        labels[-1, len(left)] = right[0]  # deletion row: neighbours only, padding after
    ll = _forward_batch(seg, labels, blank)
    if not left and not right:
        ll[-1] = seg[:, blank].sum()  # deleting a lone phone leaves only blanks
    canon = np.flatnonzero(cand == tok)
    if canon.size == 0:
        return PhoneGOP(-10.0, calibrate(-10.0, m), None,
                        np.full(len(cand) + 1, -10.0, dtype=np.float32))
    same = np.zeros(len(ll), dtype=bool)
    same[canon[0]] = True
    same[:-1] |= np.isin(cand, list(ok))
    own = ll[same].max()
    others = np.where(same, NEG, ll)
    j = int(np.argmax(others))
    lpr = float(own - others[j])
    best = None if j == len(cand) else int(cand[j])
    margins = np.clip(own - ll, -1e3, 1e3).astype(np.float32)
    return PhoneGOP(lpr, calibrate(lpr, m), best, margins)


def word_score(phone_scores: list[float]) -> float:
    """(1−w)·mean + w·min: one badly wrong sound marks the word, noise in others doesn't."""
    if not phone_scores:
        return 0.0
    arr = np.asarray(phone_scores, dtype=float)
    return float((1 - WORD_MIN_WEIGHT) * arr.mean() + WORD_MIN_WEIGHT * arr.min())


# ---------------------------------------------------------------------------------------
# Sentence-level scores
# ---------------------------------------------------------------------------------------

FLUENT_RATE = 9.0  # phones per second of articulation: at or above → full rate score
SLOW_RATE = 3.0  # at or below → zero rate score
PAUSE_FREE = 0.3  # silence between words shorter than this is not a pause (s)
PAUSE_COST = 25.0  # fluency points per second of pause beyond PAUSE_FREE
HESITATION_COST = 8.0  # points per filled pause / inserted sound run between words
OVERALL_WEIGHTS = {"accuracy": 0.5, "fluency": 0.2, "completeness": 0.15, "prosody": 0.15}


def clamp100(x: float) -> float:
    return float(min(100.0, max(0.0, x)))


def completeness(n_words: int, n_omitted: int) -> float:
    """Share of reference words that were produced (not omitted), 0–100."""
    return clamp100(100.0 * (n_words - n_omitted) / max(1, n_words))


def fluency(
    word_times: list[tuple[float, float]], n_phones: int, n_hesitations: int
) -> tuple[float, dict]:
    """Fluency from timings.

    rate_score = 100 · clip((r − SLOW_RATE)/(FLUENT_RATE − SLOW_RATE), 0, 1) where r =
    phones / articulation time (speech minus pauses); every within-utterance pause
    longer than PAUSE_FREE costs PAUSE_COST per second beyond it, every hesitation
    (inserted sounds between words) HESITATION_COST, both per 10 s of speech for
    recordings longer than 10 s:
    fluency = clip(rate_score − pause_penalty − hesitation_penalty, 0, 100).
    """
    if not word_times:
        return 0.0, {"rate": 0.0, "pauses": 0, "pause_seconds": 0.0, "hesitations": 0}
    span = word_times[-1][1] - word_times[0][0]
    gaps = [b[0] - a[1] for a, b in zip(word_times, word_times[1:])]
    pauses = [g for g in gaps if g > PAUSE_FREE]
    pause_s = float(sum(pauses))
    articulation = max(0.05, span - pause_s)
    rate = n_phones / articulation
    rate_score = 100.0 * min(1.0, max(0.0, (rate - SLOW_RATE) / (FLUENT_RATE - SLOW_RATE)))
    per = 10.0 / max(10.0, span)  # penalties count per 10 s, so long readings aren't doomed
    penalty = per * (
        PAUSE_COST * sum(g - PAUSE_FREE for g in pauses) + HESITATION_COST * n_hesitations
    )
    details = {
        "rate": round(rate, 2),
        "pauses": len(pauses),
        "pause_seconds": round(pause_s, 2),
        "hesitations": n_hesitations,
    }
    return clamp100(rate_score - penalty), details


def overall(scores: dict[str, float]) -> float:
    """Weighted mean of the four sentence scores (weights in OVERALL_WEIGHTS)."""
    return clamp100(sum(w * scores[k] for k, w in OVERALL_WEIGHTS.items()))


__all__ = [
    "PhoneGOP", "TokenSpan", "calibrate", "completeness", "fluency", "overall",
    "phone_gops", "word_score",
]
