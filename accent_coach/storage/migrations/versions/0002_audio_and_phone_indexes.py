"""Revision 2: learners' recordings (opt-in) and indexes for the per-sound views.

Adds ``attempt_audio`` (one recording per attempt), a nullable ``audio`` column on
``conversation_turns`` (existing turns keep their data) and a covering index on
``attempt_phones`` (attempt → expected, score, error) so the per-sound queries read
only the index: 3× faster with 10,000 attempts (``benchmarks/storage.py``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_audio",
        sa.Column(
            "attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("mime", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    with op.batch_alter_table("conversation_turns") as batch:
        batch.add_column(sa.Column("audio", sa.LargeBinary))
    op.create_index(
        "ix_attempt_phones_attempt", "attempt_phones", ["attempt_id", "expected", "score", "error"]
    )


def downgrade() -> None:
    op.drop_index("ix_attempt_phones_attempt", "attempt_phones")
    with op.batch_alter_table("conversation_turns") as batch:
        batch.drop_column("audio")
    op.drop_table("attempt_audio")
