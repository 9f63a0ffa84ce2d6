"""Revision 3: per-day sums per sound, kept up to date by every save, backfilled here.

The per-sound views (weakest sounds, their change, the review schedule) read
``phone_day_stats`` — a few rows per practised day — instead of scanning every stored
phone. Existing attempts are summed into it by this migration, so an upgraded history
shows the same weaknesses as before.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MISS_BELOW = 80.0  # as storage.history.WEAK_BELOW when this revision was written


def upgrade() -> None:
    op.create_table(
        "phone_day_stats",
        sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("accent", sa.String(8), primary_key=True),
        sa.Column("phone", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("score_sum", sa.Float, nullable=False),
        sa.Column("misses", sa.Integer, nullable=False),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "substr(a.created_at, 1, 10)" if sqlite else "CAST(a.created_at AS DATE)"
    op.execute(sa.text(f"""
        INSERT INTO phone_day_stats (profile_id, day, accent, phone, count, score_sum, misses)
        SELECT a.profile_id, {day}, a.accent, p.expected, count(*), sum(p.score),
               sum(CASE WHEN p.error != 'none' OR p.score < {MISS_BELOW} THEN 1 ELSE 0 END)
        FROM attempt_phones p JOIN attempts a ON a.id = p.attempt_id
        WHERE p.expected IS NOT NULL AND p.score IS NOT NULL
        GROUP BY a.profile_id, {day}, a.accent, p.expected
    """))


def downgrade() -> None:
    op.drop_table("phone_day_stats")
