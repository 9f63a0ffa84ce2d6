"""Reading uploads within the configured size limit."""

from __future__ import annotations

from fastapi import UploadFile

from accent_coach.config import Settings
from accent_coach.errors import InvalidRequest, UploadTooLarge


async def read_upload(upload: UploadFile, settings: Settings) -> bytes:
    """The bytes; UploadTooLarge beyond ACCENT_COACH_MAX_UPLOAD_MB, InvalidRequest if empty."""
    limit = int(settings.max_upload_mb * 1_000_000)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(
            f"'{upload.filename}' is larger than {settings.max_upload_mb:g} MB "
            "(ACCENT_COACH_MAX_UPLOAD_MB)."
        )
    if not data:
        raise InvalidRequest(f"'{upload.filename or 'audio'}' is empty.")
    return data
