"""One assessment for a service caller: decode, check limits, lease the model, cache.

``assess_bytes`` is shared by the REST API and both job backends, so an upload and a
batch item are judged by the same rules; its cached step, ``cached_assessment``, is
the Practice page's too, so every take reaches the engine and the result cache one way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np

from accent_coach.accents import get_accent
from accent_coach.errors import InvalidRequest
from accent_coach.service.deadline import interruptible, run_with_deadline
from accent_coach.service.result_cache import ResultCache, cached_call, result_key
from accent_coach.speech.registry import resolve_model

if TYPE_CHECKING:  # the Practice page imports this module: no torch until a model loads
    from accent_coach.speech.manager import ModelManager

API_LIMIT_HINT = "ACCENT_COACH_API_MAX_SECONDS on this server"  # named in audio_too_long
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}  # control, format, surrogate, private, unassigned


def clean_text(text: str) -> str:
    """The text as it is keyed, assessed and echoed: NFC, whitespace runs as one space.

    Normalized once here, so two texts that differ only in exotic whitespace are one
    cache entry *and* one answer (each client once got the first client's spelling).
    Control and invisible characters (bidi overrides, zero-width spaces) are refused:
    they cannot be read aloud, and were echoed back verbatim.
    """
    text = unicodedata.normalize("NFC", text)
    for position, char in enumerate(text, 1):
        if char not in "\t\n\r" and unicodedata.category(char) in _INVISIBLE:
            raise InvalidRequest(
                f"text contains an invisible or control character (U+{ord(char):04X} at "
                f"position {position}); send the plain sentence.", code="text_invalid",
            )
    text = " ".join(text.split())
    if not text:
        raise InvalidRequest("text is empty: send the sentence that was read aloud.")
    return text


def _engine_assess():
    """The real engine entry point, looked up at call time (tests count its calls)."""
    from accent_coach.engine import assess as assess_module

    return assess_module.assess


def cached_assessment(
    audio: bytes,
    samples: np.ndarray,
    text: str,
    *,
    accent: str,
    model_name: str,
    hold_model: Callable[[], AbstractContextManager[Any]],
    cache: ResultCache | None = None,
    time_limit: float = 0.0,
) -> tuple[dict[str, Any], bool]:
    """``(the engine's result dict, served from cache)`` for a decoded take: the one path
    from a take to a cached result, for the API, the jobs and the Practice page.

    ``audio`` is the encoded upload (what the cache key hashes) and ``samples`` its
    decoded 16 kHz samples. ``hold_model()`` is entered only on a cache miss and yields
    the loaded model (a lease for the service, the page's loader for Practice), so a
    repeated take never waits for a model. ``time_limit`` seconds (0: none) stop the work
    with ItemTimeout. Errors propagate and are not cached.
    """
    key = result_key(audio, text, accent, model_name)

    def compute() -> dict[str, Any]:
        with hold_model() as loaded, interruptible():  # a timeout stops it in here
            outcome = _engine_assess()(
                samples, text, accent=accent, loaded=loaded
            )
        return outcome.to_dict()

    return cached_call(key, lambda: run_with_deadline(compute, time_limit), cache)


def assess_bytes(
    audio: bytes,
    text: str,
    *,
    accent: str,
    model: str | None,
    manager: ModelManager,
    cache: ResultCache,
    max_seconds: float,
    item_id: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """``(result dict as the CLI prints it, served from cache)``; AccentCoachError on bad input.

    The model is held by a lease while it runs, so an unload request waits for it.
    """
    from accent_coach.config import limits
    from accent_coach.engine.audio import load_audio

    get_accent(accent)  # the engine's check, before the upload is decoded
    text = clean_text(text or "")
    # AudioError for corrupt, silent or too-short audio; AudioTooLong from the header,
    # before the samples are decoded
    decoded = load_audio(audio, max_seconds=max_seconds, hint=API_LIMIT_HINT)
    name = resolve_model(model or manager.selected_name).name
    result, hit = cached_assessment(
        audio, decoded.samples, text, accent=accent, model_name=name,
        hold_model=lambda: manager.lease(name), cache=cache,
        time_limit=limits().item_timeout,  # ACCENT_COACH_ITEM_TIMEOUT: 504, and the work stops
    )
    if item_id is not None:
        result = {**result, "id": item_id}
    return result, hit
