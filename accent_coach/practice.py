"""The Practice page's logic without Streamlit: analyse a take, pick what to drill next.

The page stays a thin view over these functions, so the analysis path (decode →
cached assessment → display data) is tested with real audio bytes even though
Streamlit's test harness cannot press a microphone button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accent_coach.result_cache import ResultCache, cached_call, result_key

UPLOAD_TYPES = ["wav", "mp3", "ogg", "webm", "m4a", "flac"]
WEAK_SCORE = 80.0  # below this a word is worth drilling (the "fair"/"poor" bands)


@dataclass
class Analysis:
    """One analysed take: the engine's result dict and the audio for the plots."""

    result: dict[str, Any]
    from_cache: bool
    samples: np.ndarray  # learner audio, mono float32 at 16 kHz
    sample_rate: int
    warnings: list[str] = field(default_factory=list)


def _engine_assess():
    """The real engine entry point, looked up at call time (tests count its calls)."""
    from accent_coach import assess as assess_module

    return assess_module.assess


def analyse(
    audio: bytes,
    text: str,
    *,
    accent: str,
    load_model: Callable[[], Any],
    model_name: str,
    reference: tuple[np.ndarray, int] | None = None,
    reference_id: str = "",
    cache: ResultCache | None = None,
) -> Analysis:
    """Assess ``audio`` (encoded bytes) against ``text``; the same take is served from cache.

    ``load_model`` returns the model manager's LoadedModel; it is called only on a
    cache miss, so a repeated analysis never waits for a model load. ``reference``
    ((samples, rate), or None for the engine's own espeak reading) drives the prosody
    score, so its voice id ``reference_id`` is part of the cache key.
    Raises the engine's AudioError/TextError unchanged for the page to show.
    """
    from accent_coach.audio import SAMPLE_RATE, load_audio

    decoded = load_audio(audio)  # AudioError for corrupt/silent/short takes, before any model
    key = result_key(audio, text, accent, model_name, reference_id)

    def compute() -> dict[str, Any]:
        outcome = _engine_assess()(
            decoded.samples,
            text,
            accent=accent,
            model=model_name,
            loaded=load_model(),
            reference_audio=reference,
        )
        return outcome.to_dict() if hasattr(outcome, "to_dict") else dict(outcome)

    result, hit = cached_call(key, compute, cache)
    warnings = list(dict.fromkeys([*decoded.warnings, *(result.get("warnings") or [])]))
    return Analysis(result, hit, decoded.samples, SAMPLE_RATE, warnings)


def weakest_words(result: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The lowest-scoring words below WEAK_SCORE (omitted words count as 0), worst first."""
    scored = []
    for word in result.get("words") or []:
        if word.get("error") == "insertion":
            continue  # an extra word is not one the learner should repeat
        score = word.get("score")
        value = 0.0 if word.get("error") == "omission" or score is None else float(score)
        if value < WEAK_SCORE:
            scored.append((value, word))
    scored.sort(key=lambda pair: pair[0])
    return [w for _, w in scored[:limit]]


def weakest_phone(result: dict[str, Any]) -> str | None:
    """The expected phone with the lowest mean score over the take (None if all good)."""
    totals: dict[str, list[float]] = {}
    for word in result.get("words") or []:
        for phone in word.get("phones") or []:
            expected, score = phone.get("expected"), phone.get("score")
            if expected and score is not None:
                totals.setdefault(expected, []).append(float(score))
    if not totals:
        return None
    phone, scores = min(totals.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    return phone if sum(scores) / len(scores) < WEAK_SCORE else None


@dataclass
class Drill:
    """What to practise next and why (shown to the learner)."""

    text: str
    reason: str


def drill_for(result: dict[str, Any], level: str | None = None) -> Drill | None:
    """Next exercise: the weakest words said on their own, or a library sentence for
    the weakest sound when the words alone would be a single short word."""
    from accent_coach.sentences import sentence_for_phone

    words = weakest_words(result)
    phone = weakest_phone(result)
    if len(words) >= 2:
        order = {id(w): i for i, w in enumerate(result.get("words") or [])}
        in_sentence = sorted(words, key=lambda w: order[id(w)])  # reads like the sentence
        names = [str(w.get("text", "")).strip(".,!?;:") for w in in_sentence]
        return Drill(" ".join(names), "your weakest words: " + ", ".join(names))
    if phone:
        current = " ".join(str(w.get("text", "")) for w in result.get("words") or [])
        sentence = sentence_for_phone(phone, level, exclude=current)
        if sentence:
            return Drill(sentence.text, f"a sentence that drills /{phone}/")
    if words:
        name = str(words[0].get("text", "")).strip(".,!?;:")
        return Drill(name, f"your weakest word: {name}")
    return None
