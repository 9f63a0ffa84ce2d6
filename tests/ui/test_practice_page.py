"""The Practice page in Streamlit's AppTest: rendering, persistence, uploads, errors.

The full path (upload → Analyse → scores) runs on a tiny random CTC model saved to a
folder, so it is tested on every machine; the same path on the embedded model runs
when that model is installed.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the page imports ui.models, as under `streamlit run`

from streamlit.testing.v1 import AppTest  # noqa: E402

from accent_coach.speech.registry import EMBEDDED_MODEL_DIR  # noqa: E402

PAGE = str(REPO / "pages" / "practice.py")
EMBEDDED_WEIGHTS = EMBEDDED_MODEL_DIR / "model.safetensors"
TEXT = "Think of three things."
TIMEOUT = 120


def _wav(text: str) -> bytes:
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(text, voice="us")
    buf = io.BytesIO()
    sf.write(buf, wav, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _use_model(monkeypatch, name: str) -> None:
    """Point the app at ``name`` and drop any manager built for other settings."""
    import streamlit as st

    from accent_coach.speech.manager import reset_manager

    monkeypatch.setenv("ACCENT_COACH_MODEL", name)
    reset_manager()
    st.cache_resource.clear()


@pytest.fixture()
def tiny_model_dir(tmp_path_factory) -> Path:
    from accent_coach.engine.g2p import text_to_phones
    from tests.support.tiny_models import build_tiny_ctc

    vocab = ["<pad>", "<unk>", "|", *sorted(set(text_to_phones(TEXT)))]
    return build_tiny_ctc(tmp_path_factory.mktemp("tiny-ctc"), vocab=vocab)


def _page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[f"practice.{key}"] = value
    return at.run()


def _custom_page(text: str) -> AppTest:
    at = _page(source="custom", custom=text, take="upload")
    assert not at.exception, at.exception
    return at


def _upload_and_analyse(at: AppTest, name: str, data: bytes, mime: str) -> AppTest:
    at.file_uploader[0].set_value((name, data, mime))
    at.run()
    analyse = next(b for b in at.button if b.label == "Analyse")
    assert not analyse.disabled
    analyse.click()
    return at.run()


def test_page_renders_library_sentence_and_references(monkeypatch, tmp_path) -> None:
    _use_model(monkeypatch, str(tmp_path / "no-model-here"))
    at = _page()
    assert not at.exception, at.exception
    assert at.title[0].value == "Practice"
    sentence = at.selectbox(key="_w.practice.sentence")
    assert sentence.value in sentence.options and len(sentence.options) >= 30
    assert any(sentence.value in m.value for m in at.markdown)
    captions = [c.value for c in at.caption]
    assert captions[0].startswith("Say it like this: /") and "ˈ" in captions[0]  # IPA + stress
    assert captions[1:3] == ["Normal speed", "Slow speed"]
    assert len(at.get("audio")) == 2
    assert len(at.get("audio_input")) == 1


def test_library_filters_by_level_and_sound(monkeypatch, tmp_path) -> None:
    _use_model(monkeypatch, str(tmp_path / "none"))
    at = _page(level="advanced", sound="θ")
    options = at.selectbox(key="_w.practice.sentence").options
    from accent_coach.practice.sentences import filter_sentences

    assert options == [s.text for s in filter_sentences("advanced", "θ")]


def test_custom_text_and_choices_persist_across_reruns(monkeypatch, tmp_path) -> None:
    _use_model(monkeypatch, str(tmp_path / "none"))
    at = _page()
    at.radio(key="_w.practice.source").set_value("custom").run()
    at.text_area(key="_w.practice.custom").input("Three thin thieves.").run()
    at.radio(key="_w.practice.accent").set_value("uk").run()
    at.radio(key="_w.practice.source").set_value("library").run()
    at.radio(key="_w.practice.source").set_value("custom").run()
    assert not at.exception, at.exception
    assert at.text_area(key="_w.practice.custom").value == "Three thin thieves."
    assert at.session_state["practice.accent"] == "uk"
    assert any(m.value == "### Three thin thieves." for m in at.markdown)


def test_missing_embedded_model_is_said_plainly(monkeypatch, tmp_path) -> None:
    from accent_coach.speech import registry

    # a fresh clone before training: the package's model folder holds no weights yet
    monkeypatch.setattr(registry, "EMBEDDED_MODEL_DIR", tmp_path / "whisper-tiny-ipa-ctc")
    assert not registry.embedded_installed()
    _use_model(monkeypatch, "embedded")
    at = _custom_page(TEXT)
    at.file_uploader[0].set_value(("take.wav", _wav(TEXT), "audio/wav")).run()
    assert any("not installed" in w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Analyse").disabled
    assert not at.metric


def test_upload_and_analyse_shows_scores_words_and_cache(monkeypatch, tiny_model_dir) -> None:
    _use_model(monkeypatch, str(tiny_model_dir))
    at = _upload_and_analyse(_custom_page(TEXT), "take.wav", _wav(TEXT), "audio/wav")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [m.label for m in at.metric] == [
        "Accuracy",
        "Completeness",
        "Fluency",
        "Prosody",
        "Overall",
    ]
    words = [e for e in at.expander if "/100" in e.label and not e.label.startswith("extra")]
    assert [e.label.split(":")[0] for e in words] == ["Think", "of", "three", "things"]
    assert len(at.dataframe) >= 1
    assert len(at.get("plotly_chart")) == 1  # intonation over the waveform, one time axis
    assert not any("from the result cache" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Analyse").click()
    at.run()
    assert any("from the result cache" in c.value for c in at.caption)


def test_drill_button_sets_the_practice_text(monkeypatch, tiny_model_dir) -> None:
    from accent_coach.practice.drills import drill_for

    _use_model(monkeypatch, str(tiny_model_dir))
    at = _upload_and_analyse(_custom_page(TEXT), "take.wav", _wav(TEXT), "audio/wav")
    result = at.session_state["practice.analysis"]["analysis"].result
    drill = drill_for(result)
    button = next(b for b in at.button if "Drill" in b.label)
    if drill is None:  # a random model can, rarely, like every word
        assert button.disabled
        return
    button.click()
    at.run()
    assert not at.exception, at.exception
    assert at.text_area(key="_w.practice.custom").value == drill.text
    assert any("Drill:" in s.value for s in at.success)


def test_corrupt_upload_shows_an_error_not_a_traceback(monkeypatch, tiny_model_dir) -> None:
    _use_model(monkeypatch, str(tiny_model_dir))
    at = _upload_and_analyse(_custom_page(TEXT), "broken.mp3", b"ID3\x03garbage" * 50, "audio/mpeg")
    assert not at.exception, at.exception
    assert any("could not decode" in e.value.lower() for e in at.error)
    assert not at.metric


def test_unpronounceable_text_shows_an_error(monkeypatch, tiny_model_dir) -> None:
    _use_model(monkeypatch, str(tiny_model_dir))
    at = _upload_and_analyse(_custom_page("🙂 🙂"), "take.wav", _wav(TEXT), "audio/wav")
    assert not at.exception, at.exception
    assert at.error and not at.metric


@pytest.mark.skipif(
    not EMBEDDED_WEIGHTS.is_file(), reason=f"embedded model absent ({EMBEDDED_WEIGHTS})"
)
def test_embedded_model_scores_a_real_recording(monkeypatch) -> None:
    _use_model(monkeypatch, "embedded")
    at = _upload_and_analyse(_custom_page(TEXT), "take.wav", _wav(TEXT), "audio/wav")
    assert not at.exception and not at.error, [e.value for e in at.error]
    overall = next(m for m in at.metric if m.label == "Overall")
    assert float(overall.value.split()[0]) > 0
    assert [e.label.split(":")[0] for e in at.expander if "/100" in e.label
            and not e.label.startswith("extra")] == [
        "Think",
        "of",
        "three",
        "things",
    ]
    assert at.dataframe


def test_typed_text_survives_a_page_switch(monkeypatch, tmp_path) -> None:
    _use_model(monkeypatch, str(tmp_path / "none"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.radio(key="_w.practice.source").set_value("custom").run()
    at.text_area(key="_w.practice.custom").input("Three thin thieves.").run()
    at.switch_page("pages/settings.py").run()
    assert [t.value for t in at.title] == ["Settings"]
    at.switch_page("pages/practice.py").run()
    assert not at.exception, at.exception
    assert at.text_area(key="_w.practice.custom").value == "Three thin thieves."


def test_letter_model_gets_labelled_word_level_results(monkeypatch, tmp_path) -> None:
    from tests.support.tiny_models import CHAR_VOCAB, build_tiny_ctc

    _use_model(monkeypatch, str(build_tiny_ctc(tmp_path / "chars", vocab=CHAR_VOCAB)))
    at = _upload_and_analyse(_custom_page(TEXT), "take.wav", _wav(TEXT), "audio/wav")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("word-level fallback" in w.value for w in at.warning)
    assert any("word-level results only" in c.value for c in at.caption)
    assert [m.label for m in at.metric][0] == "Accuracy"
