"""A finished tutor conversation lands in the learner's history (issue #10 × #9): typed
to its end on the real Tutor page, then read back from the real SQLite database."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from accent_coach import storage as S
from accent_coach.tutor.builtin import script_state
from accent_coach.tutor.scenarios import get_scenario, scenarios
from tests.ui.test_progress_page import history  # noqa: F401  (fixture)
from tests.ui.test_tutor_page import APP, TIMEOUT, _type


def test_finished_conversation_is_saved_once(history) -> None:  # noqa: F811
    key = sorted(scenarios())[0]
    spec = get_scenario(key)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["tutor.scenario"] = key
    at.session_state["tutor.level"] = "B1"
    at.run()
    at.switch_page("pages/tutor.py").run()
    assert not at.exception, at.exception
    while at.session_state["tutor.conversation"]["ended_at"] is None:
        # a model answer may answer a later question too (the café's "a large latte")
        step = script_state(at.session_state["tutor.conversation"]).step
        _type(at, spec.steps[step].model["B1"])
    at.run()  # a rerun must not save it again
    profiles = S.list_profiles(history)
    assert len(profiles) == 1
    saved = S.list_conversations(profiles[0].id, storage=history)
    assert len(saved) == 1, saved
    assert (saved[0]["scenario"], saved[0]["level"]) == (key, "B1")
    assert saved[0]["ended_at"] and saved[0]["summary"]
    turns = S.load_conversation(profiles[0].id, saved[0]["id"], storage=history)["turns"]
    assert [t["role"] for t in turns[:2]] == ["tutor", "learner"]
    assert turns[1]["text"] == spec.steps[0].model["B1"]
