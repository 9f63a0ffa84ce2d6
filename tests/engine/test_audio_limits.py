"""Bounded decoding: a recording over the limit is refused before its samples exist.

The issue-20 bomb (476 KB of FLAC that decodes to 1.8 GB of float32) once cost 2 GB
and 36 s before ``audio_too_long``; these checks run the real decoder in a child
process, so its peak memory (VmHWM) belongs to the decode alone.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from accent_coach.engine.audio import AudioError, AudioTooLong, load_audio
from tests.support.service_helpers import flac_bomb

CHILD = """
import json, os, sys, time
from tests.support.service_helpers import peak_rss_mb
import numpy, soundfile, av, scipy.signal  # imported before the baseline is taken
from accent_coach.engine.audio import AudioError, load_audio
path = sys.argv[1]
before = peak_rss_mb(os.getpid())
t0 = time.perf_counter()
try:
    load_audio(path)
    code = None
except AudioError as exc:
    code = exc.code
print(json.dumps({"code": code, "seconds": time.perf_counter() - t0,
                  "grew_mb": peak_rss_mb(os.getpid()) - before}))
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("bomb") / "bomb.flac"
    path.write_bytes(flac_bomb())
    return str(path)


def _child_decode(path: str, max_seconds: str) -> dict:
    env = {**os.environ, "ACCENT_COACH_MAX_SECONDS": max_seconds,
           "PYTHONPATH": os.pathsep.join([os.getcwd(), os.path.join(os.getcwd(), "tests")])}
    run = subprocess.run([sys.executable, "-c", CHILD, path], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_bomb_is_refused_from_its_header_without_decoding(bomb):
    assert 400_000 < os.path.getsize(bomb) < 550_000
    outcome = _child_decode(bomb, "120")
    assert outcome["code"] == "audio_too_long"
    assert outcome["grew_mb"] < 100 and outcome["seconds"] < 2, outcome


def test_a_lying_header_is_caught_by_the_streamed_read():
    """A FLAC whose header says "length unknown": the read stops one frame past the limit."""
    t = np.arange(48_000 * 30) / 48_000
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 48_000, format="FLAC")
    data = bytearray(buf.getvalue())
    data[21] &= 0xF0  # STREAMINFO total samples (36 bits) = 0: unknown
    data[22:26] = bytes(4)
    assert sf.info(io.BytesIO(bytes(data))).frames > 2**40
    with pytest.raises(AudioTooLong, match="longer than 10 s"):
        load_audio(bytes(data), max_seconds=10)
    assert abs(load_audio(bytes(data), max_seconds=40).duration - 30) < 0.01


def test_audio_too_long_has_one_status_wherever_it_is_found(monkeypatch):
    tone = (0.3 * np.sin(np.arange(16_000 * 7) / 10)).astype(np.float32)
    for source in (tone, _wav(tone)):
        with pytest.raises(AudioTooLong) as caught:
            load_audio(source, max_seconds=5, hint="the API's limit")
        assert (caught.value.code, caught.value.http_status) == ("audio_too_long", 413)
        assert "the API's limit" in str(caught.value)
    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "3")  # the smaller limit wins
    with pytest.raises(AudioTooLong, match="limit is 3 s"):
        load_audio(_wav(tone), max_seconds=5)


def test_too_many_channels_are_refused_before_decoding():
    buf = io.BytesIO()
    sf.write(buf, np.zeros((1600, 40), dtype=np.float32), 16_000, format="WAV")
    with pytest.raises(AudioError, match="40 channels"):
        load_audio(buf.getvalue())


def test_the_cli_refuses_the_bomb_quickly(bomb, tmp_path):
    """``accent-coach assess`` goes through the same loader (as do batch jobs and the
    Practice page: ``practice/session.py`` and ``engine/stages/prepare.py`` call it)."""
    env = {**os.environ, "ACCENT_COACH_MAX_SECONDS": "120", "ACCENT_COACH_DATA_DIR": str(tmp_path),
           "PYTHONPATH": os.getcwd()}
    run = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "assess", bomb, "--text", "hello", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert json.loads(run.stdout)["error"]["code"] == "audio_too_long", run.stdout


def _wav(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, 16_000, format="WAV")
    return buf.getvalue()


def test_the_practice_page_and_cli_batch_refuse_the_bomb(bomb, tmp_path, monkeypatch):
    """The Practice page's analysis (``practice.session.analyse``) and ``assess --batch``
    reach the same loader: refused before any model is asked for."""
    from accent_coach.practice.session import analyse

    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "120")
    asked: list[int] = []
    with pytest.raises(AudioTooLong):
        analyse(Path(bomb).read_bytes(), "hello", accent="us", model_name="embedded",
                load_model=lambda: asked.append(1))
    assert asked == []
    manifest, out = tmp_path / "m.jsonl", tmp_path / "out.jsonl"
    manifest.write_text(json.dumps({"id": "bomb", "audio": bomb, "text": "hello"}) + "\n")
    env = {**os.environ, "ACCENT_COACH_MAX_SECONDS": "120", "PYTHONPATH": os.getcwd(),
           "ACCENT_COACH_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "accent_coach.cli", "assess", "--batch",
                    str(manifest), "--out", str(out)], env=env, capture_output=True,
                   text=True, timeout=300)
    line = json.loads(out.read_text().splitlines()[0])
    assert line["id"] == "bomb" and line["error"]["code"] == "audio_too_long", line
