"""The job interface and the embedded (in-process thread pool) backend."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from accent_coach.config import Settings
from accent_coach.errors import AccentCoachError, Conflict, NotFound
from accent_coach.service.jobs.store import JobStore
from accent_coach.service.jobs.webhook import deliver

log = logging.getLogger(__name__)

# (audio bytes, text, accent, model or None) -> (result dict, served from cache)
Runner = Callable[[bytes, str, str, str | None], tuple[dict[str, Any], bool]]
MAX_ATTEMPTS = 3  # automatic tries of an item that failed unexpectedly
RETRY_BACKOFF = 0.5


class JobService:
    """What the API needs from a job backend; subclasses say how items run."""

    backend = "none"

    def __init__(self, store: JobStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.webhook_backoff = RETRY_BACKOFF
        store.expire_audio(settings.job_retention)  # what ran out while the server was down
        self._sweeping = threading.Event()  # set: the sweeper stops
        threading.Thread(target=self._sweep_loop, name="job-audio-sweeper", daemon=True).start()

    def submit(
        self, items: list[dict[str, Any]], *, accent: str, model: str | None,
        webhook_url: str | None,
    ) -> dict[str, Any]:
        job_id = self.store.create(
            items, backend=self.backend, accent=accent, model=model, webhook_url=webhook_url
        )
        self._dispatch(job_id)
        self._after_item(job_id)  # a job whose items all failed validation is done at once
        return self.get(job_id)

    def get(self, job_id: str) -> dict[str, Any]:
        job = self.store.get(job_id)
        if job is None:
            raise NotFound(f"No job with id '{job_id}'.")
        return job

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel an unfinished job; Conflict (409) once it has finished either way."""
        self.get(job_id)
        tasks = self.store.cancel(job_id)
        if tasks is None:
            raise Conflict(f"Job '{job_id}' has already finished; there is nothing to cancel.")
        self._revoke(tasks)
        self.store.drop_audio(job_id, keep_failed=False)
        return self.get(job_id)

    def retry(self, job_id: str) -> dict[str, Any]:
        """Queue the job's failed items again (e.g. after installing a missing model)."""
        job = self.get(job_id)
        if job["status"] == "cancelled":
            raise Conflict(f"Job '{job_id}' was cancelled; submit it again instead.")
        if job["progress"].get("failed") and not self.store.requeue_failed(job_id):
            raise Conflict(
                f"Job '{job_id}' no longer has its failed items' audio: it is kept "
                f"{self.settings.job_retention:g} s after a job finishes "
                "(ACCENT_COACH_JOB_RETENTION); submit them again."
            )
        self._dispatch(job_id)
        return self.get(job_id)

    def close(self) -> None:
        """Stop background threads; unfinished work stays recorded for the next start."""
        self._sweeping.set()

    # --- backend hooks --------------------------------------------------------------

    def _dispatch(self, job_id: str) -> None:
        raise NotImplementedError

    def _revoke(self, task_ids: list[str]) -> None:
        """Stop queued remote tasks (Celery); the embedded pool checks the store instead."""

    def _after_item(self, job_id: str) -> None:
        retention = self.settings.job_retention
        if self.store.finish_if_done(job_id, keep_failed_audio=retention > 0):
            job = self.store.get(job_id)
            if job and job["webhook_url"]:
                threading.Thread(
                    target=self._notify, args=(job,), name="job-webhook", daemon=True
                ).start()

    def _sweep_loop(self) -> None:
        """Delete failed items' audio once ``ACCENT_COACH_JOB_RETENTION`` has run out."""
        retention = self.settings.job_retention
        interval = max(0.5, min(retention / 2, 60.0))
        while not self._sweeping.wait(interval):
            try:
                self.store.expire_audio(retention)
            except Exception:  # noqa: BLE001 - a busy database must not end the sweeper
                log.exception("deleting expired job audio failed")

    def _notify(self, job: dict[str, Any]) -> None:
        outcome = deliver(
            job["webhook_url"], {"event": "job.completed", "job": job},
            self.settings.api_key, allow=self.settings.webhook_allow,
            backoff=self.webhook_backoff,
        )
        self.store.set_job(job["id"], webhook_status=outcome)
        log.info("webhook for job %s: %s", job["id"], outcome)


def failure(exc: BaseException) -> dict[str, str]:
    """The {code, message} an item records when it fails."""
    if isinstance(exc, AccentCoachError):
        return exc.to_dict()
    return {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}


class EmbeddedJobs(JobService):
    """Items run in a bounded thread pool of the API process; nothing else to install."""

    backend = "embedded"

    def __init__(self, store: JobStore, settings: Settings, runner: Runner) -> None:
        super().__init__(store, settings)
        self.runner = runner
        self.pool = ThreadPoolExecutor(settings.api_workers, thread_name_prefix="job")
        for job_id in store.unfinished_jobs(self.backend):  # resume after a restart
            for item in store.items(job_id, ("running",)):
                store.set_item(job_id, item["index"], status="queued")
            self._dispatch(job_id)

    def _dispatch(self, job_id: str) -> None:
        for item in self.store.items(job_id, ("queued",)):
            self.pool.submit(self._run, job_id, item["index"])

    def _run(self, job_id: str, index: int) -> None:
        try:
            self._run_item(job_id, index)
        except Exception:  # noqa: BLE001 - the pool must never lose an item silently
            log.exception("job %s item %s", job_id, index)
            self.store.set_item(job_id, index, status="failed",
                                error={"code": "internal_error", "message": "see the log"})
        self._after_item(job_id)

    def _run_item(self, job_id: str, index: int) -> None:
        if not self.store.claim(job_id, index):
            return  # cancelled (or already taken)
        accent, model = self.store.options(job_id)
        item = self.store.item(job_id, index)
        try:
            audio = Path(item["audio_path"]).read_bytes()
        except (FileNotFoundError, TypeError):  # the job was cancelled meanwhile
            return
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result, hit = self.runner(audio, item["text"], accent, model)
            except AccentCoachError as exc:  # bad input or missing model: no point retrying now
                self.store.set_item(job_id, index, status="failed", error=failure(exc))
                return
            except Exception as exc:  # noqa: BLE001 - unexpected: retried with backoff
                if attempt == MAX_ATTEMPTS:
                    self.store.set_item(job_id, index, status="failed", error=failure(exc))
                    return
                self.store.set_item(job_id, index, attempts=item["attempts"] + attempt)
                threading.Event().wait(RETRY_BACKOFF * 2 ** (attempt - 1))
                continue
            self.store.set_item(job_id, index, status="done", result={**result, "id": item["id"]},
                                cached=int(hit))
            return

    def close(self) -> None:
        super().close()
        self.pool.shutdown(wait=False, cancel_futures=True)
