"""``POST /v1/assess`` (one take, the CLI's JSON) and ``POST /v1/transcribe``."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from accent_coach.service.api.state import get_state
from accent_coach.service.api.uploads import read_upload
from accent_coach.service.assessment import assess_bytes
from accent_coach.speech.registry import ModelLoadError

router = APIRouter(tags=["assess"])
CACHE_HEADER = "X-Accent-Coach-Cache"


@router.post("/assess")
async def assess(
    request: Request,
    response: Response,
    audio: Annotated[UploadFile, File(description="wav, flac, ogg, mp3, webm, m4a")],
    text: Annotated[str, Form(description="the sentence that was read aloud")],
    accent: Annotated[str, Form()] = "us",
    model: Annotated[str | None, Form(description="model id; default: the configured one")] = None,
) -> dict:
    """Score one recording; the result is the CLI's ``--json`` schema (header says cache hit)."""
    state = get_state(request)
    data = await read_upload(audio, state.settings)
    result, hit = await state.run(partial(
        assess_bytes, data, text, accent=accent, model=model, manager=state.manager,
        cache=state.cache, max_seconds=state.settings.api_max_seconds,
    ))
    response.headers[CACHE_HEADER] = "hit" if hit else "miss"
    return result


@router.post("/transcribe")
async def transcribe(
    request: Request,
    audio: Annotated[UploadFile, File(description="the recording")],
) -> dict:
    """Free transcription with Whisper — needs the transcriber model kind (not installed yet)."""
    await read_upload(audio, get_state(request).settings)
    raise ModelLoadError(
        "No transcriber model is available in this version: /v1/transcribe needs the "
        "Whisper transcriber (model kind 'transcriber'), which is not installed yet."
    )
