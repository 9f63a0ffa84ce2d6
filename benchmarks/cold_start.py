"""Cold start as a learner meets it, in a real browser: server start → Practice page
ready, then the first analysis after start and a second (warm) one.

Starts `streamlit run app.py` on 127.0.0.1 with a fresh data folder, opens the page
in Debian's Chromium (Playwright), uploads an espeak-ng take of the shown sentence and
presses Analyse; times each step. "Page ready" = the Practice page shows its recorder
and the script has stopped running.

    python -m benchmarks.cold_start [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _analyse(tab, upload: Path) -> float:
    import e2e

    tab.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    tab.get_by_text(upload.name, exact=True).wait_for()
    e2e.wait_idle(tab)  # a click during the upload's rerun can be lost
    button = tab.get_by_role("button", name="Analyse")
    while not button.is_enabled():
        tab.wait_for_timeout(50)
    t0 = time.perf_counter()
    button.click()
    tab.get_by_role("heading", name="Results").wait_for(timeout=180_000)
    return time.perf_counter() - t0


def one_run(tmp: Path) -> dict:
    import e2e
    from playwright.sync_api import sync_playwright

    from accent_coach.speech.espeak import synthesize

    takes = []
    for i, text in enumerate(("Think of three things.", "Thank you for the tea.")):
        wav, sr = synthesize(text, voice="us")
        path = tmp / f"take-{i}.wav"
        sf.write(path, wav, sr, subtype="PCM_16")
        takes.append((text, path))
    t_start = time.perf_counter()
    server = e2e.app_url.__wrapped__(_Factory(tmp))  # the tests' own server fixture
    url = next(server)
    t_healthy = time.perf_counter() - t_start
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=e2e.CHROMIUM, headless=True, args=e2e.CHROMIUM_ARGS
            )
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.goto(url)
            tab.locator('[data-testid="stAudioInputActionButton"]').wait_for(timeout=180_000)
            t_usable = time.perf_counter() - t_start
            e2e.wait_idle(tab)
            t_settled = time.perf_counter() - t_start
            out = {
                "server_healthy_s": round(t_healthy, 2),
                "page_usable_s": round(t_usable, 2),
                "page_settled_s": round(t_settled, 2),
            }
            for label, (text, path) in zip(("first_analysis_s", "warm_analysis_s"), takes):
                tab.get_by_text("My own text", exact=True).click()
                box = tab.get_by_label("Your text")
                box.fill(text)
                box.press("Control+Enter")
                tab.get_by_role("heading", name=text).wait_for()
                e2e.wait_idle(tab)
                tab.get_by_text("Upload a file").click()
                out[label] = round(_analyse(tab, path), 2)
                e2e.wait_idle(tab)
            browser.close()
    finally:
        next(server, None)
    return out


class _Factory:
    """Just enough of pytest's tmp_path_factory for the server fixture."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=name, dir=self.root))
        return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(Path(tmp)))
    summary = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    print(json.dumps({"runs": runs, "median": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
