"""The result cache: the same take is assessed once, whatever the number of clicks."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from accent_coach.engine import assess as assess_module
from accent_coach.practice.session import analyse
from accent_coach.service.result_cache import ResultCache, cached_call, result_key
from accent_coach.speech.registry import embedded_installed

TEXT = "Think of three things."


def _wav_bytes(text: str) -> bytes:
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(text, voice="us")
    buf = io.BytesIO()
    sf.write(buf, wav, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="module")
def take() -> bytes:
    return _wav_bytes(TEXT)


@pytest.fixture()
def counted_assess(monkeypatch) -> list[tuple]:
    """Count calls to the real engine function while letting every call run for real."""
    calls: list[tuple] = []
    real = assess_module.assess

    def counting(*args, **kwargs):
        calls.append((args[1], kwargs.get("accent")))
        return real(*args, **kwargs)

    monkeypatch.setattr(assess_module, "assess", counting)
    return calls


def _tiny():
    from tests.support.engine_fixtures import tiny_random_model

    return tiny_random_model()


def test_repeat_analysis_is_served_from_cache(tmp_path, take, counted_assess) -> None:
    cache = ResultCache(tmp_path)
    loads: list[int] = []

    def load_model():
        loads.append(1)
        return _tiny()

    kwargs = {"accent": "us", "load_model": load_model, "model_name": "tiny-random", "cache": cache}
    first = analyse(take, TEXT, **kwargs)
    second = analyse(take, TEXT, **kwargs)
    assert len(counted_assess) == 1
    assert len(loads) == 1  # a cache hit does not even ask for the model
    assert not first.from_cache and second.from_cache
    assert second.result == first.result
    assert first.result["words"] and set(first.result["scores"]) >= {"accuracy", "overall"}

    # a restarted app finds the result on disk
    kwargs["cache"] = ResultCache(tmp_path)
    third = analyse(take, TEXT, **kwargs)
    assert third.from_cache and len(counted_assess) == 1
    assert third.result == first.result

    # anything that changes the answer is a new analysis
    analyse(take, "Think of three more things.", **kwargs)
    analyse(take, TEXT, **{**kwargs, "accent": "uk"})
    assert counted_assess[1:] == [("Think of three more things.", "us"), (TEXT, "uk")]


def test_corrupt_take_fails_before_the_engine(tmp_path, counted_assess) -> None:
    from accent_coach.engine.audio import AudioError

    with pytest.raises(AudioError):
        analyse(
            b"RIFF\x00\x00garbage",
            TEXT,
            accent="us",
            load_model=_tiny,
            model_name="tiny-random",
            cache=ResultCache(tmp_path),
        )
    assert counted_assess == []


def test_key_covers_audio_text_accent_model() -> None:
    base = result_key(b"abc", "Hi there", "us", "m")
    assert base == result_key(b"abc", " Hi  there ", "us", "m")  # whitespace is not meaning
    variants = [
        result_key(b"abd", "Hi there", "us", "m"),
        result_key(b"abc", "Hi where", "us", "m"),
        result_key(b"abc", "Hi there", "uk", "m"),
        result_key(b"abc", "Hi there", "us", "n"),
        result_key(b"abc", "Hi there", "us", "m", "piper"),
    ]
    assert len({base, *variants}) == 6


def test_lru_eviction_and_damaged_files(tmp_path) -> None:
    cache = ResultCache(tmp_path, max_items=2)
    for name in "abc":
        cache.put(name, {"v": name})
    assert list(cache._memory) == ["b", "c"]  # "a" evicted from memory …
    assert cache.get("a") == {"v": "a"}  # … but still on disk
    (tmp_path / "b.json").write_text("{not json", "utf-8")
    assert ResultCache(tmp_path).get("b") is None
    assert ResultCache(None).get("a") is None  # memory-only cache


def test_errors_are_not_cached(tmp_path) -> None:
    cache = ResultCache(tmp_path)
    attempts = []

    def flaky() -> dict:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("model not ready")
        return {"ok": float(np.pi)}

    with pytest.raises(RuntimeError):
        cached_call("k", flaky, cache)
    assert cached_call("k", flaky, cache) == ({"ok": float(np.pi)}, False)
    assert cached_call("k", flaky, cache) == ({"ok": float(np.pi)}, True)
    assert len(attempts) == 2


@pytest.mark.slow
@pytest.mark.skipif(not embedded_installed(), reason="embedded model not installed")
def test_the_service_and_practice_share_one_cached_path(tmp_path, take, counted_assess) -> None:
    """The same take, text, accent and model: whichever asks first runs the engine, the
    other is served the same JSON from the cache."""
    from accent_coach.service.assessment import assess_bytes
    from accent_coach.speech.manager import ModelManager
    from tests.support.service_helpers import settings_for

    manager, cache = ModelManager(settings_for(tmp_path)), ResultCache(tmp_path / "results")
    try:
        served, hit = assess_bytes(take, TEXT, accent="uk", model=None, manager=manager,
                                   cache=cache, max_seconds=60)
        analysis = analyse(take, TEXT, accent="uk", model_name="embedded", cache=cache,
                           load_model=lambda: manager.load_model("embedded"))
    finally:
        manager.close()
    assert not hit and analysis.from_cache and counted_assess == [(TEXT, "uk")]
    assert analysis.result == served and served["accent"] == "uk" and served["words"]
