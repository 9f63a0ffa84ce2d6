"""The one error family every layer raises for problems a user can act on.

Each error carries a stable ``code`` (the CLI, the API and the pages key on it, so
wording can change without breaking clients), an HTTP status for the API, and a
message written for the learner. Anything that is not an ``AccentCoachError`` is a bug.
Every class is declared here, so the codes and their statuses read as one table (a
raise may still pick another code of the same status, e.g. ``accent_unknown``); the
layers import their errors from here. Imports nothing of ours, so every layer may use it.

``engine.assess.assess()`` raises only these for bad arguments or input —
``AudioError`` (``audio_unusable``, ``audio_too_long``), ``TextError`` (``text_invalid``,
``text_too_long``), ``InputError`` (``accent_unknown``, ``argument_invalid``),
``ModelLoadError`` (``model_unavailable``) — and ``ItemTimeout`` (``timeout``) when a
batch or API item runs past its time limit.
"""

from __future__ import annotations

from typing import Any


class AccentCoachError(Exception):
    """Base class: ``str(exc)`` is a message for the user; ``code`` is stable.

    A subclass declares its code and status in its header:
    ``class NotFound(AccentCoachError, code="not_found", http_status=404)``.
    """

    code = "error"
    http_status = 400

    def __init_subclass__(
        cls, *, code: str | None = None, http_status: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if http_status is not None:
            cls.http_status = http_status

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        """``{"code", "message"}``: the shape the CLI's JSON and the API return."""
        return {"code": self.code, "message": str(self)}


# --- the learner's input (engine, batch) ----------------------------------------------


class InputError(AccentCoachError, ValueError, code="argument_invalid", http_status=422):
    """An argument other than the audio or the text is wrong (accent, sample rate…)."""


class AudioError(AccentCoachError, ValueError, code="audio_unusable", http_status=422):
    """The recording cannot be assessed; the message says why in plain words."""


class AudioTooLong(AudioError, code="audio_too_long", http_status=413):
    """Longer than the limit in force; one HTTP status wherever it is found (413)."""


class TextError(AccentCoachError, ValueError, code="text_invalid", http_status=422):
    """The target text has nothing that can be pronounced and scored."""


class ManifestError(AccentCoachError, ValueError, code="manifest_invalid", http_status=422):
    """A manifest line is not a valid item (encoding, JSON, field types)."""


class ItemTimeout(AccentCoachError, code="timeout", http_status=504):
    """One item took longer than ``ACCENT_COACH_ITEM_TIMEOUT``; the others go on."""


# --- what the machine lacks (models, voices, storage) ---------------------------------


class ModelLoadError(AccentCoachError, code="model_unavailable", http_status=503):
    """A model could not be used; ``str(exc)`` is a message for the user."""


class ReferenceAudioError(
    AccentCoachError, RuntimeError, code="voice_unavailable", http_status=503
):
    """No voice could speak the text (empty text, voice missing, synthesis failed)."""


class TTSError(ReferenceAudioError):
    """espeak-ng could not be loaded or refused the request."""


class StorageError(AccentCoachError, code="storage_unavailable", http_status=503):
    """The history database cannot be used as it is (unreachable, not ours, too new)."""


# --- the tutor ------------------------------------------------------------------------


class ScenarioError(AccentCoachError, code="scenario_unknown"):
    """An unknown scenario, level or mode was asked for."""


class LLMError(AccentCoachError, code="llm_unavailable"):
    """The LLM tutor gave no usable reply this turn."""


# --- the serving layer (API and jobs) -------------------------------------------------


class InvalidRequest(AccentCoachError, code="invalid_request", http_status=422):
    """The request's form fields or manifest are not what the endpoint takes."""


class WebhookRefused(InvalidRequest):
    """The webhook URL may not be used on this server (the message says why)."""


class UploadTooLarge(AccentCoachError, code="upload_too_large", http_status=413):
    """An upload or a request body over its size limit."""


class Unauthorized(AccentCoachError, code="unauthorized", http_status=401):
    """A missing or wrong API key."""


class NotFound(AccentCoachError, code="not_found", http_status=404):
    """No such job or model."""


class Conflict(AccentCoachError, code="conflict", http_status=409):
    """The request does not fit the resource's state (e.g. cancelling a finished job)."""


class UnknownModel(AccentCoachError, code="model_unknown", http_status=422):
    """One answer for every model name the API does not accept, whatever the disk holds."""


class BodyTimeout(AccentCoachError, code="body_timeout", http_status=408):
    """The client stopped sending the request body."""


class ServiceConfigError(AccentCoachError, code="config_invalid", http_status=500):
    """The server was started in a way that would be unsafe or cannot work."""
