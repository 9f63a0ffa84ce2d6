# ruff: noqa: F811  (pytest fixtures imported from e2e.py, used as arguments)
"""The Conversation Tutor and the Progress page in a real browser, against
`streamlit run app.py` on 127.0.0.1: two tutor turns, and a scored take appearing in
the learner's history."""

from __future__ import annotations

import pytest

from accent_coach.tutor.scenarios import get_scenario
from tests.support.e2e import (  # noqa: F401  (fixtures)
    SPOKEN,
    app_url,
    browser,
    fake_mic_wav,
    page,
    screenshot,
    wait_idle,
    wait_until_enabled,
)

pytestmark = pytest.mark.e2e
LEVEL = "A2"  # the Tutor page's default level


def _say(tab, answer: str) -> None:
    box = tab.get_by_placeholder("Type your answer…")
    box.fill(answer)
    box.press("Enter")


def test_two_tutor_turns(page) -> None:
    cafe = get_scenario("cafe")
    page.get_by_role("link", name="Conversation Tutor").click()
    page.get_by_text(cafe.opening(LEVEL)).first.wait_for()
    wait_idle(page)
    for n in range(2):
        _say(page, cafe.steps[n].model[LEVEL])
        page.get_by_text(cafe.steps[n + 1].ask[LEVEL], exact=False).first.wait_for()
        wait_idle(page)
    screenshot(page, "tutor-two-turns")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_scored_take_appears_on_the_progress_page(page, fake_mic_wav) -> None:
    page.get_by_text("My own text", exact=True).click()
    box = page.get_by_label("Your text")
    box.fill(SPOKEN)
    box.press("Control+Enter")
    page.get_by_role("heading", name=SPOKEN).wait_for()
    wait_idle(page)
    page.get_by_text("Upload a file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake_mic_wav))
    page.get_by_text(fake_mic_wav.name, exact=True).wait_for()
    button = page.get_by_role("button", name="Analyse")
    wait_until_enabled(button)
    button.click()
    page.locator('span[aria-label*="/100"]').first.wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("heading", name="Progress").wait_for()
    page.get_by_role("tab", name="🗂️ Attempts").click()
    page.get_by_text(SPOKEN, exact=False).first.wait_for()
    screenshot(page, "progress-attempt")
