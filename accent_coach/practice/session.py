"""The Practice page's analysis without Streamlit: decode a take, assess it through the cache.

The page stays a thin view over these functions, so the analysis path (decode →
cached assessment → display data) is tested with real audio bytes even though
Streamlit's test harness cannot press a microphone button.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accent_coach.service.assessment import cached_assessment
from accent_coach.service.result_cache import ResultCache

UPLOAD_TYPES = ["wav", "mp3", "ogg", "webm", "m4a", "flac"]


@dataclass
class Analysis:
    """One analysed take: the engine's result dict and the audio for the plots."""

    result: dict[str, Any]
    from_cache: bool
    samples: np.ndarray  # learner audio, mono float32 at 16 kHz
    sample_rate: int
    warnings: list[dict[str, str]] = field(default_factory=list)  # [{"code", "message"}]


def analyse(
    audio: bytes,
    text: str,
    *,
    accent: str,
    load_model: Callable[[], Any],
    model_name: str,
    cache: ResultCache | None = None,
) -> Analysis:
    """Assess ``audio`` (encoded bytes) against ``text``; the same take is served from cache.

    ``load_model`` returns the model manager's LoadedModel; it is called only on a
    cache miss, so a repeated analysis never waits for a model load. Prosody is measured
    against the engine's own espeak reading (its formula is calibrated on it), as in the
    API, so a take sent to both shares one cache entry.
    Raises the engine's AudioError/TextError unchanged for the page to show.
    """
    from accent_coach.engine.audio import SAMPLE_RATE, load_audio

    decoded = load_audio(audio)  # AudioError for corrupt/silent/short takes, before any model
    result, hit = cached_assessment(
        audio, decoded.samples, text, accent=accent, model_name=model_name,
        hold_model=lambda: nullcontext(load_model()), cache=cache,
    )
    by_code = {w["code"]: w for w in [*decoded.warnings, *(result.get("warnings") or [])]}
    warnings = list(by_code.values())
    return Analysis(result, hit, decoded.samples, SAMPLE_RATE, warnings)
