# ruff: noqa: F811  (the tiny_model_dir fixture is imported)
"""The Practice page as a learner meets it (issue #12), in Streamlit's AppTest: results
belong to their take and text, the take survives page switches, the scores explain
themselves, the learner can listen back, and a wrong sentence is called out."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_practice_page import (
    EMBEDDED_WEIGHTS,
    REPO,
    TEXT,
    TIMEOUT,
    _custom_page,
    _upload_and_analyse,
    _use_model,
    _wav,
    tiny_model_dir,  # noqa: F401  (fixture)
)


def _analysed(monkeypatch, model: str, text: str = TEXT, spoken: str = TEXT) -> AppTest:
    _use_model(monkeypatch, model)
    at = _upload_and_analyse(_custom_page(text), "take.wav", _wav(spoken), "audio/wav")
    assert not at.exception, at.exception
    return at


def test_results_hide_when_the_text_changes_and_come_back(monkeypatch, tiny_model_dir) -> None:
    at = _analysed(monkeypatch, str(tiny_model_dir))
    assert at.metric
    at.text_area(key="_w.practice.custom").input("Three thin thieves.").run()
    assert not at.metric
    assert any("another take or text" in i.value for i in at.info)
    at.text_area(key="_w.practice.custom").input(TEXT).run()
    assert at.metric  # the same take and text again: its results are still valid


def test_an_error_clears_the_previous_results(monkeypatch, tiny_model_dir) -> None:
    at = _analysed(monkeypatch, str(tiny_model_dir))
    assert at.metric
    at.file_uploader[0].set_value(("silence.wav", _silent_wav(), "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyse").click()
    at.run()
    assert at.error and not at.metric


def _silent_wav() -> bytes:
    import io

    import numpy as np
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.zeros(16000 * 2, dtype=np.float32), 16000, format="WAV")
    return buf.getvalue()


def test_the_take_survives_a_page_switch_and_can_be_discarded(monkeypatch, tiny_model_dir) -> None:
    _use_model(monkeypatch, str(tiny_model_dir))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.session_state["practice.source"] = "custom"
    at.session_state["practice.custom"] = TEXT
    at.session_state["practice.take"] = "upload"
    at.run()
    at.file_uploader[0].set_value(("take.wav", _wav(TEXT), "audio/wav")).run()
    assert any("Your take (take.wav)" in c.value for c in at.caption)
    at.switch_page("pages/settings.py").run()
    at.switch_page("pages/practice.py").run()
    assert not at.exception, at.exception
    assert any("Your take (take.wav)" in c.value for c in at.caption)
    analyse = next(b for b in at.button if b.label == "Analyse")
    assert not analyse.disabled  # the kept take can be analysed without uploading again
    next(b for b in at.button if b.label == "Discard").click()
    at.run()
    assert not any("Your take" in c.value for c in at.caption)
    assert next(b for b in at.button if b.label == "Analyse").disabled


def test_scores_explain_themselves_and_the_table_reads_plainly(monkeypatch, tiny_model_dir) -> None:
    at = _analysed(monkeypatch, str(tiny_model_dir))
    assert all(m.help for m in at.metric)
    assert any("Recognizer certainty for this take" in c.value for c in at.caption)
    assert any(e.label == "What do these scores mean?" for e in at.expander)
    legend = next(c.value for c in at.caption if "good (80+)" in c.value)
    assert "poor (below 60)" in legend and "needs work" not in legend
    table = at.dataframe[-1].value
    assert list(table.columns) == [
        "word", "expected", "heard", "score", "verdict", "likely instead", "start (s)",
        "end (s)",
    ]
    assert not table.astype(str).isin(["None", "none", "nan"]).any().any()


def test_listen_back_to_the_take_and_a_word(monkeypatch, tiny_model_dir) -> None:
    at = _analysed(monkeypatch, str(tiny_model_dir))
    word = at.selectbox(key="results.word")
    assert word.options and word.options[0].startswith("Think")
    assert len(at.get("audio")) >= 5  # references ×2, kept take, results take, word ×2


def test_emoji_are_named_as_left_out(monkeypatch, tiny_model_dir) -> None:
    _use_model(monkeypatch, str(tiny_model_dir))
    at = _custom_page("Think of three things 😀 today.")
    assert any("Not read aloud and not scored: 😀" in c.value for c in at.caption)


@pytest.mark.skipif(
    not EMBEDDED_WEIGHTS.is_file(), reason=f"embedded model absent ({EMBEDDED_WEIGHTS})"
)
def test_a_different_sentence_is_called_out(monkeypatch) -> None:
    at = _analysed(
        monkeypatch, "embedded", text=TEXT, spoken="The weather was cold and windy all week."
    )
    assert any("did you read the right text" in e.value for e in at.error)
    assert any(e.label == "Show the scores anyway" for e in at.expander)
    right = _analysed(monkeypatch, "embedded")
    assert not any("did you read the right text" in e.value for e in right.error)
