"""The Progress trend charts read as days (or, for one day, times of day) with one day of
data and with a few points: the figures are drawn by plotly.js in Debian's Chromium and
the axis labels read back from the page (before, one day's axis read
"23:59:59.999 … 00:00:00.0005")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.e2e import CHROMIUM, CHROMIUM_ARGS
from ui.progress import sound_change_figure, trend_figure

DAY_LABEL = re.compile(r"^\d{1,2} [A-Z][a-z]{2}$")  # "3 Mar"
TIME_LABEL = re.compile(r"^\d\d:\d\d$")  # "09:40"


@pytest.fixture(scope="module")
def tab():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 900, "height": 500})
        finally:
            browser.close()


def x_labels(tab, fig) -> list[str]:
    """The x tick labels plotly.js draws for ``fig`` (offline: plotly.js inlined)."""
    tab.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    tab.locator(".xtick text").first.wait_for(state="attached", timeout=30_000)
    return [t for t in tab.locator(".xtick text").all_text_contents() if t.strip()]


def _attempts(times: list[datetime]) -> list[dict]:
    return [{"created_at": t, "overall": 70.0 + i, "accuracy": 75.0, "fluency": 60.0,
             "completeness": 100.0, "prosody": None} for i, t in enumerate(times)]


def test_one_day_shows_each_attempt_at_its_time(tab):
    day = datetime(2026, 3, 3, 9, 40)
    fig = trend_figure(_attempts([day, day + timedelta(minutes=7), day + timedelta(hours=2)]))
    labels = x_labels(tab, fig)
    assert labels and all(TIME_LABEL.match(t) for t in labels), labels
    assert len(fig.data[0].x) == 3  # every attempt, not one daily mean


def test_a_single_attempt_still_has_a_readable_axis(tab):
    labels = x_labels(tab, trend_figure(_attempts([datetime(2026, 3, 3, 23, 59, 59)])))
    assert labels and all(TIME_LABEL.match(t) for t in labels), labels


@pytest.mark.parametrize("offsets", [[0, 1], [0, 1, 2], [0, 3, 9], [0, 1, 2, 3, 4, 5, 6, 13]])
def test_a_few_days_show_one_label_per_day_at_most(tab, offsets):
    start = datetime(2026, 3, 3, 18, 0)
    fig = trend_figure(_attempts([start + timedelta(days=d) for d in offsets]))
    labels = x_labels(tab, fig)
    assert labels and all(DAY_LABEL.match(t) for t in labels), labels
    assert len(labels) == len(set(labels)) <= offsets[-1] + 1
    assert "3 Mar" in labels and (start + timedelta(days=offsets[-1])).strftime("%-d %b") in labels


def test_sound_changes_over_one_day_read_as_that_day(tab):
    rows = [{"day": date(2026, 3, 3), "phone": p, "mean_score": s}
            for p, s in (("θ", 40.0), ("ð", 55.0))]
    labels = x_labels(tab, sound_change_figure(rows))
    assert labels == ["3 Mar"], labels
