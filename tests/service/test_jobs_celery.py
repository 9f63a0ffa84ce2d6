"""Batch jobs on Celery + a real redis-server and a real `accent-coach worker` process."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from accent_coach.service.jobs.celery_backend import make_celery
from accent_coach.service.jobs.store import JobStore
from tests.support.service_helpers import (
    REAL_SERVER_MARKS,
    WebhookReceiver,
    celery_worker,
    live_api,
    redis_binary,
    redis_server,
    settings_for,
    submit_job,
    wait_for,
    wait_job,
    wav_bytes,
)

pytestmark = [
    *REAL_SERVER_MARKS,
    pytest.mark.skipif(redis_binary() is None, reason="redis-server missing (.ci/run installs it)"),
]
TEXTS = ["I think so too.", "Thank you very much."]
KEY = "celery-key"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redis")
    with redis_server(folder) as url, celery_worker(url, folder / "worker"):
        yield url


@pytest.fixture(scope="module")
def takes():
    return [(f"take{i}.wav", wav_bytes(t)) for i, t in enumerate(TEXTS)]


def test_job_runs_on_the_worker_and_the_webhook_arrives(tmp_path, broker, takes):
    receiver = WebhookReceiver(fail_first=1)
    settings = settings_for(tmp_path, broker_url=broker, api_key=KEY,
                            webhook_allow=("127.0.0.1/32",))  # the receiver is local
    try:
        with live_api(settings) as client:
            client.headers["X-API-Key"] = KEY
            assert client.get("/health").json()["jobs_backend"] == "celery"
            response = submit_job(client, [*takes, ("bad.wav", b"nonsense")], [*TEXTS, "x"],
                                  webhook_url=receiver.url)
            assert response.status_code == 202
            job = wait_job(client, response.json()["id"])
            wait_for(lambda: receiver.received, 30)
            # the API process never loaded a model: the worker did the work
            assert not any(m["loaded"] for m in client.get("/v1/models/status").json()["models"])
    finally:
        receiver.close()
    assert job["backend"] == "celery" and job["status"] == "completed"
    assert job["progress"] == {"total": 3, "finished": 3, "done": 2, "failed": 1}
    assert [i["result"]["id"] for i in job["items"][:2]] == ["take0.wav", "take1.wav"]
    assert job["items"][2]["error"]["code"] == "audio_unusable"
    headers, body = receiver.received[0]
    assert headers["X-Accent-Coach-Signature"] == (
        "sha256=" + hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest())
    assert json.loads(body)["job"]["id"] == job["id"] and receiver.attempts == 2


def test_failed_items_retry_on_the_worker(tmp_path, broker, takes):
    from tests.support.tiny_models import build_tiny_ctc

    folder = tmp_path / "models" / "late-model"
    folder.mkdir(parents=True)  # the folder exists, the model files are not there yet
    settings = settings_for(tmp_path / "api", broker_url=broker, models_dir=folder.parent)
    with live_api(settings) as client:
        job_id = submit_job(client, takes, TEXTS, model="late-model").json()["id"]
        job = wait_job(client, job_id)
        assert [i["error"]["code"] for i in job["items"]] == ["model_unavailable"] * 2
        build_tiny_ctc(folder)
        client.post(f"/v1/jobs/{job_id}/retry")
        job = wait_job(client, job_id)
    assert job["progress"]["done"] == 2, [i["error"] for i in job["items"]]
    assert {i["result"]["model"] for i in job["items"]} == {str(folder)}


def test_cancelled_job_tasks_are_revoked(tmp_path, broker):
    texts = [f"Number {n} is on the list." for n in ("one", "two", "three", "four", "five")]
    clips = [(f"{i}.wav", wav_bytes(t)) for i, t in enumerate(texts)]
    with live_api(settings_for(tmp_path, broker_url=broker)) as client:
        job_id = submit_job(client, clips, texts).json()["id"]
        job = client.delete(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "cancelled" and job["progress"]["cancelled"] >= 3
    app = make_celery(broker)
    tasks = [i["task_id"] for i in JobStore(tmp_path / "jobs").items(job_id)]
    revoked = wait_for(
        lambda: [t for t in tasks if app.AsyncResult(t).state == "REVOKED"] or None, 60, 0.5)
    assert len(revoked) >= 3
