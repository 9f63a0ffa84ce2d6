"""``POST /v1/assess`` (one take, the CLI's JSON) and ``POST /v1/transcribe``."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from accent_coach.config import limits
from accent_coach.service.api.state import get_state
from accent_coach.service.api.uploads import read_upload
from accent_coach.service.assessment import API_LIMIT_HINT, assess_bytes
from accent_coach.service.deadline import interruptible, run_with_deadline
from accent_coach.service.model_names import accepted_model

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
    model = accepted_model(model, state.settings)
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
    model: Annotated[str | None, Form(description="transcriber id; default: the configured one")]
    = None,
) -> dict:
    """Free transcription with Whisper (the tutor's transcriber, loaded once), with its
    confidence: ``confident`` false means the words are not reliable enough to use."""
    state = get_state(request)
    model = accepted_model(model, state.settings)
    data = await read_upload(audio, state.settings)
    work = partial(transcribe_bytes, data, model=model, manager=state.manager,
                   max_seconds=state.settings.api_max_seconds)
    return await state.run(run_with_deadline, work, limits().item_timeout)


def transcribe_bytes(data: bytes, *, model: str | None, manager, max_seconds: float) -> dict:
    """Decode → the transcriber (loaded once by the manager, leased) → text and confidence."""
    from accent_coach.engine.audio import load_audio
    from accent_coach.speech.transcriber import transcribe as run_whisper

    clip = load_audio(data, max_seconds=max_seconds, hint=API_LIMIT_HINT)
    with manager.lease(model, "transcriber") as loaded:  # an unload waits for it
        with interruptible():  # where a timed-out transcription is stopped
            heard = run_whisper(loaded, clip.samples)
    return {
        "model": loaded.name, "text": heard.text, "duration": round(clip.duration, 3),
        "avg_logprob": round(heard.avg_logprob, 3),
        "no_speech_prob": round(heard.no_speech_prob, 3),
        "confident": heard.confident, "elapsed_ms": round(heard.seconds * 1000, 1),
    }
