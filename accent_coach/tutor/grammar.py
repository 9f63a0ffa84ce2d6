"""Gentle corrections for frequent learner errors that simple patterns catch reliably.

Only patterns with (almost) no false alarms are here: common misspellings ("coffe"),
questions without "do/does" or "is" ("How much it cost?", "Where the station?"), a
missing third-person -s ("she like"), a present verb with a past time ("I go there
yesterday"), "I am agree", regularised past forms ("goed", "buyed"), "did + past",
"since three days", "I have 25 years", a missing article before a job, a countable
thing or a place the scenarios ask about, and a few fixed phrases ("explain me",
"discuss about"). Each stretch of text gets at most one correction (the first rule
that fits). Anything subtler is left to the LLM tutor. The patterns and word lists
live in :mod:`accent_coach.tutor.grammar_rules`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from accent_coach.tutor.grammar_rules import RULES


@dataclass(frozen=True)
class Correction:
    """One error found: the words as said, as they should be, and why."""

    wrong: str
    right: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _keep_case(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _found(text: str) -> list[tuple[int, int, Correction]]:
    """(start, end, correction) of each error, the first fitting rule per stretch."""
    found: list[tuple[int, int, Correction]] = []
    for pattern, fix, why in RULES:
        for match in pattern.finditer(text):
            if not match[0] or any(match.start() < e and s < match.end() for s, e, _ in found):
                continue
            right = fix(match)
            if right is None:
                continue
            right = _keep_case(match[0], right)
            if right.lower() != match[0].lower():
                found.append((match.start(), match.end(), Correction(match[0], right, why)))
    return found


def corrections(text: str) -> list[Correction]:
    """The errors found in ``text``, each once, in the order of the rules."""
    return [c for _, _, c in _found(text)]


def corrected(text: str) -> str:
    """``text`` with every correction applied."""
    for start, end, c in sorted(_found(text), key=lambda f: f[0], reverse=True):
        text = text[:start] + c.right + text[end:]
    return text
