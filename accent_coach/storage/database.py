"""Opening the history database: engine, SQLite pragmas, and the upgrade on start.

One :class:`Storage` per database URL per process (``open_storage``), so Streamlit
reruns and CLI calls reuse the engine. Opening runs the packaged Alembic migrations
up to the newest revision inside one transaction: an older database is upgraded in
place, a database that is not ours or is newer than this code is refused with a
clear :class:`StorageError`; nothing is ever recreated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Executable, Row, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from accent_coach.config import get_settings
from accent_coach.errors import StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 0x41434348  # "ACCH": serialises concurrent upgrades on PostgreSQL


class Storage:
    """An open, up-to-date history database.

    ``write()`` sessions take SQLite's write lock when they begin (``BEGIN IMMEDIATE``),
    so two processes saving at once queue on the busy timeout instead of failing
    half-way; ``read()`` sessions never block writers (WAL).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url
        self.is_sqlite = engine.dialect.name == "sqlite"
        writer = engine.execution_options(begin_mode="IMMEDIATE") if self.is_sqlite else engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries (rolled back at the end)."""
        with self._read() as session:
            yield session

    def rows(self, statement: Executable) -> list[Row]:
        """Run a read-only Core statement (no ORM row processing: fast for big queries)."""
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._write.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close pooled connections (tests, process shutdown)."""
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    """A SQLite engine in WAL mode with foreign keys, secure delete and a busy timeout."""
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API object
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout=30000", "foreign_keys=ON", "synchronous=FULL",
                       "secure_delete=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        _switch_to_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        mode = conn.get_execution_options().get("begin_mode", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def _switch_to_wal(cursor, seconds: float = 30.0) -> None:  # noqa: ANN001 - DB-API cursor
    """``PRAGMA journal_mode=WAL``, retried: on a brand-new file that another process is
    switching at the same moment, SQLite answers "database is locked" at once instead of
    waiting on the busy timeout (seen with two processes opening one new database)."""
    import sqlite3

    deadline = time.monotonic() + seconds
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def create_storage_engine(url: str) -> Engine:
    """The engine for ``url`` (SQLite tuned as above; others as SQLAlchemy makes them)."""
    try:
        if make_url(url).get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StorageError(f"ACCENT_COACH_DB_URL is not a usable database URL ({exc}).") from exc


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    return str(ScriptDirectory.from_config(_alembic_config()).get_current_head())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction, refusing foreign databases."""
    config = _alembic_config()
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    options = {"begin_mode": "IMMEDIATE"} if engine.dialect.name == "sqlite" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and inspect(conn).get_table_names():
            raise StorageError(
                "The database at ACCENT_COACH_DB_URL holds tables that are not Accent Coach "
                "history. Point ACCENT_COACH_DB_URL at an empty or Accent Coach database; "
                "nothing was changed.",
                code="storage_foreign_schema",
            )
        if current is not None and current not in known:
            raise StorageError(
                f"The history database is at schema revision {current}, newer than this "
                "version of Accent Coach understands. Update Accent Coach; nothing was changed.",
                code="storage_newer_schema",
            )
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


_OPEN: dict[str, Storage] = {}
_OPEN_LOCK = threading.Lock()


def open_storage(url: str | None = None) -> Storage:
    """The process's Storage for ``url`` (default: the configured one), upgraded on first use.

    Raises StorageError when the database is unreachable, not ours, or too new.
    """
    if url is None:
        try:
            url = get_settings().database_url
        except ValueError as exc:
            raise StorageError(str(exc)) from exc
    with _OPEN_LOCK:
        if url in _OPEN:
            return _OPEN[url]
        engine = create_storage_engine(url)
        try:
            upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            raise StorageError(
                f"The history database cannot be opened ({exc.orig or exc})."
            ) from exc
        except StorageError:
            engine.dispose()
            raise
        _OPEN[url] = storage = Storage(engine)
        return storage


def close_all() -> None:
    """Dispose every open Storage (tests; a process that switches databases)."""
    with _OPEN_LOCK:
        for storage in _OPEN.values():
            storage.dispose()
        _OPEN.clear()
