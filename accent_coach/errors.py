"""The one error family every layer raises for problems a user can act on.

Each error carries a stable ``code`` (the CLI, the API and the pages key on it, so
wording can change without breaking clients), an HTTP status for the API, and a
message written for the learner. Anything that is not an ``AccentCoachError`` is a bug.
Imports nothing of ours, so every layer may use it.

``AccentCoachError`` is the engine's one error type: ``engine.assess.assess()`` raises
only its subclasses for bad arguments or input — ``AudioError`` (``audio_unusable``,
``audio_too_long``), ``TextError`` (``text_invalid``, ``text_too_long``),
``InputError`` (``accent_unknown``, ``argument_invalid``), ``ModelLoadError``
(``model_unavailable``) — and ``ItemTimeout`` (``timeout``) when a batch or API item
runs past its time limit.
"""

from __future__ import annotations


class AccentCoachError(Exception):
    """Base class: ``str(exc)`` is a message for the user; ``code`` is stable."""

    code = "error"
    http_status = 400

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        """``{"code", "message"}``: the shape the CLI's JSON and the API return."""
        return {"code": self.code, "message": str(self)}


class InputError(AccentCoachError, ValueError):
    """An argument other than the audio or the text is wrong (accent, sample rate…)."""

    code = "argument_invalid"
    http_status = 422


class ItemTimeout(AccentCoachError):
    """One item took longer than ``ACCENT_COACH_ITEM_TIMEOUT``; the others go on."""

    code = "timeout"
    http_status = 504
