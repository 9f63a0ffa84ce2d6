"""Did the learner read the target text at all? Utterance verification for a take.

Forced alignment always "finds" every word, so a recording of another sentence (or
another language, or a few words in a long silence) would otherwise get scores that
look fine. Two signals say whether the speech matches the text:

* ``gap_per_phone``: how much less likely the forced path of the target's phones is
  than the best unconstrained path, in nats per reference phone. Reading the right
  text costs little (the best path mostly *is* those phones); reading something else
  forces phones onto frames that say otherwise.
* ``heard_share``: the share of the target's phones that free recognition heard (or
  an accent variant of them), after edit-aligning heard and expected phones.

A take is a mismatch when ``gap_per_phone − HEARD_WEIGHT · heard_share > MISMATCH_ABOVE``.
Both constants were chosen on the first six held-out speakers of speechocean762-train
(each take against its own text and against another take's text: all others caught,
fewest own takes warned) and are measured on the other six by
``benchmarks/text_mismatch.py``. They fit the embedded recognizer; another model has
other posteriors and may need its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

HEARD_WEIGHT = 6.0  # nats per phone that hearing every phone is worth
MISMATCH_ABOVE = 4.0  # nats per reference phone


@dataclass(frozen=True)
class TextMatch:
    """The evidence that the speech matches the text, and the verdict."""

    gap_per_phone: float
    heard_share: float

    @property
    def evidence(self) -> float:
        """Above MISMATCH_ABOVE: the speech is not this text."""
        return self.gap_per_phone - HEARD_WEIGHT * self.heard_share

    @property
    def mismatch(self) -> bool:
        return self.evidence > MISMATCH_ABOVE

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "gap_per_phone": round(self.gap_per_phone, 3),
            "heard_share": round(self.heard_share, 3),
            "evidence": round(self.evidence, 3),
            "mismatch": self.mismatch,
        }


def text_match(logp: np.ndarray, forced_score: float, heard_at: list[str | None]) -> TextMatch:
    """Verdict from frame log-posteriors [T, V], the forced path's total log-probability,
    and per target phone what free recognition heard ("" = that phone or a variant)."""
    n = max(1, len(heard_at))
    best = float(logp.max(axis=1).sum()) if logp.size else 0.0
    gap = max(0.0, best - forced_score) / n if np.isfinite(forced_score) else float("inf")
    heard = sum(1 for h in heard_at if h == "") / n
    return TextMatch(gap, heard)


def certainty(logp: np.ndarray, blank_id: int) -> float:
    """How sure the recognizer was, 0–100: the mean top-phone probability over the frames
    where it heard a sound (blank frames say nothing about the phones)."""
    if not logp.size:
        return 0.0
    top = logp.argmax(axis=1)
    sounding = logp[top != blank_id]
    if not len(sounding):
        return 0.0
    return float(100.0 * np.exp(sounding.max(axis=1)).mean())


PAUSE_SECONDS = 0.3  # a gap in the heard sounds this long can end the reading
CUT_MARGIN_SECONDS = 0.1  # kept after the reading's last sound, for its release
GAP_TOLERANCE = 0.2  # nats per phone: costs this close count as equal


def reading_end(
    logp: np.ndarray,
    heard: Sequence[tuple[int, int, int]],
    n_targets: int,
    frame_seconds: float,
    forced_score: Callable[[np.ndarray], float],
) -> int:
    """The frame where the reading of the text ends: trailing speech after a pause that
    the text does not need (a partial repeat, a comment) is cut off.

    Candidate cuts are pauses of at least PAUSE_SECONDS between heard sounds in the
    second half of the take. Each candidate (and the whole take) is scored by how much
    worse the forced path of the text is than the best path, per reference phone: cutting
    a tail the text does not need lowers that cost (the tail no longer has to be forced
    into the text's phones); cutting words the text needs raises it. The latest candidate
    within GAP_TOLERANCE of the lowest cost wins, so nothing is cut without need.
    ``forced_score(logp)`` is the forced path's log-probability on those frames. Returns
    ``len(logp)`` when nothing should be cut.
    """
    n_frames = len(logp)
    if n_frames == 0 or len(heard) < 2 or n_targets == 0:
        return n_frames
    pause = int(round(PAUSE_SECONDS / frame_seconds))
    margin = int(round(CUT_MARGIN_SECONDS / frame_seconds))
    half = heard[-1][2] // 2
    cuts = [
        prev_end + margin
        for (_, _, prev_end), (_, start, _) in zip(heard, heard[1:])
        if start - prev_end >= pause and prev_end >= half
    ]
    if not cuts:
        return n_frames
    best = np.cumsum(logp.max(axis=1))
    costs = {}
    for cut in [*cuts, n_frames]:
        gap = (float(best[cut - 1]) - forced_score(logp[:cut])) / n_targets
        costs[cut] = gap if np.isfinite(gap) else float("inf")
    lowest = min(costs.values())
    return max(cut for cut, gap in costs.items() if gap <= lowest + GAP_TOLERANCE)
