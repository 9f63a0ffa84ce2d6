"""The one error family every layer raises for problems a user can act on.

Each error carries a stable ``code`` (the CLI, the API and the pages key on it, so
wording can change without breaking clients), an HTTP status for the API, and a
message written for the learner. Anything that is not an ``AccentCoachError`` is a bug.
Imports nothing of ours, so every layer may use it.
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
