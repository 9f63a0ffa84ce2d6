"""Batch jobs: one interface, two backends.

``EmbeddedJobs`` (default) runs items in a thread pool inside the API process;
``CeleryJobs`` (when ``ACCENT_COACH_BROKER_URL`` is set) sends each item to Celery
workers (``accent-coach worker``) through Redis. Either way the job and its items are
recorded in the local job database, so status survives an API restart; failed items
can be retried, a job can be cancelled, and a webhook reports completion.
"""

from __future__ import annotations

from accent_coach.config import Settings
from accent_coach.service.jobs.service import EmbeddedJobs, JobService, Runner
from accent_coach.service.jobs.store import JobStore

__all__ = ["EmbeddedJobs", "JobService", "make_job_service"]


def make_job_service(settings: Settings, runner: Runner) -> JobService:
    """Celery when a broker is configured, else the embedded pool."""
    store = JobStore(settings.data_dir / "jobs")
    if settings.broker_url:
        from accent_coach.service.jobs.celery_backend import CeleryJobs

        return CeleryJobs(store, settings)
    return EmbeddedJobs(store, settings, runner)
