"""Issue 20, bodies, binding, names and small items: real uvicorn servers on 127.0.0.1,
requests over real sockets (hand-driven where a stalled or chunked body is the point)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

from tests.support.service_helpers import (
    REAL_SERVER_MARKS,
    RawHTTP,
    free_port,
    live_api,
    settings_for,
    submit_job,
    wait_for,
    wait_job,
    wav_bytes,
)

pytestmark = REAL_SERVER_MARKS
KEY = "s3cret-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TEXT = "I think so too."
BOUNDARY = "xYzBoundary"


@pytest.fixture(scope="module")
def take() -> bytes:
    return wav_bytes(TEXT)


def _port(client) -> int:
    return client.base_url.port


def _is_error(response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), response.text
    assert set(body) == {"code", "message"} and body["message"]
    return body


# --- bodies: judged before they are read -------------------------------------------


def test_key_and_size_are_checked_before_the_body_is_read(tmp_path):
    """Headers announcing 900 MB, and not one body byte sent: the answer comes at once."""
    settings = settings_for(tmp_path, api_key=KEY, preload=False)
    with live_api(settings) as client:
        cases = [({"Content-Length": "900000000"}, 401, "unauthorized"),
                 ({"Transfer-Encoding": "chunked"}, 401, "unauthorized"),
                 ({"Content-Length": "900000000", **AUTH}, 413, "upload_too_large")]
        for path in ("/v1/assess", "/v1/jobs"):
            for headers, status, code in cases:
                conn = RawHTTP(_port(client), timeout=5)
                started = time.perf_counter()
                conn.head("POST", path, {
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers})
                answer = conn.response()
                conn.close()
                assert answer[0] == status and answer[1]["code"] == code, (path, answer)
                assert time.perf_counter() - started < 3
        assert client.get("/health").status_code == 200  # open for probes


def _stream_until_answered(port: int, path: str, total_mb: int) -> tuple[RawHTTP, int, dict]:
    conn = RawHTTP(port, timeout=30)
    conn.head("POST", path, {**AUTH, "Transfer-Encoding": "chunked",
                             "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    conn.send(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"audio\"; "
              f"filename=\"a.wav\"\r\n\r\n".encode(), chunked=True)
    piece = b"\0" * 65536
    while conn.sent < total_mb * 1_000_000 and not conn.answered():
        if not conn.send(piece, chunked=True):
            break
    status, body = conn.response()
    return conn, status, body


@pytest.mark.parametrize(("path", "setting"), [("/v1/assess", "max_upload_mb"),
                                               ("/v1/jobs", "max_job_mb")])
def test_a_chunked_body_is_cut_off_at_the_limit_while_it_streams(tmp_path, path, setting):
    """No Content-Length: the guard counts while the body arrives and answers 413 long
    before the 60 MB the client is ready to send."""
    settings = settings_for(tmp_path, api_key=KEY, preload=False, **{setting: 1.0})
    with live_api(settings) as client:
        conn, status, body = _stream_until_answered(_port(client), path, 60)
        conn.close()
        assert (status, body["code"]) == (413, "upload_too_large"), body
        assert conn.sent < 20_000_000, conn.sent  # 1 MB limit + socket buffers
        assert client.get("/v1/cache/stats", headers=AUTH).status_code == 200


def test_a_body_that_never_finishes_is_answered_408(tmp_path):
    settings = settings_for(tmp_path, api_key=KEY, preload=False, body_timeout=1.0)
    with live_api(settings) as client:
        conn = RawHTTP(_port(client), timeout=10)
        started = time.perf_counter()
        conn.head("POST", "/v1/assess", {
            **AUTH, "Content-Length": "5000",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        conn.send(f"--{BOUNDARY}\r\n".encode())
        status, body = conn.response()
        waited = time.perf_counter() - started
        conn.close()
        assert (status, body["code"]) == (408, "body_timeout") and 0.9 < waited < 5, waited


def test_a_job_over_the_total_size_limit_is_refused(tmp_path):
    settings = settings_for(tmp_path, preload=False, max_job_mb=1.0, max_upload_mb=0.6)
    with live_api(settings) as client:
        half = [(f"{n}.wav", b"\0" * 500_000) for n in range(3)]
        _is_error(submit_job(client, half, [TEXT] * 3), 413, "upload_too_large")
        one = [("big.wav", b"\0" * 700_000)]  # each file keeps its own limit too
        _is_error(submit_job(client, one, [TEXT]), 413, "upload_too_large")


# --- job audio: stored once, deleted when the job is over --------------------------


def _audio_files(data_dir, job_id: str) -> list:
    folder = data_dir / "jobs" / "audio" / job_id
    return sorted(folder.glob("*")) if folder.exists() else []


def test_a_file_named_by_many_lines_is_stored_once_and_kept_for_retry(tmp_path, take):
    """100 lines, one upload: items fail (model folder without its files), so their audio
    is kept for a retry — as one file — until ACCENT_COACH_JOB_RETENTION runs out."""
    models = tmp_path / "models"
    (models / "empty-model").mkdir(parents=True)
    settings = settings_for(tmp_path / "data", preload=False, models_dir=models,
                            job_retention=3.0)
    lines = "\n".join(f'{{"id": "{n}", "audio": "take.wav", "text": "{TEXT}"}}'
                      for n in range(100))
    with live_api(settings) as client:
        response = client.post("/v1/jobs", data={"model": "empty-model"}, files=[
            ("files", ("take.wav", take, "audio/wav")),
            ("manifest", ("m.jsonl", lines.encode(), "application/jsonl"))])
        assert response.status_code == 202, response.text
        job = wait_job(client, response.json()["id"])
        assert job["progress"]["failed"] == 100
        assert len(_audio_files(tmp_path / "data", job["id"])) == 1
        wait_for(lambda: not _audio_files(tmp_path / "data", job["id"]), 20)
        _is_error(client.post(f"/v1/jobs/{job['id']}/retry"), 409, "conflict")


def test_finished_jobs_leave_no_audio_and_cannot_be_cancelled(tmp_path, take):
    with live_api(settings_for(tmp_path)) as client:
        job_id = submit_job(client, [("a.wav", take)], [TEXT]).json()["id"]
        job = wait_job(client, job_id)
        assert job["status"] == "completed" and job["progress"]["done"] == 1
        assert _audio_files(tmp_path, job_id) == []
        _is_error(client.delete(f"/v1/jobs/{job_id}"), 409, "conflict")
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "completed"
        twice = submit_job(client, [("a.wav", take), ("a.wav", take)], [TEXT, TEXT])
        assert "named 'a.wav'" in _is_error(twice, 422, "invalid_request")["message"]


# --- bind safety ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "example.invalid"])
def test_serve_needs_a_key_unless_every_address_is_loopback(tmp_path, host):
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    env.pop("ACCENT_COACH_API_KEY", None)
    run = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--host", host, "--port",
         str(free_port())], env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1 and "ACCENT_COACH_API_KEY" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_serve_on_localhost_without_a_key_answers(tmp_path):
    import httpx

    port = free_port()
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path), "PYTHONPATH": os.getcwd(),
           "ACCENT_COACH_PRELOAD": "0"}
    env.pop("ACCENT_COACH_API_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--host", "localhost", "--port",
         str(port), "--log-level", "warning"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 180, 0.2)  # a cold start on a loaded 2-core machine
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- model names: no file-system oracle, no 500 -------------------------------------


def test_model_names_give_one_answer_whatever_the_disk_holds(tmp_path, take):
    from tests.support.tiny_models import build_tiny_ctc

    models = tmp_path / "models"
    build_tiny_ctc(models / "tiny")
    (models / "escape").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "outside").mkdir()
    settings = settings_for(tmp_path / "data", preload=False, models_dir=models)
    probes = ["/etc/shadow", "/root", "/no/such/path", "x" * 300, "../outside",
              str(tmp_path / "outside"), "escape", "escape/outside", "bad\tname",
              "facebook/not-registered"]
    with live_api(settings) as client:
        answers = []
        for name in probes:
            if not name.startswith(".."):  # the client itself would resolve "/../"
                loaded = client.post(f"/v1/models/{quote(name, safe='/')}/load")
                answers.append(_is_error(loaded, 422, "model_unknown"))
            answers.append(_is_error(_assess_with(client, take, model=name), 422,
                                     "model_unknown"))
            answers.append(_is_error(submit_job(client, [("a.wav", take)], [TEXT],
                                                model=name), 422, "model_unknown"))
        assert len({a["message"] for a in answers}) == 1  # nothing about what is there
        assert client.get("/health").status_code == 200  # the connection survived
        ok = client.post("/v1/models/tiny/load")
        assert ok.status_code == 200, ok.text
        assert client.post("/v1/models/tiny/unload").status_code == 200
        assert client.post("/v1/models/embedded/load").status_code == 200


def _assess_with(client, audio: bytes, text: str = TEXT, **fields):
    return client.post("/v1/assess", files={"audio": ("take.wav", audio, "audio/wav")},
                       data={"text": text, **fields})


# --- small items ----------------------------------------------------------------------


def test_text_is_cleaned_once_and_control_characters_are_refused(tmp_path, take):
    with live_api(settings_for(tmp_path)) as client:
        spaced = _assess_with(client, take, text="I\u2003think  so\u00a0too.")
        assert spaced.status_code == 200 and spaced.json()["text"] == TEXT
        plain = _assess_with(client, take)
        assert plain.headers["X-Accent-Coach-Cache"] == "hit" and plain.json()["text"] == TEXT
        for text in ("I think\x07 so too.", "I think \u202eoot os", "I\u200bthink so too."):
            body = _is_error(_assess_with(client, take, text=text), 422, "text_invalid")
            assert "U+" in body["message"] and text not in body["message"]


def test_audio_too_long_is_413_whichever_limit_it_hits(tmp_path, take, monkeypatch):
    with live_api(settings_for(tmp_path, api_max_seconds=0.5)) as client:
        _is_error(_assess_with(client, take), 413, "audio_too_long")
    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "0.5")  # the engine's own limit
    with live_api(settings_for(tmp_path / "2")) as client:
        _is_error(_assess_with(client, take), 413, "audio_too_long")
