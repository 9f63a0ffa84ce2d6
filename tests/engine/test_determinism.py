# ruff: noqa: F811  (the fox_clip fixture is imported)
"""Reproducible results: the same take gives byte-identical JSON in one process, across
threads and in another process; case and spelling do not move the prosody reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import soundfile as sf

from accent_coach.engine.assess import assess
from accent_coach.engine.g2p import spoken_text
from accent_coach.engine.stages import featurize
from tests.support.engine_fixtures import (
    FOX,
    ROOT,
    fox_clip,  # noqa: F401  (fixture)
    managed_embedded_model,
    needs_embedded,
)


def _scored(audio, text: str) -> str:
    featurize.espeak_reference_contour.cache_clear()  # re-synthesize every time
    d = assess(audio, text, loaded=managed_embedded_model()).to_dict()
    d.pop("elapsed_ms")
    return json.dumps(d, sort_keys=True)


@pytest.mark.slow
@needs_embedded
def test_same_take_gives_identical_json_in_process_threads_and_processes(tmp_path, fox_clip):
    wav = tmp_path / "take.wav"
    sf.write(wav, fox_clip, 16000)
    first = _scored(str(wav), FOX)
    assert json.loads(first)["scores"]["prosody"] is not None
    assert all(_scored(str(wav), FOX) == first for _ in range(3))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_scored(str(wav), FOX)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [first] * 3
    code = (
        "import json;"
        "from accent_coach.engine.assess import assess;"
        "from accent_coach.speech.manager import get_manager;"
        "m = get_manager().load_model('embedded');"
        f"d = assess({str(wav)!r}, {FOX!r}, loaded=m).to_dict();"
        "d.pop('elapsed_ms'); print(json.dumps(d, sort_keys=True))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == first


@needs_embedded
def test_case_and_spelling_do_not_change_the_prosody_reference(fox_clip) -> None:
    assert spoken_text("THE QUICK Brown fox, Dr. 2nd!") == "the quick brown fox, doctor second!"
    lower = json.loads(_scored(fox_clip, FOX.lower()))
    upper = json.loads(_scored(fox_clip, FOX.upper()))
    assert lower["scores"] == upper["scores"]
