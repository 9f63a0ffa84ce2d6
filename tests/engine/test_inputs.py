# ruff: noqa: F811  (the fox_clip fixture is imported)
"""Bounded input, one error family: every bad argument to ``assess()`` is an engine
error with a stable code; limits are settings; long or odd texts keep their phones; the
engine's time limit stops an item in any thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from accent_coach.engine.assess import assess
from accent_coach.engine.deadline import call_with_time_limit
from accent_coach.engine.g2p import reference
from accent_coach.errors import AccentCoachError, ItemTimeout
from tests.support.engine_fixtures import (
    FOX,
    fox_clip,  # noqa: F401  (fixture)
    tiny_random_model,
)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"sample_rate": 0}, "audio_unusable"),
        ({"sample_rate": -16000}, "audio_unusable"),
        ({"sample_rate": 16000.5}, "audio_unusable"),
        ({"audio": np.float32(0.5)}, "audio_unusable"),
        ({"audio": np.zeros((2, 2, 16000), np.float32)}, "audio_unusable"),
        ({"audio": np.array(["a"] * 16000)}, "audio_unusable"),
        ({"audio": [0.1] * 16000}, "audio_unusable"),
        ({"audio": None}, "audio_unusable"),
        ({"accent": "fr"}, "accent_unknown"),
        ({"accent": None}, "accent_unknown"),
        ({"text": 5}, "text_invalid"),
        ({"text": ["the", "dog"]}, "text_invalid"),
        ({"text": "caf\udcc3 au lait"}, "text_invalid"),  # undecodable byte (argv)
        ({"text": "word " * 2001}, "text_too_long"),
        ({"text": "a" * 20001}, "text_too_long"),
    ],
)
def test_bad_arguments_raise_engine_errors_with_codes(fox_clip, kwargs, code) -> None:
    args = {"audio": fox_clip, "text": FOX, **kwargs}
    audio, text = args.pop("audio"), args.pop("text")
    with pytest.raises(AccentCoachError) as info:
        assess(audio, text, loaded=tiny_random_model(), **args)
    assert info.value.code == code and str(info.value)


def test_limits_are_settings(monkeypatch, fox_clip) -> None:
    monkeypatch.setenv("ACCENT_COACH_MAX_TEXT_WORDS", "3")
    with pytest.raises(AccentCoachError, match="ACCENT_COACH_MAX_TEXT_WORDS") as info:
        reference("one two three four")
    assert info.value.code == "text_too_long"
    monkeypatch.delenv("ACCENT_COACH_MAX_TEXT_WORDS")
    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "1")
    with pytest.raises(AccentCoachError) as info:
        assess(fox_clip, FOX, loaded=tiny_random_model())
    assert info.value.code == "audio_too_long"


def test_reference_of_a_long_fused_text_is_complete() -> None:
    """800 words full of espeak fusions ("for the"): every word gets its phones (the
    word DP is a linear beam search now; speed is in benchmarks/reference.py)."""
    words = reference(" ".join(["I went for the dog and for the cat"] * 89))
    assert len(words) == 801 and all(w.tokens for w in words)
    assert [w.text for w in words[:4]] == ["I", "went", "for", "the"]


def test_a_word_espeak_drops_in_context_keeps_its_phones() -> None:
    """Found by the fuzz suite: espeak reads "I I I I" as three words."""
    assert [w.tokens for w in reference("I I I I")] == [["aɪ"]] * 4


def test_time_limit_stops_an_item_in_main_and_worker_threads() -> None:
    with pytest.raises(ItemTimeout):
        call_with_time_limit(lambda: time.sleep(5), 0.2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            call_with_time_limit(lambda: time.sleep(2), 0.2)
        except ItemTimeout as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(errors) == 1 and errors[0].code == "timeout"
    assert call_with_time_limit(lambda: 7, 0.5) == 7


def test_a_timeout_the_item_wraps_is_still_a_timeout() -> None:
    """The alarm raises wherever the item is; code that catches it and raises another
    error (as a library may) must not turn the timeout into an internal error."""

    def wrapping_item() -> None:
        try:
            time.sleep(2)
        except Exception as exc:  # noqa: BLE001 - what a wrapping library does
            raise ValueError("wrapped by a library") from exc

    started = time.monotonic()
    with pytest.raises(ItemTimeout):
        call_with_time_limit(wrapping_item, 0.05)
    assert time.monotonic() - started < 1.5
