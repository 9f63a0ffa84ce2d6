"""The background warm-up (ACCENT_COACH_PRELOAD=1, the shipped default): the page
renders without waiting for the model, the model is loaded exactly once, in the
background, and the sidebar then shows it without a spinner."""

from __future__ import annotations

from collections import Counter

from tests.ui.test_app_load_once import new_session, spinners  # noqa: F401  (fixture)


def test_warm_up_loads_once_in_the_background(
    fresh_manager, tiny_models, load_counts: Counter, spinners: list[str], monkeypatch  # noqa: F811
) -> None:
    import streamlit as st

    from ui.warmup import warm_up

    monkeypatch.setenv("ACCENT_COACH_PRELOAD", "1")
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(tiny_models["ipa_a"]))
    st.cache_resource.clear()  # a new server process: the warm-up starts afresh
    first = new_session().run()
    assert not first.exception, first.exception
    state = warm_up()
    state.thread.join(timeout=120)
    assert state.done and state.error is None and state.stage == "ready", state
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    again = new_session().run()
    assert str(tiny_models["ipa_a"]) in " ".join(c.value for c in again.sidebar.caption)
    for _ in range(3):
        first.run()
        again.run()
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    assert spinners == []  # the learner never waited on a load spinner


def test_preload_off_loads_on_first_use(fresh_manager, tiny_models, load_counts, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("ACCENT_COACH_PRELOAD", "0")
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(tiny_models["ipa_a"]))
    st.cache_resource.clear()
    at = new_session().run()
    assert not at.exception
    assert "getting ready" not in " ".join(c.value for c in at.sidebar.caption)
    assert load_counts["from_pretrained"] == 1  # the sidebar's load, as before
