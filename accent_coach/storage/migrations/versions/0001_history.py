"""Revision 1: profiles, attempts with words and phones, tutor conversations.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _parent(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "profiles", _id(),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("oidc_subject", sa.String(255), unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,  # ids are never reused after a deletion
    )
    op.create_table(
        "attempts", _id(),
        sa.Column("profile_id", sa.Integer, _parent("profiles"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("accent", sa.String(8), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        *[sa.Column(name, sa.Float) for name in (
            "duration", "overall", "accuracy", "fluency", "completeness", "prosody")],
        sa.Column("result_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_attempts_profile_created", "attempts", ["profile_id", "created_at"])
    op.create_table(
        "attempt_words", _id(),
        sa.Column("attempt_id", sa.Integer, _parent("attempts"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("error", sa.String(20), nullable=False),
        sa.Column("start_s", sa.Float),
        sa.Column("end_s", sa.Float),
    )
    op.create_index("ix_attempt_words_attempt", "attempt_words", ["attempt_id"])
    op.create_table(
        "attempt_phones", _id(),
        sa.Column("attempt_id", sa.Integer, _parent("attempts"), nullable=False),
        sa.Column("word_position", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("expected", sa.String(16)),
        sa.Column("heard", sa.String(16)),
        sa.Column("score", sa.Float),
        sa.Column("error", sa.String(20), nullable=False),
        sa.Column("start_s", sa.Float),
        sa.Column("end_s", sa.Float),
    )
    op.create_table(
        "conversations", _id(),
        sa.Column("profile_id", sa.Integer, _parent("profiles"), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("level", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("summary", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_conversations_profile_started", "conversations", ["profile_id", "started_at"]
    )
    op.create_table(
        "conversation_turns", _id(),
        sa.Column("conversation_id", sa.Integer, _parent("conversations"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("transcript", sa.Text),
        sa.Column("feedback_json", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_conversation_turns_conversation", "conversation_turns", ["conversation_id"]
    )


def downgrade() -> None:
    for table in ("conversation_turns", "conversations", "attempt_phones", "attempt_words",
                  "attempts", "profiles"):
        op.drop_table(table)
