"""Issue #13: bounded inputs, engine errors only, reproducible scores, batch that never
loses a good line, and warnings for takes that are not speech or are cut off.

The real embedded model and real espeak speech are used wherever scores matter.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from engine_fixtures import EMBEDDED, speech, tiny_random_model

from accent_coach.engine.assess import assess
from accent_coach.engine.batch import ManifestError, assess_batch
from accent_coach.engine.deadline import call_with_time_limit
from accent_coach.engine.g2p import reference, spoken_text
from accent_coach.engine.stages import featurize
from accent_coach.errors import AccentCoachError, ItemTimeout

REPO = Path(__file__).resolve().parents[1]


def embedded_model():
    """The real embedded recognizer by name (other tests may have switched the
    process-wide manager's selection), loaded once by the manager."""
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.registry import EMBEDDED as EMBEDDED_NAME

    return get_manager().load_model(EMBEDDED_NAME)

TEXT = "The quick brown fox jumps over the lazy dog"
needs_model = pytest.mark.skipif(not (EMBEDDED / "config.json").is_file(),
                                 reason="embedded model not installed")


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return speech(TEXT)


# --- 1. bounded input, one error family ------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"sample_rate": 0}, "audio_unusable"),
        ({"sample_rate": -16000}, "audio_unusable"),
        ({"sample_rate": 16000.5}, "audio_unusable"),
        ({"audio": np.float32(0.5)}, "audio_unusable"),
        ({"audio": np.zeros((2, 2, 16000), np.float32)}, "audio_unusable"),
        ({"audio": np.array(["a"] * 16000)}, "audio_unusable"),
        ({"audio": [0.1] * 16000}, "audio_unusable"),
        ({"audio": None}, "audio_unusable"),
        ({"accent": "fr"}, "accent_unknown"),
        ({"accent": None}, "accent_unknown"),
        ({"text": 5}, "text_invalid"),
        ({"text": ["the", "dog"]}, "text_invalid"),
        ({"text": "caf\udcc3 au lait"}, "text_invalid"),  # undecodable byte (argv)
        ({"text": "word " * 2001}, "text_too_long"),
        ({"text": "a" * 20001}, "text_too_long"),
    ],
)
def test_bad_arguments_raise_engine_errors_with_codes(clip, kwargs, code) -> None:
    args = {"audio": clip, "text": TEXT, **kwargs}
    audio, text = args.pop("audio"), args.pop("text")
    with pytest.raises(AccentCoachError) as info:
        assess(audio, text, loaded=tiny_random_model(), **args)
    assert info.value.code == code and str(info.value)


def test_limits_are_settings(monkeypatch, clip) -> None:
    monkeypatch.setenv("ACCENT_COACH_MAX_TEXT_WORDS", "3")
    with pytest.raises(AccentCoachError, match="ACCENT_COACH_MAX_TEXT_WORDS") as info:
        reference("one two three four")
    assert info.value.code == "text_too_long"
    monkeypatch.delenv("ACCENT_COACH_MAX_TEXT_WORDS")
    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "1")
    with pytest.raises(AccentCoachError) as info:
        assess(clip, TEXT, loaded=tiny_random_model())
    assert info.value.code == "audio_too_long"


def test_reference_of_a_long_fused_text_is_complete() -> None:
    """800 words full of espeak fusions ("for the"): every word gets its phones (the
    word DP is a linear beam search now; speed is in benchmarks/reference.py)."""
    words = reference(" ".join(["I went for the dog and for the cat"] * 89))
    assert len(words) == 801 and all(w.tokens for w in words)
    assert [w.text for w in words[:4]] == ["I", "went", "for", "the"]


def test_a_word_espeak_drops_in_context_keeps_its_phones() -> None:
    """Found by the fuzz suite: espeak reads "I I I I" as three words."""
    assert [w.tokens for w in reference("I I I I")] == [["aɪ"]] * 4


def test_time_limit_stops_an_item_in_main_and_worker_threads() -> None:
    with pytest.raises(ItemTimeout):
        call_with_time_limit(lambda: time.sleep(5), 0.2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            call_with_time_limit(lambda: time.sleep(2), 0.2)
        except ItemTimeout as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(errors) == 1 and errors[0].code == "timeout"
    assert call_with_time_limit(lambda: 7, 0.5) == 7


# --- 2. reproducible results ----------------------------------------------------------


def _scored(audio, text: str) -> str:
    featurize.espeak_reference_contour.cache_clear()  # re-synthesize every time
    d = assess(audio, text, loaded=embedded_model()).to_dict()
    d.pop("elapsed_ms")
    return json.dumps(d, sort_keys=True)


@pytest.mark.slow
@needs_model
def test_same_take_gives_identical_json_in_process_threads_and_processes(tmp_path, clip):
    wav = tmp_path / "take.wav"
    sf.write(wav, clip, 16000)
    first = _scored(str(wav), TEXT)
    assert json.loads(first)["scores"]["prosody"] is not None
    assert all(_scored(str(wav), TEXT) == first for _ in range(3))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_scored(str(wav), TEXT)))
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
        f"d = assess({str(wav)!r}, {TEXT!r}, loaded=m).to_dict();"
        "d.pop('elapsed_ms'); print(json.dumps(d, sort_keys=True))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == first


@needs_model
def test_case_and_spelling_do_not_change_the_prosody_reference(clip) -> None:
    assert spoken_text("THE QUICK Brown fox, Dr. 2nd!") == "the quick brown fox, doctor second!"
    lower = json.loads(_scored(clip, TEXT.lower()))
    upper = json.loads(_scored(clip, TEXT.upper()))
    assert lower["scores"] == upper["scores"]


# --- 4. warnings for takes that are not speech or are cut off -------------------------


@needs_model
def test_noise_tone_and_dc_warn_not_speech_and_half_a_take_warns_cut_off(clip) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(3 * 16000) / 16000
    for fake in (0.3 * rng.standard_normal(3 * 16000), 0.5 * np.sin(2 * np.pi * 220 * t),
                 np.full(3 * 16000, 0.3)):
        r = assess(fake.astype(np.float32), TEXT, loaded=embedded_model(), with_prosody=False)
        assert [w["code"] for w in r.warnings] == ["not_speech"]
    r = assess(clip, TEXT, loaded=embedded_model(), with_prosody=False)
    assert r.warnings == []
    half = assess(clip[: len(clip) // 2], TEXT, loaded=embedded_model(), with_prosody=False)
    assert "cut_off" in [w["code"] for w in half.warnings]


# --- 4. batch never loses a good line -------------------------------------------------


def _good(tmp_path, clip) -> Path:
    sf.write(tmp_path / "g.wav", clip, 16000)
    return tmp_path / "g.wav"


def test_batch_reports_bad_lines_and_keeps_good_ones(tmp_path, clip) -> None:
    _good(tmp_path, clip)
    ok = {"audio": "g.wav", "text": TEXT}
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


def test_batch_refuses_to_overwrite_its_manifest(tmp_path, clip) -> None:
    _good(tmp_path, clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "g.wav", "text": TEXT}) + "\n")
    before = manifest.read_bytes()
    with pytest.raises(ManifestError) as info:
        assess_batch(manifest, tmp_path / "." / "m.jsonl", loaded=tiny_random_model())
    assert info.value.code == "out_is_input" and manifest.read_bytes() == before
    done = subprocess.run(
        [sys.executable, "-m", "accent_coach.cli", "assess", "--batch", str(manifest),
         "--out", str(manifest)], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2 and "manifest itself" in done.stderr
    assert "Traceback" not in done.stderr and manifest.read_bytes() == before


def test_batch_resume_skips_ids_already_done_and_a_torn_last_line(tmp_path, clip) -> None:
    _good(tmp_path, clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": k, "audio": "g.wav", "text": TEXT}) + "\n" for k in "abc"))
    out = tmp_path / "out.jsonl"
    assess_batch(manifest, out, loaded=tiny_random_model(), with_prosody=False)
    full = out.read_text().splitlines()
    out.write_text(full[0] + "\n" + full[1][:20])  # killed while writing line 2
    counts = assess_batch(manifest, out, loaded=tiny_random_model(), with_prosody=False,
                          resume=True)
    assert counts["skipped"] == 1 and counts["ok"] == 2
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b", "c"]


def test_batch_item_time_limit(tmp_path, clip) -> None:
    _good(tmp_path, clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "g.wav", "text": TEXT}) + "\n")
    out = tmp_path / "out.jsonl"
    counts = assess_batch(manifest, out, loaded=tiny_random_model(), item_timeout=1e-4)
    assert counts["failed"] == 1
    assert json.loads(out.read_text())["error"]["code"] == "timeout"


@pytest.mark.slow
@needs_model
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_batch_stops_cleanly_on_a_signal_with_the_lines_done(tmp_path, clip, sig) -> None:
    N = 120  # noqa: N806 - enough items that the batch cannot finish before the signal lands
    _good(tmp_path, clip)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": str(k), "audio": "g.wav", "text": TEXT}) + "\n" for k in range(N)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "accent_coach.cli", "assess", "--batch", str(manifest),
         "--out", str(out)], cwd=REPO, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
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
         "--out", str(out), "--resume", "--no-prosody"], cwd=REPO, capture_output=True,
        text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids, key=int) == [str(k) for k in range(N)]


def test_cli_non_utf8_text_is_a_clean_error_in_text_and_json(tmp_path, clip) -> None:
    wav = _good(tmp_path, clip)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "accent_coach.cli", "assess", str(wav), "--text"]
    for extra in ([], ["--json"]):
        done = subprocess.run([*base, b"caf\xe9 au lait", *extra], cwd=REPO, env=env,
                              capture_output=True, timeout=120)
        assert done.returncode == 1 and b"Traceback" not in done.stderr
        assert b"not valid UTF-8" in done.stderr
        if extra:
            out = json.loads(done.stdout.decode("utf-8"))
            assert out["error"]["code"] == "text_invalid"
