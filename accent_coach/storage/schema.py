"""The history tables as SQLAlchemy 2 ORM classes: the schema at the newest migration.

The migrations in ``migrations/versions`` create and upgrade exactly these tables;
``tests/storage/test_storage.py`` checks the two agree. Times are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of the history tables."""


class Profile(Base):
    """A learner: a local name, or an OIDC subject on a shared deployment."""

    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted id never comes back


class Attempt(Base):
    """One scored take: the sentence scores as columns, the whole result as JSON."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    text: Mapped[str] = mapped_column(Text)
    accent: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(20))
    duration: Mapped[float | None] = mapped_column(Float)
    overall: Mapped[float | None] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    fluency: Mapped[float | None] = mapped_column(Float)
    completeness: Mapped[float | None] = mapped_column(Float)
    prosody: Mapped[float | None] = mapped_column(Float)
    result_json: Mapped[str] = mapped_column(Text)
    words: Mapped[list[AttemptWord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="AttemptWord.position"
    )
    phones: Mapped[list[AttemptPhone]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by="(AttemptPhone.word_position, AttemptPhone.position)",
    )
    __table_args__ = (
        Index("ix_attempts_profile_created", "profile_id", "created_at"),
        {"sqlite_autoincrement": True},
    )


class AttemptWord(Base):
    """A word of an attempt, in sentence order."""

    __tablename__ = "attempt_words"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str] = mapped_column(String(20))
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_attempt_words_attempt", "attempt_id"),)


class AttemptPhone(Base):
    """An expected-vs-heard phone of an attempt (IPA); the weakness views group these."""

    __tablename__ = "attempt_phones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    word_position: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    expected: Mapped[str | None] = mapped_column(String(16))
    heard: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str] = mapped_column(String(20))
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    # Covering: the per-sound queries never touch the table rows.
    __table_args__ = (
        Index("ix_attempt_phones_attempt", "attempt_id", "expected", "score", "error"),
    )


class AttemptAudio(Base):
    """The learner's recording, only when they opted in (revision 2)."""

    __tablename__ = "attempt_audio"
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Conversation(Base):
    """A tutor conversation: scenario, level, mode and its turns."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    turns: Mapped[list[ConversationTurn]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by="ConversationTurn.position",
    )
    __table_args__ = (
        Index("ix_conversations_profile_started", "profile_id", "started_at"),
        {"sqlite_autoincrement": True},
    )


class ConversationTurn(Base):
    """One tutor or learner turn; ``audio`` (revision 2) only when the learner opted in."""

    __tablename__ = "conversation_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    feedback_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    audio: Mapped[bytes | None] = mapped_column(LargeBinary)
    __table_args__ = (Index("ix_conversation_turns_conversation", "conversation_id"),)


class PhoneDayStat(Base):
    """Sums per (profile, UTC day, accent, expected sound), updated in each save's
    transaction (revision 3): the per-sound views read these, not every phone."""

    __tablename__ = "phone_day_stats"
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    accent: Mapped[str] = mapped_column(String(8), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)
    misses: Mapped[int] = mapped_column(Integer)
