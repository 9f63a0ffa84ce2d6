"""Errors of the serving layer (API and jobs), each with a stable code and HTTP status."""

from __future__ import annotations

from accent_coach.engine.audio import AudioTooLong  # noqa: F401 - one class, one status (413)
from accent_coach.errors import AccentCoachError

API_LIMIT_HINT = "ACCENT_COACH_API_MAX_SECONDS on this server"


class InvalidRequest(AccentCoachError):
    code = "invalid_request"
    http_status = 422


class UploadTooLarge(AccentCoachError):
    code = "upload_too_large"
    http_status = 413


class Unauthorized(AccentCoachError):
    code = "unauthorized"
    http_status = 401


class NotFound(AccentCoachError):
    code = "not_found"
    http_status = 404


class Conflict(AccentCoachError):
    """The request does not fit the resource's state (e.g. cancelling a finished job)."""

    code = "conflict"
    http_status = 409


class UnknownModel(AccentCoachError):
    """One answer for every model name the API does not accept, whatever the disk holds."""

    code = "model_unknown"
    http_status = 422


class BodyTimeout(AccentCoachError):
    code = "body_timeout"
    http_status = 408


class ServiceConfigError(AccentCoachError):
    """The server was started in a way that would be unsafe or cannot work."""

    code = "config_invalid"
    http_status = 500
