# ruff: noqa: F811  (pytest fixtures imported from e2e.py, used as arguments)
"""The Practice page and Settings in a real browser: record with a (fake) microphone,
upload a file, switch model — against `streamlit run app.py` on 127.0.0.1."""

from __future__ import annotations

import pytest
import soundfile as sf

from tests.support.e2e import (  # noqa: F401  (fixtures)
    SPOKEN,
    app_url,
    browser,
    fake_mic_wav,
    page,
    screenshot,
    wait_idle,
    wait_until_enabled,
    word_labels,
    word_scores,
)

pytestmark = pytest.mark.e2e
RESULTS_SECONDS = 120_000  # ms: the first analysis may load the model


def _type_own_text(tab, text: str) -> None:
    tab.get_by_text("My own text", exact=True).click()
    box = tab.get_by_label("Your text")
    box.fill(text)
    box.press("Control+Enter")  # text_area commits on Ctrl+Enter or blur
    tab.get_by_role("heading", name=text).wait_for()
    wait_idle(tab)


def _analyse(tab) -> list[str]:
    wait_idle(tab)  # a click during the upload's rerun can be lost
    button = tab.get_by_role("button", name="Analyse")
    wait_until_enabled(button)
    button.click()
    tab.get_by_role("heading", name="Results").wait_for(timeout=RESULTS_SECONDS)
    first_word = tab.locator('span[aria-label*="/100"]').first
    first_word.wait_for()
    first_word.scroll_into_view_if_needed()
    return word_labels(tab)


def test_record_with_microphone_and_see_word_scores(page) -> None:
    _type_own_text(page, SPOKEN)
    record = page.locator('[data-testid="stAudioInputActionButton"]')
    record.click()
    page.wait_for_timeout(3500)  # the fake microphone says SPOKEN once in ~3.3 s
    assert record.get_attribute("aria-label") == "Stop recording"
    record.click()
    labels = _analyse(page)
    screenshot(page, "practice-recorded-results")
    scores = word_scores(labels)
    assert list(scores) == ["think", "of", "three", "things"], labels
    assert sum(scores.values()) / len(scores) >= 60, labels  # its own text: mostly good


def test_upload_a_file_and_see_word_scores(page, fake_mic_wav, tmp_path) -> None:
    _type_own_text(page, SPOKEN)
    page.get_by_text("Upload a file").click()
    samples, sr = sf.read(fake_mic_wav, dtype="float32")
    upload = tmp_path / "my-take.flac"
    sf.write(upload, samples, sr, format="FLAC")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    page.get_by_text("my-take.flac").wait_for()
    labels = _analyse(page)
    screenshot(page, "practice-uploaded-results")
    scores = word_scores(labels)
    assert list(scores) == ["think", "of", "three", "things"], labels
    assert sum(scores.values()) / len(scores) >= 60, labels


def test_corrupt_upload_is_a_message_not_a_traceback(page, tmp_path) -> None:
    _type_own_text(page, SPOKEN)
    page.get_by_text("Upload a file").click()
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" + bytes(range(256)) * 4)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("broken.wav").wait_for()
    button = page.get_by_role("button", name="Analyse")
    wait_until_enabled(button)
    button.click()
    alert = page.locator('[data-testid="stAlertContentError"]')
    alert.first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "audio" in alert.first.inner_text().lower()


def test_switch_model_in_settings_changes_the_status(page, tmp_path) -> None:
    from tests.support.tiny_models import build_tiny_ctc

    folder = build_tiny_ctc(tmp_path / "tiny-ipa")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Speech model: embedded", exact=False).wait_for()
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="Settings").wait_for()
    page.get_by_text("Local folder", exact=True).click()
    box = page.get_by_label("Model folder")
    box.fill(str(folder))
    box.press("Enter")
    load = page.get_by_role("button", name="Load", exact=True)
    wait_until_enabled(load)
    load.click()
    page.get_by_text(f"In use: {folder}", exact=False).wait_for()
    sidebar.get_by_text(f"Speech model: {folder}", exact=False).wait_for()
    screenshot(page, "settings-switched-model")
    page.get_by_role("button", name="Unload", exact=True).click()
    page.get_by_text("No speech model is loaded", exact=False).wait_for()
    # Back to the shipped model: the server is shared by this module's tests.
    page.get_by_text("Embedded (ships with the app)", exact=True).click()
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("In use: embedded", exact=False).wait_for()


def test_a_different_sentence_gets_the_wrong_text_warning(page, fake_mic_wav, tmp_path) -> None:
    _type_own_text(page, "The weather was cold and windy all week.")
    page.get_by_text("Upload a file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake_mic_wav))
    page.get_by_text(fake_mic_wav.name).wait_for()
    button = page.get_by_role("button", name="Analyse")
    wait_until_enabled(button)
    button.click()
    alert = page.get_by_text("did you read the right text?", exact=False).first
    alert.wait_for(timeout=RESULTS_SECONDS)
    alert.scroll_into_view_if_needed()
    screenshot(page, "practice-wrong-sentence")
    assert page.get_by_text("Show the scores anyway").count() == 1


def test_a_second_take_of_another_text_is_analysed_too(page, tmp_path) -> None:
    from accent_coach.speech.espeak import synthesize

    for n, text in enumerate(("Think of three things.", "Thank you for the tea.")):
        wav, sr = synthesize(text, voice="us")
        take = tmp_path / f"take-{n}.wav"
        sf.write(take, wav, sr, subtype="PCM_16")
        _type_own_text(page, text)
        page.get_by_text("Upload a file").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(take))
        page.get_by_text(take.name, exact=True).wait_for()
        labels = _analyse(page)
        words = list(word_scores(labels))
        assert words == [w.strip(".").lower() for w in text.split()], labels
