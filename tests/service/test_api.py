"""The REST API through real HTTP on 127.0.0.1 (uvicorn), with the real embedded model."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from accent_coach.engine import assess as assess_module
from tests.support.service_helpers import (
    REAL_SERVER_MARKS,
    free_port,
    live_api,
    settings_for,
    wait_for,
    wav_bytes,
)

pytestmark = REAL_SERVER_MARKS
TEXT = "I think so too."
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def take() -> bytes:
    return wav_bytes(TEXT)


@pytest.fixture()
def engine_calls(monkeypatch) -> list[str]:
    """Counts calls of the real engine function; every call still runs for real."""
    calls: list[str] = []
    real = assess_module.assess

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(assess_module, "assess", counting)
    return calls


def _assess(client, audio: bytes, text: str = TEXT, name: str = "take.wav",
            content_type: str = "audio/wav", headers: dict | None = None, **fields):
    files = {"audio": (name, audio, content_type)}
    return client.post("/v1/assess", files=files, data={"text": text, **fields},
                       headers=headers or {})


def test_assess_then_cache_hit_without_running_the_model(tmp_path, take, engine_calls):
    with live_api(settings_for(tmp_path)) as client:
        first = _assess(client, take)
        assert first.status_code == 200, first.text
        body = first.json()
        assert first.headers["X-Accent-Coach-Cache"] == "miss"
        assert body["model"] == "embedded" and body["text"] == TEXT
        assert set(body["scores"]) == {"accuracy", "completeness", "fluency", "prosody", "overall"}
        assert [w["text"] for w in body["words"]][:2] == ["I", "think"]
        second = _assess(client, take)
        assert second.headers["X-Accent-Coach-Cache"] == "hit"
        assert second.json() == body and engine_calls == [TEXT]
        stats = client.get("/v1/cache/stats").json()
        assert (stats["hits"], stats["misses"], stats["disk_items"]) == (1, 1, 1)
        assert client.post("/v1/cache/clear").json() == {"removed_files": 1}
        assert _assess(client, take).headers["X-Accent-Coach-Cache"] == "miss"
        assert len(engine_calls) == 2


def test_auth_required_when_a_key_is_set(tmp_path, take):
    with live_api(settings_for(tmp_path, api_key=KEY)) as client:
        assert client.get("/health").status_code == 200  # health stays open for probes
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            denied = client.get("/v1/models", headers=headers)
            assert denied.status_code == 401 and denied.json()["code"] == "unauthorized"
        assert client.get("/v1/models", headers={"X-API-Key": KEY}).status_code == 200
        ok = _assess(client, take, headers={"Authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200
    with live_api(settings_for(tmp_path / "open")) as client:
        assert client.get("/v1/models").status_code == 200


def test_bad_uploads_get_stable_codes_never_tracebacks(tmp_path, take):
    long_take = wav_bytes("This sentence is read slowly and it goes on for a little while.")
    settings = settings_for(tmp_path, max_upload_mb=0.3, api_max_seconds=2.0)
    with live_api(settings) as client:
        cases = [
            (_assess(client, b"RIFF not really audio at all" * 10), 422, "audio_unusable"),
            (_assess(client, b"\x00" * 400_000), 413, "upload_too_large"),
            (_assess(client, long_take), 413, "audio_too_long"),
            (_assess(client, take, text="   "), 422, "invalid_request"),
            (_assess(client, take, text="🙂🙂"), 422, "text_invalid"),
            (_assess(client, take, accent="fr"), 422, "accent_unknown"),
            (_assess(client, take, model="/no/such/model"), 422, "model_unknown"),
            (client.post("/v1/assess", data={"text": TEXT}), 422, "invalid_request"),
            (client.post("/v1/transcribe", files={"audio": ("a.wav", take)},
                         data={"model": "no-such-transcriber"}), 422, "model_unknown"),
            (client.get("/v1/jobs/nope"), 404, "not_found"),
        ]
        for response, status, code in cases:
            body = response.json()
            assert (response.status_code, body["code"]) == (status, code), body
            assert body["message"] and "Traceback" not in response.text
        # a WAV named and typed as MP3 is judged by its content, not its label
        labelled = _assess(client, take, name="take.mp3", content_type="audio/mpeg")
        assert labelled.status_code == 200, labelled.text


def test_concurrent_requests_and_health_during_a_long_assessment(tmp_path, engine_calls):
    texts = [f"Please call {n} people today." for n in ("two", "three", "four", "five")]
    takes = {t: wav_bytes(t) for t in texts}
    long_text = " ".join(3 * [  # ~25 s of speech: still being assessed while we ask
        "The quick brown fox jumps over the lazy dog near the quiet river bank, "
        "and then it runs far away into the green forest before the night falls."])
    long_take = wav_bytes(long_text)
    with live_api(settings_for(tmp_path, api_workers=2)) as client:
        results: dict[str, int] = {}

        def send(text: str) -> None:
            results[text] = _assess(client, takes[text], text=text).status_code

        threads = [threading.Thread(target=send, args=(t,)) for t in texts * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == dict.fromkeys(texts, 200)
        assert sorted(set(engine_calls)) == sorted(texts)

        done, outcome = threading.Event(), []
        threading.Thread(
            target=lambda: (outcome.append(_assess(client, long_take, text=long_text)),
                            done.set()), daemon=True,
        ).start()
        busy = wait_for(lambda: any(
            m["in_use"] for m in client.get("/v1/models/status").json()["models"]), 60, 0.01)
        started = time.perf_counter()
        health = client.get("/health")
        latency = time.perf_counter() - started
        assert busy and health.status_code == 200 and not done.is_set()
        assert latency < 1.0, latency
        # unloading now must not break the analysis: it happens when the analysis ends
        unload = client.post("/v1/models/embedded/unload").json()
        assert unload["deferred_until_done"] and not done.is_set()
        assert done.wait(120) and outcome[0].status_code == 200, outcome[0].text
        assert outcome[0].json()["words"][0]["text"] == "The"
        wait_for(lambda: not client.get("/v1/models/status").json()["models"][0]["loaded"], 10)


def test_idle_unload_fires_and_the_next_request_reloads(tmp_path, take):
    settings = settings_for(tmp_path, idle_unload=(("recognizer", 1.0),))
    with live_api(settings) as client:
        assert _assess(client, take).status_code == 200
        row = client.get("/v1/models/status").json()["models"][0]
        assert row["id"] == "embedded" and row["loaded"] and 0 < row["idle_unload_in"] <= 1.0

        def unloaded() -> list | None:
            status = client.get("/v1/models/status").json()
            done = not status["models"][0]["loaded"] and len(status["memory_events"]) == 2
            return status["memory_events"] if done else None

        events = wait_for(unloaded, 10, 0.1)
        assert [(e["action"], e["reason"]) for e in events] == [("load", "request"),
                                                                ("unload", "idle")]
        again = _assess(client, wav_bytes("Thank you very much."), text="Thank you very much.")
        assert again.status_code == 200
        assert client.get("/v1/models/status").json()["models"][0]["loaded"]


def _rss(client, path: str, **kw) -> dict:
    response = client.post(path, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def test_serve_command_load_unload_frees_memory_and_reload_works(tmp_path):
    """`accent-coach serve` in its own process, so RSS belongs to the server alone."""
    import httpx

    port = free_port()
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    server = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--port", str(port),
         "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            def up():
                try:
                    return client.get("/health").status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(up, 60, 0.2)
            after_unload = []
            for _cycle in range(3):
                loaded = _rss(client, "/v1/models/embedded/load")
                weights = loaded["model"]["memory_bytes"]
                # 11 M parameters; on CPU the linear layers are int8 (ACCENT_COACH_DTYPE=auto)
                assert loaded["model"]["id"] == "embedded" and weights > 12e6
                # anonymous memory: RSS minus mapped files, which the page cache makes noisy
                grew = loaded["anon_after_bytes"] - loaded["anon_before_bytes"]
                unloaded = _rss(client, "/v1/models/embedded/unload")
                freed = unloaded["anon_before_bytes"] - unloaded["anon_after_bytes"]
                assert unloaded["unloaded"] and grew > 0.5 * weights and freed > 0.7 * weights, (
                    grew, freed, weights)
                assert not client.get("/v1/models/status").json()["models"][0]["loaded"]
                after_unload.append(unloaded["anon_after_bytes"])
            assert max(after_unload) - after_unload[0] < 0.2 * weights  # reloads don't pile up
            _rss(client, "/v1/models/embedded/load")  # and a reload works
            missing = client.post("/v1/models/embedded/unload")
            assert missing.status_code == 200
            assert client.post("/v1/models/embedded/unload").json()["code"] == "not_found"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_public_address_without_a_key(tmp_path):
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path)}
    env.pop("ACCENT_COACH_API_KEY", None)
    run = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--host", "0.0.0.0", "--port",
         str(free_port())], env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1 and "ACCENT_COACH_API_KEY" in run.stderr
    assert "Traceback" not in run.stderr


def test_openapi_lists_every_endpoint(tmp_path):
    with live_api(settings_for(tmp_path)) as client:
        paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/v1/assess", "/v1/transcribe", "/v1/models", "/v1/models/status",
            "/v1/models/{model_id}/load", "/v1/models/{model_id}/unload", "/v1/cache/stats",
            "/v1/cache/clear", "/v1/jobs", "/v1/jobs/{job_id}", "/health"} <= paths



def test_transcribe_with_the_packaged_whisper_loaded_once(tmp_path) -> None:
    from accent_coach.tutor.wer import wer

    spoken = "I would like a large coffee with milk, please."
    with live_api(settings_for(tmp_path)) as client:
        first = client.post("/v1/transcribe", files={"audio": ("a.wav", wav_bytes(spoken))})
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["model"] == "whisper-tiny.en" and body["text"]
        assert wer([(spoken, body["text"])]) <= 0.5, body
        again = client.post("/v1/transcribe", files={"audio": ("a.wav", wav_bytes(spoken))})
        assert again.json()["text"] == body["text"]
        status = client.get("/v1/models/status").json()
        rows = [r for r in status["loaded"] if r["id"] == "whisper-tiny.en"]
        assert len(rows) == 1 and rows[0]["kind"] == "transcriber"
        listed = {m["id"]: m for m in client.get("/v1/models").json()["models"]}
        assert listed["whisper-tiny.en"]["kind"] == "transcriber"
        unloaded = client.post("/v1/models/whisper-tiny.en/unload")
        assert unloaded.status_code == 200 and unloaded.json()["unloaded"], unloaded.text


def test_an_item_over_the_time_limit_answers_504_timeout(tmp_path, take, monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_ITEM_TIMEOUT", "0.001")
    with live_api(settings_for(tmp_path)) as client:
        response = _assess(client, take)
        assert (response.status_code, response.json()["code"]) == (504, "timeout"), response.text
        assert client.get("/health").status_code == 200
