"""Issue 20, the costly abuses: the decompression bomb against a real ``accent-coach
serve`` process (its own peak RSS), webhooks aimed inside the network (real listeners
on 127.0.0.1), and timed-out items that must stop computing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.support.service_helpers import (
    REAL_SERVER_MARKS,
    WebhookReceiver,
    flac_bomb,
    free_port,
    live_api,
    peak_rss_mb,
    settings_for,
    submit_job,
    wait_for,
    wait_job,
    wav_bytes,
)

pytestmark = REAL_SERVER_MARKS
KEY = "hook-key"
TEXT = "I think so too."
GENERIC_FAILURE = "failed after 5 attempts"


@pytest.fixture(scope="module")
def take() -> bytes:
    return wav_bytes(TEXT)


def test_the_bomb_is_refused_by_the_server_without_its_memory(tmp_path):
    """476 KB of FLAC that decodes to 1.8 GB: 413 at once, the server's peak RSS (VmHWM,
    model already loaded) grows < 100 MB — over /v1/assess and through a batch job."""
    bomb = flac_bomb()
    port = free_port()
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path), "PYTHONPATH": os.getcwd(),
           "ACCENT_COACH_PRELOAD": "1"}  # the baseline includes the loaded model
    env.pop("ACCENT_COACH_API_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "serve", "--port", str(port),
         "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            def up() -> bool:
                try:
                    return client.get("/health").json()["models_loaded"] == 1
                except httpx.HTTPError:
                    return False

            wait_for(up, 120, 0.2)
            before = peak_rss_mb(server.pid)
            started = time.perf_counter()
            answer = client.post("/v1/assess", data={"text": TEXT},
                                 files={"audio": ("bomb.flac", bomb, "audio/flac")})
            took = time.perf_counter() - started
            assert (answer.status_code, answer.json()["code"]) == (413, "audio_too_long")
            job = submit_job(client, [("bomb.flac", bomb)], [TEXT]).json()
            item = wait_job(client, job["id"])["items"][0]
            assert item["error"]["code"] == "audio_too_long"
            grew = peak_rss_mb(server.pid) - before
        assert grew < 100 and took < 5, (grew, took)
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- webhooks ---------------------------------------------------------------------------


def test_a_webhook_needs_a_configured_key(tmp_path, take):
    receiver = WebhookReceiver()
    try:
        allow = settings_for(tmp_path, preload=False, webhook_allow=("127.0.0.1/32",))
        with live_api(allow) as client:
            refused = submit_job(client, [("a.wav", take)], [TEXT], webhook_url=receiver.url)
    finally:
        receiver.close()
    body = refused.json()
    assert (refused.status_code, body["code"]) == (422, "invalid_request")
    assert "ACCENT_COACH_API_KEY" in body["message"] and receiver.attempts == 0


def test_webhooks_into_the_servers_network_are_refused(tmp_path, take):
    """Loopback in every spelling, private, link-local, multicast, the server itself."""
    receiver = WebhookReceiver()
    port = receiver.server.server_address[1]
    try:
        with live_api(settings_for(tmp_path, api_key=KEY, preload=False)) as client:
            client.headers["Authorization"] = f"Bearer {KEY}"
            own = f"{client.base_url}/v1/cache/clear"
            targets = [receiver.url, f"http://localhost:{port}/", f"http://2130706433:{port}/",
                       f"http://127.1:{port}/", f"http://[::1]:{port}/", f"http://0.0.0.0:{port}/",
                       f"http://[::ffff:127.0.0.1]:{port}/", own, "http://10.1.2.3/",
                       "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data",
                       "http://224.0.0.1/", "ftp://example.com/", "http://u:p@127.0.0.1/"]
            answers = [submit_job(client, [("a.wav", take)], [TEXT], webhook_url=url)
                       for url in targets]
    finally:
        receiver.close()
    for url, answer in zip(targets, answers, strict=True):
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), url
    assert receiver.attempts == 0


def test_allow_listed_receivers_get_deliveries_no_redirects_and_one_failure_line(tmp_path,
                                                                                 take):
    """Allow-listed 127.0.0.1: a receiver gets its signed POST; a redirect is not
    followed; a redirect, an HTTP 500 and a closed port read the same to the client."""
    target = WebhookReceiver()
    receivers = {"ok": WebhookReceiver(), "redirect": WebhookReceiver(redirect_to=target.url),
                 "error": WebhookReceiver(fail_first=100)}
    urls = {name: r.url for name, r in receivers.items()}
    urls["closed"] = f"http://127.0.0.1:{free_port()}/hook"
    settings = settings_for(tmp_path, api_key=KEY, webhook_allow=("127.0.0.1/32",))
    try:
        with live_api(settings) as client:
            client.headers["Authorization"] = f"Bearer {KEY}"
            jobs = {name: submit_job(client, [("a.wav", take)], [TEXT], webhook_url=url)
                    .json()["id"] for name, url in urls.items()}
            status = {name: wait_for(
                lambda j=job_id: client.get(f"/v1/jobs/{j}").json()["webhook_status"], 60)
                for name, job_id in jobs.items()}
    finally:
        for r in (target, *receivers.values()):
            r.close()
    assert status["ok"] == "delivered (200) on attempt 1" and receivers["ok"].received
    assert status["redirect"] == status["error"] == status["closed"] == GENERIC_FAILURE
    assert receivers["redirect"].attempts == 5 and target.attempts == 0


def test_the_address_is_checked_again_when_the_webhook_is_sent(tmp_path, take):
    """A job accepted while 127.0.0.1 was allowed completes after a restart without
    the allowance: the send-time check refuses it and the receiver hears nothing."""
    from accent_coach.service.jobs.store import JobStore

    receiver = WebhookReceiver()
    try:
        JobStore(tmp_path / "jobs").create(
            [{"item_id": "a", "text": TEXT, "audio": take}], backend="embedded",
            accent="us", model=None, webhook_url=receiver.url)
        with live_api(settings_for(tmp_path, api_key=KEY)) as client:
            client.headers["Authorization"] = f"Bearer {KEY}"
            job_id = JobStore(tmp_path / "jobs").unfinished_jobs("embedded")[0]
            job = wait_job(client, job_id)
            outcome = wait_for(
                lambda: client.get(f"/v1/jobs/{job_id}").json()["webhook_status"], 60)
    finally:
        receiver.close()
    assert job["progress"]["done"] == 1
    assert outcome == GENERIC_FAILURE and receiver.attempts == 0


# --- timeouts that stop the work ---------------------------------------------------------


def test_timed_out_items_stop_computing(tmp_path, monkeypatch):
    """Four ~40 s clips with a 1 s limit: all 504, and the server's CPU time over the
    3 s after the last answer is what an idle server spends (the work was stopped)."""
    base = ("The quick brown fox jumps over the lazy dog near the quiet river bank, and "
            "then it runs far away into the green forest before the night falls. ")
    clips = [wav_bytes(f"Take {n}. " + base * 4) for n in ("one", "two", "three", "four")]
    monkeypatch.setenv("ACCENT_COACH_ITEM_TIMEOUT", "1")
    with live_api(settings_for(tmp_path, api_workers=2)) as client:
        answers: list = []

        def send(clip: bytes) -> None:
            answers.append(client.post("/v1/assess", data={"text": base * 4},
                                       files={"audio": ("a.wav", clip, "audio/wav")}))

        threads = [threading.Thread(target=send, args=(c,)) for c in clips]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # the answers came once the items had stopped: no item thread is left computing
        computing = [t.name for t in threading.enumerate() if t.name.startswith("item")]
        cpu = time.process_time()  # this process is the server (uvicorn in a thread)
        time.sleep(3)
        after = time.process_time() - cpu
        assert client.get("/health").status_code == 200
        # the stopped items gave their model lease back: it unloads now, not "deferred"
        unload = client.post("/v1/models/embedded/unload").json()
        assert unload["unloaded"] and not unload["deferred_until_done"], unload
    assert [(a.status_code, a.json().get("code")) for a in answers] == [(504, "timeout")] * 4, [
        a.text[:300] for a in answers]
    print(f"CPU in the 3 s after the last 504: {after:.3f} s; item threads left: {computing}")
    assert not computing and after < 0.5, (computing, after)
