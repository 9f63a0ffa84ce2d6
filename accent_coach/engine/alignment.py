"""CTC alignment in numpy: forced (Viterbi), free (greedy), and heard-vs-expected.

Forced alignment finds the best path of the reference tokens through the CTC
topology (blank, t1, blank, t2, …, blank; a token may be skipped-to from the
token two states back when the two differ). It keeps only a beam of states
around the best one per frame, so a ten-minute recording needs memory in
proportion to its frames, not frames × tokens; short clips fit in the beam and
get the exact Viterbi path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

NEG = -1e30
DEFAULT_BEAM = 600  # states kept per frame; exact for references up to ~300 tokens


@dataclass
class TokenSpan:
    """Frames [start, end) where one reference token was emitted (end > start)."""

    start: int
    end: int
    logp: float  # mean log-posterior of the token over its frames


@dataclass
class ForcedAlignment:
    spans: list[TokenSpan | None]  # None: beyond the point the beam reached
    score: float  # total path log-probability


def _ctc_states(targets: Sequence[int], blank: int) -> tuple[np.ndarray, np.ndarray]:
    """Label per CTC state and whether the skip transition into it is allowed."""
    labels = np.full(2 * len(targets) + 1, blank, dtype=np.int64)
    labels[1::2] = targets
    skip = np.zeros(len(labels), dtype=bool)
    for s in range(3, len(labels), 2):
        skip[s] = labels[s] != labels[s - 2]
    return labels, skip


def forced_align(
    logp: np.ndarray, targets: Sequence[int], blank: int = 0, beam: int = DEFAULT_BEAM
) -> ForcedAlignment:
    """Viterbi path of ``targets`` through frame log-posteriors ``logp`` [T, V]."""
    n_frames = logp.shape[0]
    if len(targets) == 0 or n_frames == 0:
        return ForcedAlignment([None] * len(targets), NEG)
    labels, skip = _ctc_states(targets, blank)
    n_states = len(labels)
    width = min(n_states, max(beam, 16))
    emit = logp[:, labels] if n_states <= 4 * beam else None
    back = np.zeros((n_frames, width), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    los = np.zeros(n_frames, dtype=np.int64)
    prev = np.full(width, NEG)
    e0 = emit[0] if emit is not None else logp[0, labels]
    prev[0] = e0[0]
    if n_states > 1:
        prev[1] = e0[1]
    lo = 0
    for t in range(1, n_frames):
        new_lo = min(max(0, lo + int(np.argmax(prev)) - width // 2), n_states - width)
        new_lo = max(new_lo, lo)  # states only move forward
        idx = np.arange(new_lo, new_lo + width)
        cand = np.full((3, width), NEG)
        for k in range(3):
            src = idx - k - lo
            ok = (src >= 0) & (src < width)
            if k == 2:
                ok &= skip[idx]
            cand[k, ok] = prev[src[ok]]
        choice = np.argmax(cand, axis=0)
        best = cand[choice, np.arange(width)]
        row = emit[t, new_lo : new_lo + width] if emit is not None else logp[t, labels[idx]]
        prev = np.where(best > NEG / 2, best + row, NEG)
        back[t] = choice
        los[t] = lo = new_lo
    return _backtrace(prev, back, los, labels, logp, len(targets), blank)


def _backtrace(prev, back, los, labels, logp, n_targets, blank) -> ForcedAlignment:
    n_states = len(labels)
    lo = los[-1]
    ends = [s for s in (n_states - 1, n_states - 2) if lo <= s < lo + len(prev)]
    end_scores = [prev[s - lo] for s in ends]
    if ends and max(end_scores) > NEG / 2:
        state = ends[int(np.argmax(end_scores))]
    else:  # beam lost the end: keep the partial path
        state = lo + int(np.argmax(prev))
    score = float(prev[state - lo])
    path = np.empty(len(back), dtype=np.int64)
    for t in range(len(back) - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state - los[t]])
    spans: list[TokenSpan | None] = [None] * n_targets
    for t, s in enumerate(path):
        if s % 2 == 1:
            i = s // 2
            span = spans[i]
            if span is None:
                spans[i] = TokenSpan(t, t + 1, float(logp[t, labels[s]]))
            else:
                n = span.end - span.start
                span.logp = (span.logp * n + float(logp[t, labels[s]])) / (n + 1)
                span.end = t + 1
    return ForcedAlignment(spans, score)


def greedy_decode(logp: np.ndarray, blank: int = 0) -> list[tuple[int, int, int]]:
    """Best-path decoding: (token id, start frame, end frame) per emitted token."""
    best = np.argmax(logp, axis=1)
    out: list[tuple[int, int, int]] = []
    prev = blank
    for t, tok in enumerate(best):
        tok = int(tok)
        if tok != blank and tok != prev:
            out.append((tok, t, t + 1))
        elif tok != blank and tok == prev and out:
            out[-1] = (tok, out[-1][1], t + 1)
        prev = tok
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def align_sequences(
    expected: Sequence[str],
    heard: Sequence[str],
    sub_cost: Callable[[str, str], float],
    gap_cost: float = 0.7,
) -> list[tuple[int | None, int | None]]:
    """Needleman–Wunsch alignment of two phone lists; pairs (i, j), None marks a gap.

    ``sub_cost`` in [0, 1] (articulatory distance) lets similar phones pair up
    as substitutions while unrelated ones become a deletion plus an insertion.
    """
    # plain Python floats: for the short lists aligned here (words, phones) they are
    # several times faster than numpy scalars, and this runs thousands of times per take
    n, m = len(expected), len(heard)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i * gap_cost
    for j in range(m + 1):
        d[0][j] = j * gap_cost
    for i in range(1, n + 1):
        row, up = d[i], d[i - 1]
        for j in range(1, m + 1):
            row[j] = min(
                up[j - 1] + sub_cost(expected[i - 1], heard[j - 1]),
                up[j] + gap_cost,
                row[j - 1] + gap_cost,
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and _same(
            d[i][j], d[i - 1][j - 1] + sub_cost(expected[i - 1], heard[j - 1])
        ):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and _same(d[i][j], d[i - 1][j] + gap_cost):
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]
