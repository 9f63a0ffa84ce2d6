"""Settings → Models through the real app: lifecycle table, cache statistics, values in force."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from accent_coach.service import result_cache

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _tables(at: AppTest) -> str:
    return " ".join(t.value.to_csv() for t in at.table)


def test_models_cache_and_configuration_in_force(fresh_manager, monkeypatch, tiny_models,
                                                 tmp_path, load_counts):
    model = str(tiny_models["ipa_a"])
    monkeypatch.setenv("ACCENT_COACH_MODEL", model)
    monkeypatch.setenv("ACCENT_COACH_IDLE_UNLOAD", "recognizer=300")
    monkeypatch.setenv("ACCENT_COACH_API_KEY", "do-not-show")
    monkeypatch.setattr(result_cache, "_DEFAULT", result_cache.ResultCache(tmp_path / "r"))
    result_cache.default_cache().put("k" * 64, {"scores": {}})
    assert result_cache.default_cache().get("k" * 64)

    fresh_manager.get_manager().load_model(model)  # as the API or a warm-up would
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    assert load_counts["from_pretrained"] == 1  # loaded once, not again per page
    tables = _tables(at)
    for expected in ("recognizer", "cpu", "float32", "recognizer=300 s"):
        assert expected in tables, expected
    assert re.search(r"\bin (29\d|300) s\b", tables)  # the idle countdown
    assert "do-not-show" not in tables and "(set)" in tables
    assert [m.value for m in at.metric][:2] == ["1", "0"]  # one hit, no miss

    at.button(key="settings_clear_cache").click().run()
    assert any("Removed 1 cached results" in i.value for i in at.info)
    at.button(key="settings_unload").click().run()
    assert not fresh_manager.get_manager().loaded_models()
    at.run()  # the next rerun: nothing loaded, nothing reloaded, Unload disabled
    assert at.button(key="settings_unload").disabled and load_counts["from_pretrained"] == 1
    assert any("No speech model is loaded" in i.value for i in at.info)
