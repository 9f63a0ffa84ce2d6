"""Jobs and their items in a small SQLite database under the data dir (own metadata).

The API process is the only writer: the embedded backend's threads and the Celery
poller both record results here, so a job's state survives an API restart.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

UNFINISHED = ("queued", "running")


class Base(DeclarativeBase):
    metadata = MetaData()  # the jobs' own tables, apart from the learner database


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    backend: Mapped[str] = mapped_column(String(16))
    accent: Mapped[str] = mapped_column(String(8))
    model: Mapped[str | None] = mapped_column(String(300), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_status: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    items: Mapped[list[ItemRow]] = relationship(order_by="ItemRow.index", lazy="selectin")


class ItemRow(Base):
    __tablename__ = "job_items"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    audio_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    task_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON {code, message}
    cached: Mapped[int] = mapped_column(Integer, default=0)


class JobStore:
    """CRUD for jobs; thread-safe (SQLite with one writer lock)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(f"sqlite:///{root / 'jobs.sqlite3'}")
        event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._lock = threading.RLock()

    def audio_dir(self, job_id: str) -> Path:
        return self.root / "audio" / job_id

    def create(
        self, items: list[dict[str, Any]], *, backend: str, accent: str, model: str | None,
        webhook_url: str | None,
    ) -> str:
        """Record a job; ``items`` are {item_id, text, audio (bytes) or error}.

        Audio is stored by content: a file named by a hundred manifest lines is written
        once, and its items share the path.
        """
        job_id = uuid.uuid4().hex
        folder = self.audio_dir(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for index, item in enumerate(items):
            path = None
            if item.get("audio") is not None:
                path = folder / f"{hashlib.sha256(item['audio']).hexdigest()}.bin"
                if not path.exists():
                    path.write_bytes(item["audio"])
            error = item.get("error")
            rows.append(ItemRow(
                index=index, item_id=item["item_id"], text=item["text"],
                audio_path=str(path) if path else None,
                status="failed" if error else "queued",
                error=json.dumps(error) if error else None,
            ))
        with self._lock, Session(self.engine) as session:
            session.add(JobRow(
                id=job_id, backend=backend, accent=accent, model=model,
                webhook_url=webhook_url, created_at=time.time(), items=rows,
            ))
            session.commit()
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            job = session.get(JobRow, job_id)
            return None if job is None else _job_dict(job)

    def options(self, job_id: str) -> tuple[str, str | None]:
        """(accent, model) of a job, without reading its items."""
        with Session(self.engine) as session:
            row = session.execute(
                select(JobRow.accent, JobRow.model).where(JobRow.id == job_id)
            ).one()
            return row[0], row[1]

    def item(self, job_id: str, index: int) -> dict[str, Any]:
        with Session(self.engine) as session:
            row = session.get(ItemRow, (job_id, index))
            assert row is not None
            return _item_dict(row) | {"audio_path": row.audio_path, "task_id": row.task_id}

    def items(self, job_id: str, statuses: tuple[str, ...] | None = None) -> list[dict]:
        with Session(self.engine) as session:
            query = select(ItemRow).where(ItemRow.job_id == job_id)
            if statuses:
                query = query.where(ItemRow.status.in_(statuses))
            return [_item_dict(i) | {"audio_path": i.audio_path, "task_id": i.task_id}
                    for i in session.scalars(query.order_by(ItemRow.index))]

    def set_item(self, job_id: str, index: int, **values: Any) -> bool:
        """Update one item unless the job was cancelled meanwhile; True when written."""
        for name in ("result", "error"):
            if name in values and values[name] is not None:
                values[name] = json.dumps(values[name], ensure_ascii=False)
        with self._lock, Session(self.engine) as session:
            done = session.execute(
                update(ItemRow)
                .where(ItemRow.job_id == job_id, ItemRow.index == index)
                .where(ItemRow.status != "cancelled")
                .values(**values)
            )
            session.commit()
            return bool(done.rowcount)

    def claim(self, job_id: str, index: int) -> bool:
        """Mark a queued item running; False if it was cancelled (or taken) meanwhile."""
        with self._lock, Session(self.engine) as session:
            done = session.execute(
                update(ItemRow)
                .where(ItemRow.job_id == job_id, ItemRow.index == index)
                .where(ItemRow.status == "queued")
                .values(status="running", attempts=ItemRow.attempts + 1)
            )
            session.commit()
            return bool(done.rowcount)

    def set_job(self, job_id: str, **values: Any) -> None:
        with self._lock, Session(self.engine) as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
            session.commit()

    def cancel(self, job_id: str) -> list[str] | None:
        """Cancel the job's unfinished items; their Celery task ids (if any), or None
        when the job had already finished (it stays as it was)."""
        with self._lock, Session(self.engine) as session:
            job = session.get(JobRow, job_id)
            if job is None or job.status in ("completed", "cancelled"):
                return None
            tasks = [t for t in session.scalars(
                select(ItemRow.task_id).where(
                    ItemRow.job_id == job_id, ItemRow.status.in_(UNFINISHED)
                )
            ) if t]
            session.execute(
                update(ItemRow)
                .where(ItemRow.job_id == job_id, ItemRow.status.in_(UNFINISHED))
                .values(status="cancelled")
            )
            session.execute(
                update(JobRow).where(JobRow.id == job_id)
                .values(status="cancelled", finished_at=time.time())
            )
            session.commit()
        return tasks

    def requeue_failed(self, job_id: str) -> list[int]:
        """Failed items with audio go back to the queue; returns their indexes."""
        with self._lock, Session(self.engine) as session:
            indexes = list(session.scalars(select(ItemRow.index).where(
                ItemRow.job_id == job_id, ItemRow.status == "failed",
                ItemRow.audio_path.is_not(None),
            )))
            if indexes:
                session.execute(
                    update(ItemRow)
                    .where(ItemRow.job_id == job_id, ItemRow.index.in_(indexes))
                    # no task id until dispatched: the Celery poller must not copy the
                    # old task's "failed" back over the requeued item
                    .values(status="queued", error=None, result=None, task_id=None)
                )
                session.execute(
                    update(JobRow).where(JobRow.id == job_id)
                    .values(status="queued", finished_at=None, webhook_status=None)
                )
            session.commit()
        return indexes

    def finish_if_done(self, job_id: str, *, keep_failed_audio: bool = True) -> bool:
        """Mark the job completed when no item is left to run; True on that transition.

        Its audio is deleted first (failed items' kept when ``keep_failed_audio``, for a
        retry), so no client ever sees a completed job whose recordings are still here.
        """
        with self._lock, Session(self.engine) as session:
            job = session.get(JobRow, job_id)
            if job is None or job.status in ("completed", "cancelled"):
                return False
            if any(i.status in UNFINISHED for i in job.items):
                if job.status == "queued" and any(i.status != "queued" for i in job.items):
                    job.status = "running"
                    session.commit()
                return False
            keep = {i.audio_path for i in job.items
                    if keep_failed_audio and i.status == "failed" and i.audio_path}
            self._delete_files(job_id, keep)
            for item in job.items:
                if item.audio_path not in keep:
                    item.audio_path = None
            job.status, job.finished_at = "completed", time.time()
            session.commit()
            return True

    def drop_audio(self, job_id: str, *, keep_failed: bool) -> int:
        """Delete a finished job's audio files (those of failed items stay when
        ``keep_failed``, for a retry); how many files went."""
        with self._lock, Session(self.engine) as session:
            items = list(session.scalars(select(ItemRow).where(ItemRow.job_id == job_id)))
            keep = {i.audio_path for i in items
                    if keep_failed and i.status == "failed" and i.audio_path}
            for item in items:
                if item.audio_path and item.audio_path not in keep:
                    item.audio_path = None
            session.commit()
        return self._delete_files(job_id, keep)

    def _delete_files(self, job_id: str, keep: set[str | None]) -> int:
        """Unlink the job's audio files except ``keep``; the folder too when empty."""
        folder = self.audio_dir(job_id)
        gone = 0
        for path in folder.glob("*.bin") if folder.is_dir() else ():
            if str(path) not in keep:
                path.unlink(missing_ok=True)
                gone += 1
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        return gone

    def expire_audio(self, retention: float) -> list[str]:
        """Drop all audio of jobs finished more than ``retention`` seconds ago."""
        cutoff = time.time() - retention
        with Session(self.engine) as session:
            expired = list(session.scalars(select(JobRow.id).where(
                JobRow.status.in_(("completed", "cancelled")), JobRow.finished_at <= cutoff,
            )))
        expired = [j for j in expired if self.audio_dir(j).exists()]
        for job_id in expired:
            self.drop_audio(job_id, keep_failed=False)
        return expired

    def unfinished_jobs(self, backend: str) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(JobRow.id).where(
                JobRow.backend == backend, JobRow.status.in_(UNFINISHED)
            )))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _item_dict(item: ItemRow) -> dict[str, Any]:
    return {
        "index": item.index, "id": item.item_id, "text": item.text, "status": item.status,
        "attempts": item.attempts, "cached": bool(item.cached),
        "result": json.loads(item.result) if item.result else None,
        "error": json.loads(item.error) if item.error else None,
    }


def _job_dict(job: JobRow) -> dict[str, Any]:
    items = [_item_dict(i) for i in job.items]
    counts: dict[str, int] = {}
    for item in items:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    finished = sum(counts.get(s, 0) for s in ("done", "failed", "cancelled"))
    return {
        "id": job.id, "status": job.status, "backend": job.backend, "accent": job.accent,
        "model": job.model, "created_at": job.created_at, "finished_at": job.finished_at,
        "webhook_url": job.webhook_url, "webhook_status": job.webhook_status,
        "progress": {"total": len(items), "finished": finished, **counts},
        "items": items,
    }
