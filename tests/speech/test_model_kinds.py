"""Every call names the model kind it means, and every kind gets the same lifecycle.

``small.en`` is both a faster-whisper transcriber and a valid Hugging Face id for a
recognizer; the explicit kind decides which is loaded (here, offline, each path fails
with its own kind's message, which proves the path taken). Transcribers are leased,
deferred-unloaded and recorded in the memory events like recognizers.
"""

from __future__ import annotations

import pytest

from accent_coach.config import Settings
from accent_coach.speech.manager import ModelManager
from accent_coach.speech.registry import ModelLoadError, kind_of, resolve
from tests.support.service_helpers import live_api, settings_for

TRANSCRIBER_OFFLINE = "Transcriber 'small.en' is not downloaded"
RECOGNIZER_OFFLINE = "accent-coach fetch small.en"


def manager(**settings) -> ModelManager:
    return ModelManager(Settings(device="cpu", **settings))


def test_one_name_resolves_per_the_kind_asked_for():
    assert resolve("small.en", "transcriber").kind == "transcriber"
    assert resolve("small.en", "recognizer").kind == "recognizer"
    assert resolve("expert-scorer", "scorer").kind == "scorer"
    with pytest.raises(ModelLoadError, match="is a scorer, not a speech recognizer"):
        resolve("expert-scorer", "recognizer")
    with pytest.raises(ModelLoadError, match="not a known scorer"):
        resolve("embedded", "scorer")
    assert [kind_of(n) for n in ("small.en", "whisper-base", "expert-scorer", "embedded",
                                 "someone/model")] == [
        "transcriber", "transcriber", "scorer", "recognizer", "recognizer"]


def test_manager_loads_the_kind_it_is_told_and_keeps_errors_per_kind():
    m = manager()
    with pytest.raises(ModelLoadError, match=TRANSCRIBER_OFFLINE):
        m.load("small.en", "transcriber")
    with pytest.raises(ModelLoadError, match=RECOGNIZER_OFFLINE):
        m.load("small.en", "recognizer")
    assert TRANSCRIBER_OFFLINE in m.failed("small.en", "transcriber")
    assert RECOGNIZER_OFFLINE in m.failed("small.en", "recognizer")
    assert m.pool.keys() == [] and m.current is None and m.transcriber is None


def test_rest_load_takes_the_kind_explicitly(tmp_path):
    settings = settings_for(tmp_path, transcriber="small.en")  # a name the API accepts
    with live_api(settings) as client:
        def load(query: str = "") -> tuple[int, dict]:
            response = client.post(f"/v1/models/small.en/load{query}")
            return response.status_code, response.json()

        status, body = load("?kind=transcriber")
        assert (status, body["code"]) == (503, "model_unavailable")
        assert TRANSCRIBER_OFFLINE in body["message"]
        status, body = load("?kind=recognizer")
        assert (status, body["code"]) == (503, "model_unavailable")
        assert RECOGNIZER_OFFLINE in body["message"]
        status, body = load()  # no kind: a faster-whisper name means the transcriber
        assert TRANSCRIBER_OFFLINE in body["message"]
        status, body = load("?kind=voice")
        assert (status, body["code"]) == (422, "invalid_request") and "kind" in body["message"]
        missing = client.post("/v1/models/small.en/unload?kind=transcriber")
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_transcriber_has_the_same_lifecycle_as_a_recognizer():
    """Leased while it transcribes, so an unload waits; its load and unload are in the
    memory events; the status row counts its users."""
    m = manager()
    with m.lease("whisper-tiny.en", "transcriber") as loaded:
        assert loaded.kind == "transcriber" and m.transcriber is loaded
        row = next(r for r in m.loaded_models() if r["id"] == "whisper-tiny.en")
        assert (row["kind"], row["in_use"], row["current"]) == ("transcriber", 1, True)
        assert m.unload("whisper-tiny.en", kind="transcriber") is False  # deferred
        assert m.transcriber is loaded
    assert m.transcriber is None and m.pool.keys() == []
    assert [(e.action, e.name, e.reason) for e in m.memory_events] == [
        ("load", "whisper-tiny.en", "request"), ("unload", "whisper-tiny.en", "request")]
    assert len(m.transcriber_events) == 1 and m.events == []
    assert m.status()["transcriber"] is None and m.status()["transcriber_loads"] == 1
