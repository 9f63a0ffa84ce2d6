"""History storage, for real: a SQLite file and a PostgreSQL server the tests start.

Every test taking ``db_url`` runs on both. Crash and concurrency run in separate
processes (``storage_child.py``); the migration test builds a revision-1 database with
data and lets ``open_storage`` upgrade it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

import tests.support.pg_server as pg_server
from accent_coach import storage as S
from accent_coach.storage import database, schema
from tests.support.storage_samples import sample_result

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres():
    reason = pg_server.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = pg_server.start_server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def store(db_url):
    storage = S.open_storage(db_url)
    yield storage
    S.close_all()


def _count(storage: S.Storage, table: type) -> int:
    with storage.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)))


# --- schema and migrations -------------------------------------------------------------


def test_migrations_build_exactly_the_orm_schema(store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.Base.metadata)
    assert diff == []
    assert database.current_revision(store.engine) == database.head_revision() == "0003"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    store = S.open_storage(f"sqlite:///{tmp_path / 'h.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    S.close_all()


def test_revision_1_database_is_upgraded_on_open_with_its_data(db_url) -> None:
    engine = database.create_storage_engine(db_url)
    database.upgrade(engine, "0001")
    assert database.current_revision(engine) == "0001"
    stamp = datetime(2026, 1, 5, 9, 30)
    with engine.begin() as conn:  # as revision-1 code wrote it: ids from the database
        def insert(sql: str, **values) -> int:
            return conn.execute(text(sql + " RETURNING id"), {"t": stamp, **values}).scalar()

        pid = insert("INSERT INTO profiles (name, created_at) VALUES ('Old', :t)")
        aid = insert(
            "INSERT INTO attempts (profile_id, created_at, text, accent, model, mode, overall, "
            "result_json) VALUES (:p, :t, 'Think', 'us', 'embedded', 'phone', 55, :r)",
            p=pid, r=json.dumps(sample_result(3)))
        insert("INSERT INTO attempt_phones (attempt_id, word_position, position, expected, "
               "heard, score, error) VALUES (:a, 0, 0, 'θ', 's', 12, 'substitution')", a=aid)
        cid = insert("INSERT INTO conversations (profile_id, scenario, level, mode, started_at)"
                     " VALUES (:p, 'cafe', 'A2', 'practice', :t)", p=pid)
        insert("INSERT INTO conversation_turns (conversation_id, position, role, text, "
               "created_at) VALUES (:c, 0, 'tutor', 'Hello!', :t)", c=cid)
    engine.dispose()

    store = S.open_storage(db_url)
    try:
        assert database.current_revision(store.engine) == database.head_revision()
        assert [p.name for p in S.list_profiles(store)] == ["Old"]
        assert S.load_attempt(store, pid, aid)["scores"] == sample_result(3)["scores"]
        # Revision 3 summed the old phones into the per-day table: same weakness as before.
        weakest = S.phone_weakness(store, pid, S.Filters(), min_count=1)
        assert [(w.phone, w.count, w.mean_score, w.miss_rate) for w in weakest] == [
            ("θ", 1, 12.0, 1.0)]
        conversation = S.load_conversation(pid, cid, storage=store)
        assert conversation["turns"][0]["text"] == "Hello!"
        assert conversation["turns"][0]["audio"] is None  # column added by revision 2
        saved = S.save_attempt(store, pid, sample_result(4), audio=b"RIFF-new")
        assert S.attempt_audio(store, pid, saved.attempt_id) == (b"RIFF-new", "audio/wav")
    finally:
        S.close_all()


def test_a_foreign_database_is_refused_untouched(db_url) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES (1, 'keep me')"))
    with pytest.raises(S.StorageError) as caught:
        S.open_storage(db_url)
    assert caught.value.code == "storage_foreign_schema"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalar() == "keep me"
    engine.dispose()


def test_a_newer_database_is_refused(db_url) -> None:
    S.open_storage(db_url)
    S.close_all()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(S.StorageError) as caught:
        S.open_storage(db_url)
    assert caught.value.code == "storage_newer_schema"
    assert "Update Accent Coach" in str(caught.value)


def test_unusable_urls_are_storage_errors(tmp_path) -> None:
    with pytest.raises(S.StorageError, match="not a usable database URL"):
        S.open_storage("nosuchdb://x")
    with pytest.raises(S.StorageError, match="cannot be opened"):
        S.open_storage("postgresql+psycopg://nobody@127.0.0.1:1/none")


# --- attempts --------------------------------------------------------------------------


def test_attempt_round_trip_with_words_phones_and_audio(store) -> None:
    ana = S.get_or_create_profile(store, "  Ana  ")
    assert S.get_or_create_profile(store, "ana") == ana  # same learner, any case
    result = sample_result(5, phone_scores={"θ": 20})
    saved = S.save_attempt(store, ana.id, result, audio=b"RIFF" + bytes(range(256)) * 4)
    assert saved.audio_saved and saved.note is None
    back = S.load_attempt(store, ana.id, saved.attempt_id)
    assert {k: back[k] for k in result} == json.loads(json.dumps(result))
    assert back["has_audio"]
    assert S.attempt_audio(store, ana.id, saved.attempt_id)[0] == b"RIFF" + bytes(range(256)) * 4
    with store.read() as session:
        row = session.get(schema.Attempt, saved.attempt_id)
        assert [w.text for w in row.words] == ["Think", "of", "three"]
        assert [p.expected for p in row.phones][:4] == ["θ", "ɪ", "ŋ", "k"]
        assert row.overall == result["scores"]["overall"]
    other = S.get_or_create_profile(store, "Ben")
    assert S.load_attempt(store, other.id, saved.attempt_id) is None  # not Ben's
    assert S.attempt_audio(store, other.id, saved.attempt_id) is None


def test_engine_result_is_saved_and_read_back(store, tiny_models) -> None:
    """The real engine's output (espeak speech, a real tiny model) round-trips."""
    from accent_coach.engine.assess import assess
    from accent_coach.speech.espeak import synthesize

    audio, rate = synthesize("I think so", voice="us")
    result = assess(audio, "I think so", model=str(tiny_models["ipa_a"]), sample_rate=rate,
                    with_prosody=False).to_dict()
    me = S.get_or_create_profile(store, "Me")
    saved = S.save_attempt(store, me.id, result)
    back = S.load_attempt(store, me.id, saved.attempt_id)
    assert {k: back[k] for k in result} == json.loads(json.dumps(result))
    phones = sum(len(w["phones"]) for w in result["words"])
    assert _count(store, schema.AttemptPhone) == phones > 0


def test_audio_over_the_cap_is_not_kept_but_scores_are(store) -> None:
    me = S.get_or_create_profile(store, "Me")
    saved = S.save_attempt(store, me.id, sample_result(1), audio=b"x" * 3000,
                           audio_max_bytes=2000)
    assert not saved.audio_saved and "cap" in saved.note
    assert S.load_attempt(store, me.id, saved.attempt_id) is not None
    assert _count(store, schema.AttemptAudio) == 0


def test_bad_input_is_a_clear_error_and_saves_nothing(store) -> None:
    me = S.get_or_create_profile(store, "Me")
    for bad in (None, {"words": "no"}, {**sample_result(1), "error": "audio_unusable"}):
        with pytest.raises(S.StorageError) as caught:
            S.save_attempt(store, me.id, bad)
        assert caught.value.code == "attempt_invalid"
    with pytest.raises(S.StorageError) as caught:
        S.save_attempt(store, me.id + 99, sample_result(1))
    assert caught.value.code == "profile_missing"
    with pytest.raises(S.StorageError, match="Type a name"):
        S.get_or_create_profile(store, "   ")
    assert _count(store, schema.Attempt) == 0


def test_a_failure_inside_the_transaction_rolls_everything_back(store) -> None:
    me = S.get_or_create_profile(store, "Me")

    def fail(_session) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        S.save_attempt(store, me.id, sample_result(1), audio=b"RIFF", before_commit=fail)
    for table in (schema.Attempt, schema.AttemptWord, schema.AttemptPhone, schema.AttemptAudio):
        assert _count(store, table) == 0


# --- processes: crash and two writers --------------------------------------------------


def _child(url: str, mode: str, folder: Path, count: int = 0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = ROOT / "tests" / "support" / "storage_child.py"
    return subprocess.Popen(
        [sys.executable, str(child), url, mode, str(folder), str(count)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.communicate()}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def test_killed_mid_save_leaves_nothing_half_written(db_url, tmp_path) -> None:
    proc = _child(db_url, "crash", tmp_path)
    _wait_for(tmp_path / "inside", proc)  # rows of attempt 2 written, not committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = S.open_storage(db_url)
    try:
        per_attempt = sum(len(w["phones"]) for w in sample_result(0)["words"])
        assert _count(store, schema.Attempt) == 1  # the committed one, whole
        assert _count(store, schema.AttemptWord) == 3
        assert _count(store, schema.AttemptPhone) == per_attempt
        assert _count(store, schema.AttemptAudio) == 0
        with store.read() as session:  # the per-day sums hold the committed attempt only
            assert session.scalar(select(func.sum(schema.PhoneDayStat.count))) == per_attempt
        if store.is_sqlite:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        ana = S.get_or_create_profile(store, "Ana")
        S.save_attempt(store, ana.id, sample_result(2))  # nothing left locked
        assert _count(store, schema.Attempt) == 2
    finally:
        S.close_all()


def test_two_processes_writing_at_once_both_save_everything(db_url, tmp_path) -> None:
    """Both start on a brand-new database: concurrent upgrade, then concurrent saves."""
    n = 25
    procs = [_child(db_url, "write", tmp_path, n) for _ in range(2)]
    time.sleep(1.0)
    (tmp_path / "go").write_text("go")
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert f"saved {n}" in out
    store = S.open_storage(db_url)
    try:
        assert [p.name for p in S.list_profiles(store)] == ["Ana"]
        assert _count(store, schema.Attempt) == 2 * n
        assert _count(store, schema.AttemptPhone) == 2 * n * 9
        with store.read() as session:  # concurrent upserts lost nothing
            assert session.scalar(select(func.sum(schema.PhoneDayStat.count))) == 2 * n * 9
    finally:
        S.close_all()


# --- what the Progress page shows ------------------------------------------------------

UTC_PLUS_2 = timezone(timedelta(hours=2))


def _seed(store: S.Storage) -> int:
    me = S.get_or_create_profile(store, "Me").id
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for day in range(6):  # θ improves 20 → 70 over six days; UK on the last two
        for k in range(2):
            S.save_attempt(store, me, sample_result(
                day, accent="uk" if day >= 4 else "us", phone_scores={"θ": 20 + 10 * day}),
                created_at=start + timedelta(days=day, hours=k))
    return me


def test_trend_and_filters_by_date_and_accent(store) -> None:
    me = _seed(store)
    everything = S.score_trend(store, me, S.Filters(tz=UTC))
    assert len(everything) == 12
    assert [r["created_at"] for r in everything] == sorted(r["created_at"] for r in everything)
    by_date = S.score_trend(store, me, S.Filters(date(2026, 3, 2), date(2026, 3, 3), tz=UTC))
    assert {r["created_at"].date() for r in by_date} == {date(2026, 3, 2), date(2026, 3, 3)}
    assert len(S.score_trend(store, me, S.Filters(accent="uk", tz=UTC))) == 4
    assert S.accents_used(store, me) == ["uk", "us"]
    # Local days: 23:00 UTC on 1 March is 2 March at UTC+2.
    S.save_attempt(store, me, sample_result(0), created_at=datetime(2026, 3, 1, 23, 0,
                                                                     tzinfo=UTC))
    late = S.score_trend(store, me, S.Filters(date(2026, 3, 2), date(2026, 3, 2), tz=UTC_PLUS_2))
    assert len(late) == 3


def test_weakness_ranks_sounds_and_shows_the_change(store) -> None:
    me = _seed(store)
    weakest = S.phone_weakness(store, me, S.Filters(tz=UTC))
    assert weakest[0].phone == "θ" and weakest[0].count == 24
    assert weakest[0].mean_score == pytest.approx(45.0)
    assert weakest[0].miss_rate == 1.0  # every θ scored below 80
    daily = [r for r in S.phone_daily(store, me, S.Filters(tz=UTC), ["θ"])]
    assert [r["mean_score"] for r in daily] == [20, 30, 40, 50, 60, 70]
    assert daily[0]["day"] == date(2026, 3, 1) and daily[0]["count"] == 4


def test_streak_and_daily_goal(store) -> None:
    me = _seed(store)
    on_last_day = S.activity(store, me, goal=3, today=date(2026, 3, 6), tz=UTC)
    assert (on_last_day.streak_days, on_last_day.today, on_last_day.total) == (6, 2, 12)
    assert S.activity(store, me, goal=3, today=date(2026, 3, 7), tz=UTC).streak_days == 6
    assert S.activity(store, me, goal=3, today=date(2026, 3, 8), tz=UTC).streak_days == 0


def test_recent_attempts_export_and_delete(store, tmp_path) -> None:
    me = _seed(store)
    other = S.get_or_create_profile(store, "Other").id
    S.save_attempt(store, other, sample_result(1))
    marker = b"SECRET-RECORDING-" * 64
    kept = S.save_attempt(store, me, sample_result(9), audio=marker,
                          created_at=datetime(2026, 3, 7, tzinfo=UTC))
    recent = S.recent_attempts(store, me, S.Filters(tz=UTC), limit=5)
    assert [r["id"] for r in recent][0] == kept.attempt_id and recent[0]["has_audio"]
    assert len(recent) == 5 and not recent[1]["has_audio"]
    rows = S.export_csv(store, me).splitlines()
    assert rows[0].startswith("id,created_at,text,accent") and len(rows) == 14
    exported = json.loads(S.export_json(store, me))["attempts"]
    assert len(exported) == 13 and exported[0]["words"][0]["phones"][0]["expected"] == "θ"
    S.save_conversation(me, _conversation(), storage=store)
    talk = json.loads(S.export_json(store, me))["conversations"]
    assert [t["text"] for t in talk[0]["turns"]] == ["What can I get you?", "A flat white, please."]
    assert talk[0]["turns"][1]["audio"] == "<9 bytes>"

    S.delete_profile_data(store, me)
    assert S.get_profile(store, me) is None
    assert S.get_or_create_profile(store, "Me").id > other  # a deleted id never comes back
    assert [p.name for p in S.list_profiles(store)] == ["Me", "Other"]
    assert _count(store, schema.Attempt) == 1  # Other's attempt stays
    for table in (schema.AttemptAudio, schema.Conversation, schema.ConversationTurn):
        assert _count(store, table) == 0
    with store.read() as session:
        assert session.scalar(select(func.sum(schema.PhoneDayStat.count))) == 9  # Other's
    assert _count(store, schema.AttemptPhone) == 9
    if store.is_sqlite:  # really gone from the files, not just unlinked
        folder = Path(store.url.database).parent
        for path in folder.glob("history.db*"):
            assert b"SECRET-RECORDING-" not in path.read_bytes(), path.name


# --- conversations ---------------------------------------------------------------------


def _conversation() -> dict:
    return {
        "scenario": "Ordering coffee", "level": "A2", "mode": "practice",
        "started_at": "2026-03-01T10:00:00+00:00", "ended_at": "2026-03-01T10:05:00+00:00",
        "summary": "Good use of 'could I'.",
        "turns": [
            {"role": "tutor", "text": "What can I get you?", "transcript": None, "audio": None,
             "feedback": None, "created_at": "2026-03-01T10:00:00+00:00"},
            {"role": "learner", "text": "A flat white, please.",
             "transcript": "a flat white please", "audio": b"RIFF-turn",
             "feedback": {"overall": 81.5, "tips": ["linking"]},
             "created_at": "2026-03-01T10:00:09+00:00"},
        ],
    }


def test_conversation_round_trip(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    conversation = _conversation()
    cid = S.save_conversation(me, conversation, storage=store)
    assert S.load_conversation(me, cid, storage=store) == {"id": cid, **conversation}
    listed = S.list_conversations(me, storage=store)
    assert [(c["id"], c["turn_count"], c["scenario"]) for c in listed] == [
        (cid, 2, "Ordering coffee")]
    other = S.get_or_create_profile(store, "Other").id
    assert S.load_conversation(other, cid, storage=store) is None
    assert S.list_conversations(other, storage=store) == []


def test_bad_conversation_is_refused_whole(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    bad = _conversation()
    bad["turns"][1]["role"] = "narrator"
    with pytest.raises(S.StorageError) as caught:
        S.save_conversation(me, bad, storage=store)
    assert caught.value.code == "conversation_invalid" and "turn 2" in str(caught.value)
    with pytest.raises(S.StorageError, match="mode"):
        S.save_conversation(me, {**_conversation(), "mode": "chat"}, storage=store)
    assert _count(store, schema.Conversation) == 0


# --- settings --------------------------------------------------------------------------


def test_default_database_is_a_sqlite_file_in_the_data_dir(monkeypatch, tmp_path) -> None:
    from accent_coach.config import get_settings

    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ACCENT_COACH_DB_URL", raising=False)
    settings = get_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'accent_coach.db'}"
    assert (settings.save_audio, settings.audio_max_mb, settings.daily_goal) == (False, 10, 10)
    store = S.open_storage()
    try:
        assert (tmp_path / "data" / "accent_coach.db").exists()
        assert store.url.database == str(tmp_path / "data" / "accent_coach.db")
    finally:
        S.close_all()


@pytest.mark.parametrize("var,value", [("ACCENT_COACH_AUDIO_MAX_MB", "lots"),
                                       ("ACCENT_COACH_DAILY_GOAL", "0"),
                                       ("ACCENT_COACH_SAVE_AUDIO", "maybe")])
def test_bad_storage_settings_name_the_variable(monkeypatch, var, value) -> None:
    from accent_coach.config import get_settings

    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        get_settings()


def test_conversations_default_to_the_configured_database(monkeypatch, tmp_path) -> None:
    """The tutor calls ``save_conversation(profile_id, conversation)`` with no storage."""
    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ACCENT_COACH_DB_URL", raising=False)
    try:
        me = S.get_or_create_profile(S.open_storage(), "Me").id
        cid = S.save_conversation(me, _conversation())
        assert S.load_conversation(me, cid)["summary"] == "Good use of 'could I'."
        assert [c["id"] for c in S.list_conversations(me)] == [cid]
    finally:
        S.close_all()


def test_signed_in_learners_get_their_own_hidden_profiles(store) -> None:
    ana = S.profile_for_subject(store, "oidc|1234567890", "Ana Lima")
    assert ana.signed_in and ana.name == "Ana Lima (34567890)"
    assert S.profile_for_subject(store, "oidc|1234567890", "Ana L.") == ana  # keyed by sub
    other = S.profile_for_subject(store, "oidc|999", "Ana Lima")
    assert other.id != ana.id
    assert S.list_profiles(store) == []  # never offered in the local picker
    S.save_attempt(store, ana.id, sample_result(1))
    assert S.recent_attempts(store, other.id, S.Filters()) == []
