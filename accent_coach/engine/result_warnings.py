"""Result warnings: ``{"code", "message"}`` entries, made in one place.

A warning says the result stands but deserves caution (clipped or quiet audio, a take
that is not speech or is cut off, a model that cannot hear some sounds). ``code`` is
stable for clients; ``message`` is for the learner. Every layer adds warnings through
:func:`warning` / :func:`add_warning`, so the shape never drifts.
"""

from __future__ import annotations

from typing import TypedDict

# Known codes (others may be added by the layers that need them).
CODES = (
    "clipped", "quiet", "not_speech", "cut_off", "sounds_not_scored", "word_fallback",
    "prosody_unavailable", "text_mismatch", "trailing_speech",
)


class ResultWarning(TypedDict):
    code: str
    message: str


def warning(code: str, message: str) -> ResultWarning:
    """One warning entry (plain dict, so results stay JSON as they are)."""
    return {"code": code, "message": message}


def add_warning(warnings: list[ResultWarning], code: str, message: str) -> None:
    """Append a warning unless one with the same code is already there."""
    if all(w["code"] != code for w in warnings):
        warnings.append(warning(code, message))
