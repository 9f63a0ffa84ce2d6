"""Word error rate, for the transcription test and benchmark (one definition, one place)."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

_NUMBERS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
            "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten"}


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; small digits spelled out."""
    tokens = re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))
    return [_NUMBERS.get(t, t) for t in tokens]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edits, reference words): substitutions + deletions + insertions over words."""
    ref = words(reference)
    return Levenshtein.distance(ref, words(hypothesis)), len(ref)


def wer(pairs: list[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs."""
    edits = total = 0
    for ref, hyp in pairs:
        e, n = word_errors(ref, hyp)
        edits, total = edits + e, total + n
    return edits / max(total, 1)
