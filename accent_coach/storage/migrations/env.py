"""Alembic environment: runs on the connection ``database.upgrade`` hands over.

Migrations are run from the installed package (never from an ``alembic.ini``), inside
the caller's transaction, so a failed upgrade leaves the database as it was.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
