"""Saving a scored attempt in one transaction, reading it back, exporting, deleting.

An attempt is what ``accent_coach.engine.assess.assess(...).to_dict()`` returns (its
text, accent, model, scores, words with phones) plus the profile, a timestamp and, when
the learner opted in, the recording. Everything goes into one transaction: a crash at
any point leaves either the whole attempt or nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accent_coach.storage.conversations import list_conversations, load_conversation
from accent_coach.storage.database import Storage, StorageError
from accent_coach.storage.history import WEAK_BELOW
from accent_coach.storage.schema import (
    Attempt,
    AttemptAudio,
    AttemptPhone,
    AttemptWord,
    Conversation,
    PhoneDayStat,
    Profile,
)

SCORES = ("overall", "accuracy", "fluency", "completeness", "prosody")


@dataclass(frozen=True)
class Saved:
    """Outcome of ``save_attempt``: the new id, and whether the audio was kept."""

    attempt_id: int
    audio_saved: bool
    note: str | None = None  # why the audio was not kept, for the learner


def utc_now() -> datetime:
    """Naive UTC, the form every stored time has."""
    return datetime.now(UTC).replace(tzinfo=None)


def _as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utc_now()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _check_result(result: Any) -> None:
    if not isinstance(result, dict) or not isinstance(result.get("words"), list):
        raise StorageError("Only a scored result can be saved.", code="attempt_invalid")
    if result.get("error"):
        raise StorageError("A take that could not be scored is not saved.", code="attempt_invalid")


def _rows(result: dict[str, Any]) -> tuple[list[AttemptWord], list[AttemptPhone]]:
    words, phones = [], []
    for w_pos, word in enumerate(result["words"]):
        words.append(AttemptWord(
            position=w_pos, text=str(word.get("text", ""))[:200], score=_number(word.get("score")),
            error=str(word.get("error") or "none"), start_s=_number(word.get("start")),
            end_s=_number(word.get("end")),
        ))
        for p_pos, phone in enumerate(word.get("phones") or []):
            phones.append(AttemptPhone(
                word_position=w_pos, position=p_pos, expected=phone.get("expected"),
                heard=phone.get("heard"), score=_number(phone.get("score")),
                error=str(phone.get("error") or "none"), start_s=_number(phone.get("start")),
                end_s=_number(phone.get("end")),
            ))
    return words, phones


def _add_to_phone_days(session: Session, attempt: Attempt, phones: list[AttemptPhone]) -> None:
    """Add this attempt's phones to its day's per-sound sums (same transaction)."""
    sums: dict[str, list[float]] = {}
    for phone in phones:
        if phone.expected is None or phone.score is None:
            continue
        acc = sums.setdefault(phone.expected, [0, 0.0, 0])
        acc[0] += 1
        acc[1] += phone.score
        acc[2] += phone.error != "none" or phone.score < WEAK_BELOW
    if not sums:
        return
    key = {"profile_id": attempt.profile_id, "day": attempt.created_at.date(),
           "accent": attempt.accent}
    rows = [{**key, "phone": p, "count": int(n), "score_sum": total, "misses": int(miss)}
            for p, (n, total, miss) in sums.items()]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        stmt = insert(PhoneDayStat).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["profile_id", "day", "accent", "phone"],
            set_={c: getattr(PhoneDayStat, c) + getattr(stmt.excluded, c)
                  for c in ("count", "score_sum", "misses")},
        )
        session.execute(stmt)
        return
    for row in rows:  # other databases: read-modify-write inside the same transaction
        found = session.get(PhoneDayStat, (row["profile_id"], row["day"], row["accent"],
                                           row["phone"]), with_for_update=True)
        if found is None:
            session.add(PhoneDayStat(**row))
        else:
            found.count += row["count"]
            found.score_sum += row["score_sum"]
            found.misses += row["misses"]


def save_attempt(
    storage: Storage,
    profile_id: int,
    result: dict[str, Any],
    *,
    audio: bytes | None = None,
    audio_mime: str = "audio/wav",
    audio_max_bytes: int | None = None,
    created_at: datetime | None = None,
    before_commit: Callable[[Session], None] | None = None,
) -> Saved:
    """Store one scored take (and its audio when given and within the cap) atomically.

    ``before_commit`` runs inside the transaction after every row is written: the
    crash test pauses there. Raises StorageError for a result that is not a score.
    """
    _check_result(result)
    scores = result.get("scores") or {}
    words, phones = _rows(result)
    keep_audio = audio is not None and (audio_max_bytes is None or len(audio) <= audio_max_bytes)
    note = None
    if audio is not None and not keep_audio:
        note = (f"The recording ({len(audio) / 1e6:.1f} MB) is larger than the "
                f"{(audio_max_bytes or 0) / 1e6:.1f} MB cap, so only the scores were saved.")
    with storage.write() as session:
        if session.get(Profile, profile_id) is None:
            raise StorageError("That profile no longer exists.", code="profile_missing")
        attempt = Attempt(
            profile_id=profile_id, created_at=_as_utc(created_at),
            text=str(result.get("text", "")), accent=str(result.get("accent", "")),
            model=str(result.get("model", "")), mode=str(result.get("mode", "phone")),
            duration=_number(result.get("duration")),
            result_json=json.dumps(result, ensure_ascii=False, default=str),
            **{name: _number(scores.get(name)) for name in SCORES},
        )
        attempt.words, attempt.phones = words, phones
        session.add(attempt)
        session.flush()
        _add_to_phone_days(session, attempt, phones)
        if keep_audio:
            assert audio is not None
            session.add(AttemptAudio(
                attempt_id=attempt.id, mime=audio_mime, size=len(audio), data=audio
            ))
            session.flush()
        if before_commit is not None:
            before_commit(session)
        return Saved(attempt.id, keep_audio, note)


def load_attempt(storage: Storage, profile_id: int, attempt_id: int) -> dict[str, Any] | None:
    """One of this profile's stored results, plus ``attempt_id``, ``created_at``, ``has_audio``.

    None when the attempt does not exist or belongs to someone else.
    """
    with storage.read() as session:
        row = session.get(Attempt, attempt_id)
        if row is None or row.profile_id != profile_id:
            return None
        result = json.loads(row.result_json)
        result.update(attempt_id=row.id, created_at=row.created_at.isoformat(),
                      has_audio=session.get(AttemptAudio, attempt_id) is not None)
        return result


def attempt_audio(storage: Storage, profile_id: int, attempt_id: int) -> tuple[bytes, str] | None:
    """(recording, mime type) of one of this profile's attempts, if it was kept."""
    with storage.read() as session:
        row = session.execute(
            select(AttemptAudio.data, AttemptAudio.mime).join(Attempt)
            .where(Attempt.id == attempt_id, Attempt.profile_id == profile_id)
        ).first()
        return None if row is None else (bytes(row[0]), str(row[1]))


def attempt_texts(storage: Storage, profile_id: int) -> set[str]:
    """Every sentence this profile has practised (to clear caches derived from them)."""
    return {r[0] for r in storage.rows(
        select(Attempt.text).where(Attempt.profile_id == profile_id).distinct())}


def delete_profile_data(storage: Storage, profile_id: int) -> None:
    """Delete the profile and everything of it: attempts, recordings, conversations.

    SQLite runs with ``secure_delete`` and the WAL is checkpointed and truncated, so the
    deleted bytes are overwritten on disk; PostgreSQL tables are vacuumed.
    """
    with storage.write() as session:
        session.execute(delete(Conversation).where(Conversation.profile_id == profile_id))
        session.execute(delete(Attempt).where(Attempt.profile_id == profile_id))
        session.execute(delete(Profile).where(Profile.id == profile_id))
    with storage.engine.connect() as conn:
        if storage.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("attempt_audio", "conversation_turns", "attempt_phones", "attempts"):
                conn.execute(text(f"VACUUM {table}"))


EXPORT_COLUMNS = ("id", "created_at", "text", "accent", "model", "mode", "duration", *SCORES)


def _export_rows(storage: Storage, profile_id: int) -> list[Attempt]:
    with storage.read() as session:
        return list(session.scalars(
            select(Attempt).where(Attempt.profile_id == profile_id)
            .order_by(Attempt.created_at, Attempt.id)
        ))


def export_csv(storage: Storage, profile_id: int) -> str:
    """One CSV row per attempt (sentence scores); UTC ISO times."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in _export_rows(storage, profile_id):
        writer.writerow([
            row.created_at.isoformat() if c == "created_at" else getattr(row, c)
            for c in EXPORT_COLUMNS
        ])
    return out.getvalue()


def export_json(storage: Storage, profile_id: int) -> str:
    """Every attempt's full stored result (words and phones included), oldest first, and
    every tutor conversation with its turns (recordings left out: they are binary)."""
    items = []
    for row in _export_rows(storage, profile_id):
        result = json.loads(row.result_json)
        result.update(attempt_id=row.id, created_at=row.created_at.isoformat())
        items.append(result)
    conversations = []
    for summary in reversed(list_conversations(profile_id, storage=storage, limit=1_000_000)):
        full = load_conversation(profile_id, summary["id"], storage=storage) or {}
        for turn in full.get("turns", []):
            turn["audio"] = None if turn["audio"] is None else f"<{len(turn['audio'])} bytes>"
        conversations.append(full)
    return json.dumps({"attempts": items, "conversations": conversations},
                      ensure_ascii=False, indent=1)
