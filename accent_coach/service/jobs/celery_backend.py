"""Celery + Redis backend: each job item is a task any ``accent-coach worker`` can run.

The API records jobs in its local database and sends one task per item (audio inline,
base64, so workers need no shared disk); a poller thread in the API copies task states
and results back and fires the webhook when a job completes. Workers load models
through the same model manager (lease, idle unload, preload) and share the result cache.
"""

from __future__ import annotations

import base64
import logging
import threading
import uuid
from typing import Any

from celery import Celery

from accent_coach.config import Settings, get_settings
from accent_coach.errors import AccentCoachError
from accent_coach.service.jobs.service import MAX_ATTEMPTS, RETRY_BACKOFF, JobService, failure
from accent_coach.service.jobs.store import UNFINISHED, JobStore

log = logging.getLogger(__name__)
TASK_NAME = "accent_coach.assess_item"
POLL_SECONDS = 0.25


def make_celery(broker_url: str) -> Celery:
    """The Celery app for ``broker_url`` (Redis as broker and result backend)."""
    app = Celery("accent_coach", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, worker_prefetch_multiplier=1, task_track_started=True,
        result_expires=7 * 86400, broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, bind=True, max_retries=MAX_ATTEMPTS - 1)(assess_item)
    return app


_runner: Any = None
_runner_lock = threading.Lock()


def worker_runner() -> Any:
    """assess_bytes bound to this worker process's model manager and result cache."""
    global _runner
    with _runner_lock:
        if _runner is None:
            from accent_coach.service.assessment import assess_bytes
            from accent_coach.service.result_cache import default_cache
            from accent_coach.speech.manager import get_manager

            settings = get_settings()
            manager = get_manager()

            def run(audio: bytes, text: str, accent: str, model: str | None):
                return assess_bytes(
                    audio, text, accent=accent, model=model, manager=manager,
                    cache=default_cache(), max_seconds=settings.api_max_seconds,
                )

            _runner = run
        return _runner


def assess_item(task: Any, audio_b64: str, text: str, accent: str, model: str | None) -> dict:
    """One job item in a worker: {"status": "done"|"failed", result|error, attempts, cached}."""
    attempts = task.request.retries + 1
    try:
        result, hit = worker_runner()(base64.b64decode(audio_b64), text, accent, model)
    except AccentCoachError as exc:
        return {"status": "failed", "error": exc.to_dict(), "attempts": attempts}
    except Exception as exc:  # noqa: BLE001 - unexpected: retry with backoff, then report
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=RETRY_BACKOFF * 2 ** task.request.retries)
        return {"status": "failed", "error": failure(exc), "attempts": attempts}
    return {"status": "done", "result": result, "cached": hit, "attempts": attempts}


class CeleryJobs(JobService):
    """Items go to Celery workers through Redis; state comes back through a poller."""

    backend = "celery"

    def __init__(self, store: JobStore, settings: Settings) -> None:
        super().__init__(store, settings)
        assert settings.broker_url
        self.app = make_celery(settings.broker_url)
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="celery-jobs", daemon=True)
        self._poller.start()

    def _dispatch(self, job_id: str) -> None:
        job = self.store.get(job_id)
        assert job is not None
        for item in self.store.items(job_id, ("queued",)):
            audio = base64.b64encode(open(item["audio_path"], "rb").read()).decode("ascii")
            task_id = f"{job_id}-{item['index']}-{uuid.uuid4().hex[:8]}"
            self.store.set_item(job_id, item["index"], task_id=task_id)
            self.app.send_task(
                TASK_NAME, args=[audio, item["text"], job["accent"], job["model"]],
                task_id=task_id,
            )

    def _revoke(self, task_ids: list[str]) -> None:
        if task_ids:
            self.app.control.revoke(task_ids)

    def _poll_loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a broker hiccup must not kill the poller
                log.exception("polling Celery job states failed")

    def poll(self) -> None:
        """Copy task states and results of unfinished items into the job database."""
        for job_id in self.store.unfinished_jobs(self.backend):
            for item in self.store.items(job_id, UNFINISHED):
                if item["task_id"]:
                    self._sync(job_id, item)
            self._after_item(job_id)

    def _sync(self, job_id: str, item: dict[str, Any]) -> None:
        outcome = self.app.AsyncResult(item["task_id"])
        state, index = outcome.state, item["index"]
        if state in ("STARTED", "RETRY") and item["status"] == "queued":
            self.store.set_item(job_id, index, status="running")
        elif state == "SUCCESS":
            payload = outcome.result or {}
            result = payload.get("result")
            self.store.set_item(
                job_id, index, status=payload.get("status", "failed"),
                result={**result, "id": item["id"]} if result else None,
                error=payload.get("error"), attempts=payload.get("attempts", 1),
                cached=int(bool(payload.get("cached"))),
            )
        elif state == "FAILURE":
            self.store.set_item(job_id, index, status="failed",
                                error=failure(outcome.result or RuntimeError("task failed")))
        elif state == "REVOKED":
            self.store.set_item(job_id, index, status="cancelled")

    def close(self) -> None:
        super().close()
        self._stop.set()


def worker_main(settings: Settings, concurrency: int = 1, pool: str = "threads") -> None:
    """Run a Celery worker for this broker (what ``accent-coach worker`` starts)."""
    from accent_coach.speech.manager import get_manager

    assert settings.broker_url
    app = make_celery(settings.broker_url)
    get_manager().preload()  # ACCENT_COACH_PRELOAD: warm before the first task
    app.worker_main([
        "worker", f"--concurrency={concurrency}", f"--pool={pool}", "--loglevel=INFO",
        "--without-gossip", "--without-mingle",
        f"--hostname=accent-coach-{uuid.uuid4().hex[:6]}@%h",
    ])
