"""One assessment for a service caller: decode, check limits, lease the model, cache.

Shared by the REST API and both job backends, so an upload and a batch item are
judged by the same rules and land in the same result cache.
"""

from __future__ import annotations

from typing import Any

from accent_coach.service.errors import API_LIMIT_HINT, InvalidRequest
from accent_coach.service.result_cache import ResultCache, cached_call, result_key
from accent_coach.speech.manager import ASRModelManager
from accent_coach.speech.registry import resolve_model

ACCENTS = ("us", "uk")


def _engine_assess():
    """The real engine entry point, looked up at call time (tests count its calls)."""
    from accent_coach.engine import assess as assess_module

    return assess_module.assess


def assess_bytes(
    audio: bytes,
    text: str,
    *,
    accent: str,
    model: str | None,
    manager: ASRModelManager,
    cache: ResultCache,
    max_seconds: float,
    item_id: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """``(result dict as the CLI prints it, served from cache)``; AccentCoachError on bad input.

    The model is held by a lease while it runs, so an unload request waits for it.
    """
    from accent_coach.config import limits
    from accent_coach.engine.audio import load_audio
    from accent_coach.engine.deadline import call_with_time_limit

    if accent not in ACCENTS:
        raise InvalidRequest(f"accent must be one of {', '.join(ACCENTS)}, not {accent!r}.")
    if not text or not text.strip():
        raise InvalidRequest("text is empty: send the sentence that was read aloud.")
    # AudioError for corrupt, silent or too-short audio; AudioTooLong from the header,
    # before the samples are decoded
    decoded = load_audio(audio, max_seconds=max_seconds, hint=API_LIMIT_HINT)
    name = resolve_model(model or manager.selected_name).name
    key = result_key(audio, text, accent, name)

    def compute() -> dict[str, Any]:
        with manager.lease(name) as loaded:
            outcome = _engine_assess()(decoded.samples, text, accent=accent, loaded=loaded)
        return outcome.to_dict()

    timeout = limits().item_timeout  # ACCENT_COACH_ITEM_TIMEOUT: answered on time (504)
    result, hit = cached_call(key, lambda: call_with_time_limit(compute, timeout), cache)
    if item_id is not None:
        result = {**result, "id": item_id}
    return result, hit
