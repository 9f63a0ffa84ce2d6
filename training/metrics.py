"""Phone error rate and the alignment behind confusion tables."""

from __future__ import annotations

from accent_coach.engine.alignment import align_sequences


def align(ref: list, hyp: list) -> list[tuple]:
    """Levenshtein alignment as (ref, hyp) token pairs; None marks a gap."""
    pairs = align_sequences(ref, hyp, lambda x, y: float(x != y), gap_cost=1.0)
    return [(None if i is None else ref[i], None if j is None else hyp[j]) for i, j in pairs]


def edit_distance(ref: list, hyp: list) -> int:
    return sum(r != h for r, h in align(ref, hyp))
