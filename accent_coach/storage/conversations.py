"""Tutor conversations: saved whole (one transaction), listed, and loaded back.

A conversation is a dict ``{"scenario", "level", "mode": "practice"|"exam",
"started_at": iso, "ended_at": iso|None, "summary": str|None, "turns": [{"role":
"tutor"|"learner", "text", "transcript", "audio": bytes|None, "feedback": dict|None,
"created_at": iso}]}``; ``load_conversation`` returns the same shape plus ``id``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from accent_coach.storage.database import Storage, StorageError, open_storage
from accent_coach.storage.schema import Conversation, ConversationTurn, Profile

MODES = ("practice", "exam")
ROLES = ("tutor", "learner")


def _invalid(why: str) -> StorageError:
    return StorageError(f"This conversation cannot be saved: {why}.", code="conversation_invalid")


def _time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _invalid(f"{field} is not an ISO time ({value!r})") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def _turn(position: int, turn: dict[str, Any]) -> ConversationTurn:
    if turn.get("role") not in ROLES:
        raise _invalid(f"turn {position + 1} has role {turn.get('role')!r}")
    audio = turn.get("audio")
    feedback = turn.get("feedback")
    return ConversationTurn(
        position=position, role=turn["role"], text=str(turn.get("text") or ""),
        transcript=turn.get("transcript"),
        feedback_json=None if feedback is None else json.dumps(feedback, ensure_ascii=False),
        created_at=_time(turn.get("created_at"), f"turn {position + 1} created_at"),
        audio=None if audio is None else bytes(audio),
    )


def save_conversation(
    profile_id: int, conversation: dict[str, Any], *, storage: Storage | None = None
) -> int:
    """Store a whole conversation with its turns in one transaction; returns its id.

    ``storage`` defaults to the configured database (``open_storage()``).
    """
    storage = storage or open_storage()
    if conversation.get("mode") not in MODES:
        raise _invalid(f"mode must be one of {', '.join(MODES)}")
    turns = [_turn(i, t) for i, t in enumerate(conversation.get("turns") or [])]
    ended = conversation.get("ended_at")
    row = Conversation(
        profile_id=profile_id, scenario=str(conversation.get("scenario") or "")[:200],
        level=str(conversation.get("level") or "")[:40], mode=conversation["mode"],
        started_at=_time(conversation.get("started_at"), "started_at"),
        ended_at=None if ended is None else _time(ended, "ended_at"),
        summary=conversation.get("summary"),
    )
    row.turns = turns
    with storage.write() as session:
        if session.get(Profile, profile_id) is None:
            raise StorageError("That profile no longer exists.", code="profile_missing")
        session.add(row)
        session.flush()
        return row.id


def list_conversations(
    profile_id: int, *, storage: Storage | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """This profile's conversations, newest first, without turns (``turn_count`` instead)."""
    storage = storage or open_storage()
    with storage.read() as session:
        count = (select(func.count(ConversationTurn.id))
                 .where(ConversationTurn.conversation_id == Conversation.id).scalar_subquery())
        rows = session.execute(
            select(Conversation, count).where(Conversation.profile_id == profile_id)
            .order_by(Conversation.started_at.desc(), Conversation.id.desc()).limit(limit)
        )
        return [
            {"id": c.id, "scenario": c.scenario, "level": c.level, "mode": c.mode,
             "started_at": _iso(c.started_at), "ended_at": _iso(c.ended_at),
             "summary": c.summary, "turn_count": int(n)}
            for c, n in rows
        ]


def load_conversation(
    profile_id: int, conversation_id: int, *, storage: Storage | None = None
) -> dict[str, Any] | None:
    """One of this profile's conversations, turns in order; None if not theirs or gone."""
    storage = storage or open_storage()
    with storage.read() as session:
        row = session.get(Conversation, conversation_id)
        if row is None or row.profile_id != profile_id:
            return None
        return {
            "id": row.id, "scenario": row.scenario, "level": row.level, "mode": row.mode,
            "started_at": _iso(row.started_at), "ended_at": _iso(row.ended_at),
            "summary": row.summary,
            "turns": [
                {"role": t.role, "text": t.text, "transcript": t.transcript,
                 "audio": None if t.audio is None else bytes(t.audio),
                 "feedback": None if t.feedback_json is None else json.loads(t.feedback_json),
                 "created_at": _iso(t.created_at)}
                for t in row.turns
            ],
        }
