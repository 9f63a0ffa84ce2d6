"""Real-browser end-to-end support: the app under `streamlit run`, driven by Chromium.

The server is the real one (`streamlit run app.py`, headless, on 127.0.0.1 and a free
port, its own data folder); the browser is Debian's Chromium driven by Playwright by
executable path (no browser download). Chromium's fake microphone plays a WAV file we
synthesise, so "recording" sends real speech through the real page. Screenshots land
in ``test-artifacts/e2e/`` for a person to look at after a run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = (
    os.environ.get("ACCENT_COACH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
SPOKEN = "Think of three things."
START_SECONDS = 90
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1, stopped when the module's tests are done."""
    data = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {
        **os.environ,
        "ACCENT_COACH_DATA_DIR": str(data),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
        "ACCENT_COACH_PRELOAD": "1",  # the app as shipped: warm-up in the background
    }
    env.pop("ACCENT_COACH_MODEL", None)
    log = data / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def fake_mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone says: SPOKEN, framed by silence (Chromium loops the file)."""
    from accent_coach.speech.espeak import synthesize

    wav, sr = synthesize(SPOKEN, voice="us")
    pause = np.zeros(sr, dtype=np.float32)
    path = tmp_path_factory.mktemp("mic") / "spoken.wav"
    sf.write(path, np.concatenate([pause, wav, pause, pause]), sr, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def browser(fake_mic_wav: Path) -> Iterator[object]:
    """Debian's Chromium, headless, with the fake microphone playing ``fake_mic_wav``."""
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright missing (pip install -r requirements-dev.txt)"
    )
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={fake_mic_wav}"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def page(browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser session on the app; a screenshot is saved when the test ends."""
    context = browser.new_context(
        permissions=["microphone"], viewport={"width": 1400, "height": 1000}
    )
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(app_url)
    tab.get_by_role("heading", name="Practice").wait_for()
    try:
        yield tab
    finally:
        screenshot(tab, request.node.name + "-end")
        context.close()


def screenshot(tab, name: str) -> Path:
    """Save what the learner sees now (the main column scrolls itself, so scroll first)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path))
    return path


def wait_idle(tab, seconds: float = 120) -> None:
    """Wait until the script run is over (Streamlit's "running" indicator is gone), so a
    click does not land on an element that the run is about to replace."""
    deadline = time.monotonic() + seconds
    tab.wait_for_timeout(300)
    while tab.locator('[data-testid="stStatusWidget"]').count():
        if time.monotonic() > deadline:
            raise AssertionError(f"the app was still running after {seconds} s")
        tab.wait_for_timeout(100)


def wait_until_enabled(locator, seconds: float = 30) -> None:
    """Streamlit enables a button only after the widget's value reached the server."""
    deadline = time.monotonic() + seconds
    while not locator.is_enabled():
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} stayed disabled for {seconds} s")
        time.sleep(0.2)


def word_labels(tab) -> list[str]:
    """The scored words' accessible labels ("word: 87/100 ✓ good · ..."), in order."""
    spans = tab.locator('span[aria-label*="/100"]')
    return [spans.nth(i).get_attribute("aria-label") or "" for i in range(spans.count())]


def word_scores(labels: list[str]) -> dict[str, int]:
    """{word: score} from the labels above."""
    scores = {}
    for label in labels:
        word, _, rest = label.partition(": ")
        scores[word.strip(".,!?").lower()] = int(rest.split("/100")[0])
    return scores
