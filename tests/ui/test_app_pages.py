"""Every page renders without errors, headless, with no trained model installed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/practice.py", "pages/tutor.py", "pages/progress.py", "pages/settings.py"]


@pytest.fixture
def no_trained_model(fresh_manager, monkeypatch, tmp_path):
    """The state of a fresh clone before the embedded model lands."""
    monkeypatch.setattr(
        "accent_coach.speech.registry.EMBEDDED_MODEL_DIR", tmp_path / "whisper-tiny-ipa-ctc"
    )
    return fresh_manager


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("warning", "info", "error", "caption", "markdown")
             for e in getattr(at, kind)]
    return " ".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_without_exceptions(no_trained_model, load_counts, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    if page != PAGES[0]:
        at.switch_page(page).run()
        assert not at.exception
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} shows no title"
    assert "No trained model is installed" in page_text(at)  # said plainly, every page
    assert load_counts["from_pretrained"] == 0


def test_settings_lists_registry_and_configuration(no_trained_model):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/settings.py").run()
    assert at.radio(key="settings_source").options == [
        "Embedded (ships with the app)", "Known Hugging Face model", "Other Hugging Face id",
        "Local folder",
    ]
    at.radio(key="settings_source").set_value("known").run()
    options = at.selectbox(key="settings_known").options
    assert "facebook/wav2vec2-lv-60-espeak-cv-ft (recommended)" in options
    assert "accent-coach fetch facebook/wav2vec2-lv-60-espeak-cv-ft" in page_text(at)
    tables = " ".join(str(t.value) for t in at.table)
    assert "ACCENT_COACH_MODEL" in tables and "ACCENT_COACH_DEVICE" in tables


def test_bad_device_setting_is_a_message_not_a_traceback(fresh_manager, monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_DEVICE", "tpu")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    assert any("ACCENT_COACH_DEVICE='tpu'" in w.value for w in at.warning)
    assert fresh_manager.get_manager().device == "cpu"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", "replace")


def test_streamlit_run_serves_the_app_headless(tmp_path):
    """`streamlit run app.py` as a real process: health endpoint and every page URL answer."""
    port = _free_port()
    env = {**os.environ, "ACCENT_COACH_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
               f"--server.port={port}", "--server.address=127.0.0.1"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"streamlit exited early:\n{proc.stdout.read()}"
            try:
                if _get(f"{base}/_stcore/health") == (200, "ok"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "streamlit did not become healthy in 90 s"
            time.sleep(0.5)
        for path in ("/", "/tutor", "/progress", "/settings"):
            status, body = _get(base + path)
            assert status == 200 and "<div id=\"root\">" in body, path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
