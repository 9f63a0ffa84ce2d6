"""Batch jobs on the embedded backend, through the API over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from accent_coach.service.jobs.store import JobStore
from tests.support.service_helpers import (
    REAL_SERVER_MARKS,
    WebhookReceiver,
    live_api,
    settings_for,
    submit_job,
    wait_for,
    wait_job,
    wav_bytes,
)

pytestmark = REAL_SERVER_MARKS
TEXTS = ["I think so too.", "Thank you very much.", "She sells sea shells."]


def _comparable(result: dict) -> dict:
    """A result without what differs between two runs of one take (timing, item id)."""
    return {k: v for k, v in result.items() if k not in ("elapsed_ms", "id")}


@pytest.fixture(scope="module")
def takes() -> list[tuple[str, bytes]]:
    return [(f"take{i}.wav", wav_bytes(t)) for i, t in enumerate(TEXTS)]


def test_files_and_texts_job_reports_each_item(tmp_path, takes):
    with live_api(settings_for(tmp_path)) as client:
        bad = submit_job(client, takes, TEXTS[:2])
        assert bad.status_code == 422 and "3 files but 2 texts" in bad.json()["message"]
        corrupt = [*takes[:2], ("broken.wav", b"RIFF....garbage")]
        response = submit_job(client, corrupt, TEXTS)
        assert response.status_code == 202
        assert response.headers["Location"] == f"/v1/jobs/{response.json()['id']}"
        job = wait_job(client, response.json()["id"])
        alone = client.post("/v1/assess", data={"text": TEXTS[1]},
                            files={"audio": ("take1.wav", takes[1][1], "audio/wav")}).json()
    assert job["status"] == "completed" and job["backend"] == "embedded"
    assert job["progress"] == {"total": 3, "finished": 3, "done": 2, "failed": 1}
    first, second, broken = job["items"]
    assert first["result"]["id"] == "take0.wav" and first["result"]["text"] == TEXTS[0]
    # a job item is the same assessment as the take sent on its own
    assert _comparable(second["result"]) == _comparable(alone) and alone["words"]
    assert broken["status"] == "failed" and broken["error"]["code"] == "audio_unusable"


def test_manifest_job_in_the_cli_format(tmp_path, takes):
    manifest = "\n".join(json.dumps(line) for line in [
        {"id": "a", "audio": "take0.wav", "text": TEXTS[0]},
        {"id": "b", "audio": "clips/take1.wav", "text": TEXTS[1]},
        {"id": "c", "audio": "missing.wav", "text": TEXTS[2]},
        "not an object",
    ])
    files = [("files", (n, d, "audio/wav")) for n, d in takes[:2]]
    files.append(("manifest", ("batch.jsonl", manifest.encode(), "application/jsonl")))
    with live_api(settings_for(tmp_path)) as client:
        response = client.post("/v1/jobs", files=files)
        assert response.status_code == 202, response.text
        job = wait_job(client, response.json()["id"])
    items = {i["id"]: i for i in job["items"]}
    assert items["a"]["status"] == items["b"]["status"] == "done"
    assert "missing.wav" in items["c"]["error"]["message"]
    assert items["4"]["error"]["code"] == "invalid_request"


def test_cancel_stops_queued_items(tmp_path):
    texts = [f"Number {n} is on the list." for n in ("one", "two", "three", "four", "five")]
    clips = [(f"{i}.wav", wav_bytes(t)) for i, t in enumerate(texts)]
    with live_api(settings_for(tmp_path, api_workers=1)) as client:
        job_id = submit_job(client, clips, texts).json()["id"]
        cancelled = client.delete(f"/v1/jobs/{job_id}").json()
        assert cancelled["status"] == "cancelled"
        assert cancelled["progress"]["cancelled"] >= 3
        final = wait_job(client, job_id)  # nothing left to run
        assert final["progress"]["cancelled"] == cancelled["progress"]["cancelled"]
        assert client.delete("/v1/jobs/unknown").json()["code"] == "not_found"


def test_failed_items_are_retried_after_the_cause_is_fixed(tmp_path, takes):
    from tests.support.tiny_models import build_tiny_ctc

    folder = tmp_path / "models" / "late-model"
    folder.mkdir(parents=True)  # the folder exists, the model files are not there yet
    settings = settings_for(tmp_path / "data", models_dir=tmp_path / "models")
    with live_api(settings) as client:
        job_id = submit_job(client, takes[:2], TEXTS[:2], model="late-model").json()["id"]
        job = wait_job(client, job_id)
        assert job["progress"]["failed"] == 2
        assert job["items"][0]["error"]["code"] == "model_unavailable"
        build_tiny_ctc(folder)  # the missing model is installed
        retried = client.post(f"/v1/jobs/{job_id}/retry").json()
        assert retried["status"] in ("queued", "running", "completed")
        job = wait_job(client, job_id)
    assert job["progress"]["done"] == 2
    assert all(i["result"]["model"] == str(folder) and i["attempts"] == 2 for i in job["items"])


def test_webhook_is_signed_and_retried_with_backoff(tmp_path, takes):
    key = "hook-key"
    receiver = WebhookReceiver(fail_first=2)
    try:
        allowed = settings_for(tmp_path, api_key=key, webhook_allow=("127.0.0.1/32",))
        with live_api(allowed) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            job_id = submit_job(client, takes[:1], TEXTS[:1], webhook_url=receiver.url).json()["id"]
            wait_job(client, job_id)
            wait_for(lambda: receiver.received, 30)
            job = wait_for(lambda: (j := client.get(f"/v1/jobs/{job_id}").json())
                           ["webhook_status"] and j, 10)
    finally:
        receiver.close()
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Accent-Coach-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "job.completed" and payload["job"]["id"] == job_id
    assert payload["job"]["progress"]["done"] == 1
    assert receiver.attempts == 3
    assert job["webhook_status"].startswith("delivered (200) on attempt 3")


def test_jobs_survive_a_restart_and_unfinished_ones_resume(tmp_path, takes):
    settings = settings_for(tmp_path)
    with live_api(settings) as client:
        done_id = submit_job(client, takes[:1], TEXTS[:1]).json()["id"]
        before = wait_job(client, done_id)
    # a job recorded but never run, as after a crash mid-batch
    pending = JobStore(tmp_path / "jobs").create(
        [{"item_id": "late", "text": TEXTS[1], "audio": takes[1][1]}],
        backend="embedded", accent="us", model=None, webhook_url=None,
    )
    with live_api(settings) as client:
        assert client.get(f"/v1/jobs/{done_id}").json() == before
        resumed = wait_job(client, pending)
    assert resumed["progress"]["done"] == 1


def test_an_unexpected_failure_is_retried_automatically(tmp_path, takes):
    """Fault injection: the first run of the item crashes, the retry runs the real engine."""
    from accent_coach.service.assessment import assess_bytes
    from accent_coach.service.jobs import EmbeddedJobs
    from accent_coach.service.result_cache import ResultCache
    from accent_coach.speech.manager import ModelManager

    settings = settings_for(tmp_path)
    manager, cache = ModelManager(settings), ResultCache(None)
    runs: list[int] = []

    def flaky_then_real(audio, text, accent, model):
        runs.append(1)
        if len(runs) == 1:
            raise ConnectionResetError("transient fault")
        return assess_bytes(audio, text, accent=accent, model=model, manager=manager,
                            cache=cache, max_seconds=60)

    jobs = EmbeddedJobs(JobStore(tmp_path / "jobs"), settings, flaky_then_real)
    try:
        job = jobs.submit([{"item_id": "a", "text": TEXTS[0], "audio": takes[0][1]}],
                          accent="us", model=None, webhook_url=None)
        job = wait_for(lambda: (j := jobs.get(job["id"]))["status"] == "completed" and j, 60)
    finally:
        jobs.close()
        manager.close()
    item = job["items"][0]
    assert len(runs) == 2 and item["status"] == "done" and item["attempts"] == 2
    again = ModelManager(settings)
    try:
        direct, _ = assess_bytes(takes[0][1], TEXTS[0], accent="us", model=None,
                                 manager=again, cache=ResultCache(None), max_seconds=60)
    finally:
        again.close()
    assert _comparable(item["result"]) == _comparable(direct) and direct["words"]
