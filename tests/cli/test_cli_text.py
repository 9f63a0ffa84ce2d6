# ruff: noqa: F811  (the fox_clip fixture is imported)
"""The command line with text that is not UTF-8: a clean error in text and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import soundfile as sf

from tests.support.engine_fixtures import (
    ROOT,
    fox_clip,  # noqa: F401  (fixture)
)


def test_cli_non_utf8_text_is_a_clean_error_in_text_and_json(tmp_path, fox_clip) -> None:
    wav = tmp_path / "take.wav"
    sf.write(wav, fox_clip, 16000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "accent_coach.cli", "assess", str(wav), "--text"]
    for extra in ([], ["--json"]):
        done = subprocess.run([*base, b"caf\xe9 au lait", *extra], cwd=ROOT, env=env,
                              capture_output=True, timeout=120)
        assert done.returncode == 1 and b"Traceback" not in done.stderr
        assert b"not valid UTF-8" in done.stderr
        if extra:
            out = json.loads(done.stdout.decode("utf-8"))
            assert out["error"]["code"] == "text_invalid"
