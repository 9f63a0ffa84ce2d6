# ruff: noqa: F811  (the fox_clip fixture is imported)
"""Batch files never lose a good line: bad lines reported, good ones kept, resume,
the item time limit, and a clean stop on SIGINT/SIGTERM with the lines done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from accent_coach.engine.batch import ManifestError, assess_batch
from tests.support.engine_fixtures import (
    FOX,
    ROOT,
    fox_clip,  # noqa: F401  (fixture)
    needs_embedded,
    tiny_random_model,
)


def _good(tmp_path, fox_clip) -> Path:
    sf.write(tmp_path / "g.wav", fox_clip, 16000)
    return tmp_path / "g.wav"


def test_batch_reports_bad_lines_and_keeps_good_ones(tmp_path, fox_clip) -> None:
    _good(tmp_path, fox_clip)
    ok = {"audio": "g.wav", "text": FOX}
    lines = [
        b"\xef\xbb\xbf" + json.dumps({"id": "bom", **ok}).encode(),  # BOM on line 1
        json.dumps({"id": "bytes", **ok}).encode()[:-2] + b"\xff\xfe\"}",
        json.dumps({"id": "num", "audio": "g.wav", "text": 5}).encode(),
        json.dumps({"id": "list", "audio": "g.wav", "text": ["a"]}).encode(),
        json.dumps({"id": None, **ok}).encode(),
        json.dumps({"id": "xx", **ok, "accent": "xx"}).encode(),
        json.dumps({"id": 7, **ok}).encode(),
        json.dumps(ok).encode(),
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    counts = assess_batch(manifest, out, loaded=tiny_random_model(), with_prosody=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert counts["ok"] == 3 and counts["failed"] == 5
    assert [r["id"] for r in rows] == ["bom", None, "num", "list", None, "xx", "7", "8"]
    codes = [r["error"] and r["error"]["code"] for r in rows]
    assert codes == [None, "manifest_invalid", "manifest_invalid", "manifest_invalid",
                     "manifest_invalid", "accent_unknown", None, None]
    assert "UTF-8" in rows[1]["error"]["message"] and '"text"' in rows[2]["error"]["message"]


def test_batch_refuses_to_overwrite_its_manifest(tmp_path, fox_clip) -> None:
    _good(tmp_path, fox_clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "g.wav", "text": FOX}) + "\n")
    before = manifest.read_bytes()
    with pytest.raises(ManifestError) as info:
        assess_batch(manifest, tmp_path / "." / "m.jsonl", loaded=tiny_random_model())
    assert info.value.code == "out_is_input" and manifest.read_bytes() == before
    done = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "assess", "--batch", str(manifest),
         "--out", str(manifest)], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "manifest itself" in done.stderr
    assert "Traceback" not in done.stderr and manifest.read_bytes() == before


def test_batch_resume_skips_ids_already_done_and_a_torn_last_line(tmp_path, fox_clip) -> None:
    _good(tmp_path, fox_clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": k, "audio": "g.wav", "text": FOX}) + "\n" for k in "abc"))
    out = tmp_path / "out.jsonl"
    assess_batch(manifest, out, loaded=tiny_random_model(), with_prosody=False)
    full = out.read_text().splitlines()
    out.write_text(full[0] + "\n" + full[1][:20])  # killed while writing line 2
    counts = assess_batch(manifest, out, loaded=tiny_random_model(), with_prosody=False,
                          resume=True)
    assert counts["skipped"] == 1 and counts["ok"] == 2
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b", "c"]


def test_batch_item_time_limit(tmp_path, fox_clip) -> None:
    _good(tmp_path, fox_clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "g.wav", "text": FOX}) + "\n")
    out = tmp_path / "out.jsonl"
    counts = assess_batch(manifest, out, loaded=tiny_random_model(), item_timeout=1e-4)
    assert counts["failed"] == 1
    assert json.loads(out.read_text())["error"]["code"] == "timeout"


@pytest.mark.slow
@needs_embedded
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_batch_stops_cleanly_on_a_signal_with_the_lines_done(tmp_path, fox_clip, sig) -> None:
    N = 120  # noqa: N806 - enough items that the batch cannot finish before the signal lands
    _good(tmp_path, fox_clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": str(k), "audio": "g.wav", "text": FOX}) + "\n" for k in range(N)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "assess", "--batch", str(manifest),
         "--out", str(out)], cwd=ROOT, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # as in a terminal's foreground job: an earlier test's server may have left this
        # process ignoring SIGINT, and Python keeps an inherited SIG_IGN for Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, (
        proc.returncode, err[-2000:])
    rows = [json.loads(line) for line in out.read_text().splitlines()]  # all complete
    assert 1 <= len(rows) < N and all(r["error"] is None for r in rows)
    done = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "assess", "--batch", str(manifest),
         "--out", str(out), "--resume", "--no-prosody"], cwd=ROOT, capture_output=True,
        text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids, key=int) == [str(k) for k in range(N)]
