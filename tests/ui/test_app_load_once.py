"""The app loads a model once per process: across reruns, sessions, and only again on a switch.

Driven through the real app with ``streamlit.testing.v1.AppTest``; loading is
real (a tiny Wav2Vec2 on disk), only counted by spies that call through.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def new_session() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


@pytest.fixture
def spinners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts of the model-loading ``st.spinner``s (spinners leave no element behind)."""
    opened: list[str] = []
    real = st.spinner

    def spinner(text: str = "", *args, **kwargs):
        if text.startswith("Loading speech model"):
            opened.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(st, "spinner", spinner)
    return opened


def load_toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast if t.value.startswith("Loaded")]


def sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_model_loads_once_across_reruns_and_sessions_then_once_per_switch(
    fresh_manager, tiny_models, load_counts: Counter, spinners: list[str], monkeypatch
):
    model_a, model_b = tiny_models["ipa_a"], tiny_models["ipa_b"]
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(model_a))

    first = new_session().run()
    assert not first.exception
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    assert len(spinners) == 1 and str(model_a) in spinners[0]
    assert len(load_toasts(first)) == 1
    assert str(model_a) in sidebar_text(first)

    second = new_session()
    for _ in range(6):  # 12 further reruns over two browser sessions
        first.run()
        second.run()
        assert not first.exception and not second.exception
        assert load_toasts(first) == [] and load_toasts(second) == []
        assert str(model_a) in sidebar_text(second)
    assert (load_counts["from_pretrained"], load_counts["to"]) == (1, 1)
    assert len(spinners) == 1

    # Session 2 switches to model B in Settings: exactly one more load, with feedback.
    second.switch_page("pages/settings.py").run()
    second.radio(key="settings_source").set_value("local").run()
    second.text_input(key="settings_local").input(str(model_b)).run()
    assert (load_counts["from_pretrained"], len(spinners)) == (1, 1)
    second.button(key="settings_load").click().run()
    assert not second.exception
    assert (load_counts["from_pretrained"], load_counts["to"]) == (2, 2)
    assert len(spinners) == 2 and str(model_b) in spinners[1]
    assert len(load_toasts(second)) == 1
    assert any(str(model_b) in s.value for s in second.success)

    for _ in range(5):  # both sessions now use B without loading it again
        first.run()
        second.run()
        assert load_toasts(first) == [] and load_toasts(second) == []
    assert str(model_b) in sidebar_text(first)
    assert (load_counts["from_pretrained"], load_counts["to"]) == (2, 2)
    assert len(spinners) == 2
    assert fresh_manager.get_manager().status()["loads"] == 2


def test_failed_switch_keeps_previous_model_without_spinner(
    fresh_manager, tiny_models, load_counts: Counter, spinners: list[str], monkeypatch
):
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(tiny_models["ipa_a"]))
    at = new_session().run()
    at.switch_page("pages/settings.py").run()
    at.radio(key="settings_source").set_value("known").run()
    at.selectbox(key="settings_known").set_value("facebook/wav2vec2-base-960h").run()
    at.button(key="settings_load").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "accent-coach fetch facebook/wav2vec2-base-960h" in errors
    assert any("Still using" in i.value for i in at.info)
    assert str(tiny_models["ipa_a"]) in sidebar_text(at)
    assert (load_counts["from_pretrained"], len(spinners)) == (1, 1)


def test_unload_then_no_preload_until_asked(
    fresh_manager, tiny_models, load_counts: Counter, monkeypatch
):
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(tiny_models["ipa_a"]))
    at = new_session().run()
    at.switch_page("pages/settings.py").run()
    at.button(key="settings_unload").click().run()
    assert not at.exception and fresh_manager.get_manager().current is None
    at.run()
    assert load_counts["from_pretrained"] == 1
    assert "none loaded" in sidebar_text(at)
    at.radio(key="settings_source").set_value("local").run()
    at.text_input(key="settings_local").input(str(tiny_models["ipa_a"])).run()
    at.button(key="settings_load").click().run()
    assert load_counts["from_pretrained"] == 2 and len(load_toasts(at)) == 1


def test_learned_scorer_loads_once_with_its_recognizer_across_sessions(
    tmp_path, fresh_manager, tiny_models, load_counts: Counter, spinners: list[str],
    monkeypatch
):
    """The learned scorer is a model kind like the recognizer: one load, one spinner, one
    toast per process, however many reruns and sessions — and a recognizer it was not
    trained on never loads it."""
    from accent_coach.speech.loaders import scorer as scorer_loader
    from accent_coach.speech.registry import EXPERT_SCORER, SCORERS, ModelSpec
    from accent_coach.speech.scorer import file_sha256
    from tests.support.tiny_models import build_tiny_scorer

    model_a, model_b = tiny_models["ipa_a"], tiny_models["ipa_b"]
    build_tiny_scorer(tmp_path / "scorer", file_sha256(model_a / "model.safetensors"))
    monkeypatch.setitem(SCORERS, EXPERT_SCORER, ModelSpec(
        EXPERT_SCORER, "package", str(tmp_path / "scorer"), kind="scorer"))
    scorer_loader.trained_on_sha256.cache_clear()
    scorer_loads: list[str] = []
    real_load = scorer_loader.load_scorer
    monkeypatch.setattr(scorer_loader, "load_scorer",
                        lambda *a, **k: scorer_loads.append("load") or real_load(*a, **k))
    scorer_spinners: list[str] = []
    real_spinner = st.spinner

    def spinner(text: str = "", *args, **kwargs):
        if text.startswith("Loading scorer"):
            scorer_spinners.append(text)
        return real_spinner(text, *args, **kwargs)

    monkeypatch.setattr(st, "spinner", spinner)

    def scorer_toasts(at: AppTest) -> list[str]:
        return [t.value for t in at.toast if t.value.startswith("Loaded scorer")]

    monkeypatch.setenv("ACCENT_COACH_MODEL", str(model_b))  # not the scorer's recognizer
    other = new_session().run()
    assert not other.exception and scorer_loads == [] and scorer_spinners == []

    fresh_manager.reset_manager()
    st.cache_resource.clear()
    monkeypatch.setenv("ACCENT_COACH_MODEL", str(model_a))
    first = new_session().run()
    assert not first.exception
    assert scorer_loads == ["load"] and len(scorer_spinners) == 1
    assert len(scorer_toasts(first)) == 1
    second = new_session()
    for _ in range(5):
        first.run()
        second.run()
        assert not first.exception and not second.exception
        assert scorer_toasts(first) == [] and scorer_toasts(second) == []
    assert scorer_loads == ["load"] and len(scorer_spinners) == 1
    kinds = {row["id"]: row["kind"] for row in fresh_manager.get_manager().loaded_models()}
    assert kinds.get(EXPERT_SCORER) == "scorer"
    scorer_loader.trained_on_sha256.cache_clear()
