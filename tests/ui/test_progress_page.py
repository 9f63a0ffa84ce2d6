"""The Progress page and the Practice page's history features, in AppTest, on a real
SQLite history under a temp ``ACCENT_COACH_DATA_DIR``."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support.storage_samples import sample_result

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from accent_coach import storage as S  # noqa: E402
from accent_coach.storage import schema  # noqa: E402

TIMEOUT = 120


@pytest.fixture
def history(monkeypatch, tmp_path, fresh_manager):
    """An empty history database for the app (the default SQLite file in the data dir)."""
    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ACCENT_COACH_DB_URL", raising=False)
    monkeypatch.setattr(
        "accent_coach.speech.registry.EMBEDDED_MODEL_DIR", tmp_path / "no-model")
    S.close_all()
    yield S.open_storage()
    S.close_all()


def _seed(store: S.Storage) -> int:
    """Three days in a row up to today (US), plus two UK takes; one recording kept."""
    me = S.get_or_create_profile(store, "Me").id
    now = datetime.now().astimezone()
    for days_ago in (2, 1, 0):
        for k in range(2):
            S.save_attempt(store, me, sample_result(days_ago + k, phone_scores={"θ": 30}),
                           created_at=now - timedelta(days=days_ago, minutes=k))
    S.save_attempt(store, me, sample_result(7, accent="uk", text="Three thin things"),
                   created_at=now - timedelta(days=1, hours=1), audio=b"RIFF-kept-take")
    return me


def _progress() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_progress_shows_streak_goal_trends_weakness_and_attempts(history) -> None:
    _seed(history)
    at = _progress()
    metrics = _metrics(at)
    assert (metrics["Streak"], metrics["Today"], metrics["Attempts"]) == ("3 days", "2 / 10", "7")
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # trend, weakest sounds, their change
    weakest = json.loads(charts[1].proto.spec)["data"][0]["x"]
    assert weakest[0] == "/θ/"  # θ (30) is the weakest sound
    assert len(at.get("download_button")) == 2
    picker = at.selectbox(key="progress.attempt")
    assert len(picker.options) == 7
    # Accent filter: only the UK take, whose recording was kept → replay.
    next(s for s in at.selectbox if s.label == "Accent").set_value("uk").run()
    assert not at.exception, at.exception
    assert len(at.selectbox(key="progress.attempt").options) == 1
    assert at.get("audio"), "the kept recording is offered for replay"
    # Date filter: today only (both accents) → today's two takes.
    next(s for s in at.selectbox if s.label == "Accent").set_value("all").run()
    today = datetime.now().astimezone().date()
    at.date_input(key="_w.progress.range").set_value((today, today)).run()
    assert not at.exception, at.exception
    assert len(at.selectbox(key="progress.attempt").options) == 2


def test_delete_my_data_needs_confirmation_then_really_deletes(history) -> None:
    me = _seed(history)
    at = _progress()
    at.button[[b.label for b in at.button].index("Delete everything")].click().run()
    assert any("Type DELETE" in w.value for w in at.warning)
    assert S.get_profile(history, me) is not None
    at.text_input(key="_w.progress.confirm").set_value("DELETE").run()
    at.button[[b.label for b in at.button].index("Delete everything")].click().run()
    assert not at.exception, at.exception
    assert any("deleted" in s.value for s in at.success)
    assert S.get_profile(history, me) is None
    with history.read() as session:
        assert session.query(schema.Attempt).count() == 0
        assert session.query(schema.AttemptAudio).count() == 0
    assert _metrics(at)["Attempts"] == "0"  # a fresh, empty profile


def test_profiles_are_created_in_the_sidebar_and_kept_apart(history) -> None:
    _seed(history)
    at = _progress()
    at.selectbox(key="_w.profile.pick").set_value("➕ New profile…").run()
    at.text_input(key="_w.profile.new_name").set_value("Ben").run()
    next(b for b in at.button if b.label == "Create profile").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="_w.profile.pick").value == "Ben"
    assert _metrics(at)["Attempts"] == "0"
    at.run()  # remembered across reruns
    assert at.selectbox(key="_w.profile.pick").value == "Ben"
    at.selectbox(key="_w.profile.pick").set_value("Me").run()
    assert _metrics(at)["Attempts"] == "7"


def test_a_broken_database_setting_is_a_message(monkeypatch, history) -> None:
    monkeypatch.setenv("ACCENT_COACH_DB_URL", "nosuchdb://x")
    at = _progress()
    assert any("History is unavailable" in w.value for w in at.warning)


# --- the Practice page's side: saving takes, "Practise my weak sounds" -----------------


@pytest.fixture
def practice_model(tmp_path_factory) -> Path:
    """A tiny real CTC model over the practice sentence's phones (as the Practice tests)."""
    from accent_coach.engine.g2p import text_to_phones
    from tests.support.tiny_models import build_tiny_ctc
    from tests.ui.test_practice_page import TEXT

    vocab = ["<pad>", "<unk>", "|", *sorted(set(text_to_phones(TEXT)))]
    return build_tiny_ctc(tmp_path_factory.mktemp("tiny-ctc"), vocab=vocab)


def test_practice_saves_each_take_once_and_offers_weak_sounds(
    monkeypatch, history, practice_model
) -> None:
    from accent_coach.practice.sentences import load_sentences
    from tests.ui.test_practice_page import TEXT, _upload_and_analyse, _use_model, _wav

    _use_model(monkeypatch, str(practice_model))
    at = AppTest.from_file(str(REPO / "pages" / "practice.py"), default_timeout=TIMEOUT)
    at.session_state["practice.source"] = "custom"
    at.session_state["practice.custom"] = TEXT
    at.session_state["practice.take"] = "upload"
    at.session_state["profile.keep_audio"] = True
    take = _wav(TEXT)
    at = _upload_and_analyse(at.run(), "take.wav", take, "audio/wav")
    assert not at.exception, at.exception
    me = S.get_or_create_profile(history, "Me").id
    saved = S.recent_attempts(history, me, S.Filters())
    assert [(r["text"], r["has_audio"]) for r in saved] == [(TEXT, True)]
    assert S.attempt_audio(history, me, saved[0]["id"]) == (take, "audio/wav")
    stored = S.load_attempt(history, me, saved[0]["id"])
    shown = at.session_state["practice.analysis"]["analysis"].result
    assert stored["scores"] == shown["scores"]
    next(b for b in at.button if b.label == "Analyse").click().run()  # same take, cached
    assert len(S.recent_attempts(history, me, S.Filters())) == 1

    next(b for b in at.button if "weak sounds" in b.label).click().run()
    assert not at.exception, at.exception
    assert at.session_state["practice.source"] == "library"
    assert at.session_state["practice.sentence"] in {s.text for s in load_sentences()}
    assert any(s.value.startswith("Weak sounds") for s in at.success)

    # Deleting the data also removes the cached results of their takes (files on disk).
    from accent_coach.service.result_cache import default_cache

    def cached_texts() -> list[str]:
        folder = default_cache().directory
        return [json.loads(p.read_text("utf-8")).get("text") for p in folder.glob("*.json")]

    assert TEXT in cached_texts()
    page = _progress()
    page.text_input(key="_w.progress.confirm").set_value("DELETE").run()
    page.button[[b.label for b in page.button].index("Delete everything")].click().run()
    assert not page.exception, page.exception
    assert S.get_profile(history, me) is None
    assert TEXT not in cached_texts()


def test_with_oidc_configured_history_waits_for_sign_in(history) -> None:
    """An ``[auth]`` section switches profiles to sign-in: nobody sees local profiles."""
    _seed(history)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "test-only", "client_id": "x", "client_secret": "y",
                          "server_metadata_url": "https://id.example/.well-known/openid"}
    at.run()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    assert any("Sign in" in w.value for w in at.warning)
    assert [b.label for b in at.sidebar.button] == ["Sign in"]
    assert not at.metric  # Me's history is not shown to an anonymous visitor
