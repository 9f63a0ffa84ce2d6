"""End-to-end plumbing on a tiny random CTC model: schema, chunking, batch, CLI, fallback.

Quality (does it score the right words) is tested on the real model in
test_engine_quality.py; here a random model proves the pipeline keeps its contract.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from accent_coach.cli import assess as assess_cli
from accent_coach.engine.assess import PHONE_ERRORS, WORD_ERRORS, assess
from accent_coach.engine.audio import AudioError
from accent_coach.engine.batch import assess_batch
from accent_coach.engine.g2p import TextError, reference
from accent_coach.speech.posteriors import posteriors
from tests.support.engine_fixtures import speech, tiny_random_model

TEXT = "The quick brown fox jumps over the lazy dog"


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return speech(TEXT)


def test_result_schema(clip) -> None:
    d = assess(clip, TEXT, loaded=tiny_random_model(), item_id="x1").to_dict()
    json.dumps(d)  # serialisable
    assert d["id"] == "x1" and d["model"] == "tiny-random"
    assert abs(d["duration"] - len(clip) / 16000) < 0.01 and d["elapsed_ms"] > 0
    assert set(d["scores"]) == {"accuracy", "completeness", "fluency", "prosody", "overall"}
    for v in d["scores"].values():
        assert v is None or 0 <= v <= 100
    assert all(isinstance(t, str) for t in d["recognized"])
    ref_words = [w for w in d["words"] if w["error"] != "insertion"]
    assert [w["text"] for w in ref_words] == TEXT.split()
    n_ref = sum(len(w.tokens) for w in reference(TEXT))
    assert sum(p["expected"] is not None for w in ref_words for p in w["phones"]) == n_ref
    for w in d["words"]:
        assert w["error"] in WORD_ERRORS
        for p in w["phones"]:
            assert p["error"] in PHONE_ERRORS
            if p["error"] == "none":
                assert p["heard"] == p["expected"]
            if p["error"] == "deletion":
                assert p["heard"] is None
            if p["expected"] is not None:
                assert 0 <= p["score"] <= 100 and p["start"] <= p["end"]
    starts = [w["start"] for w in ref_words if w["start"] is not None]
    assert starts == sorted(starts)


def test_chunked_posteriors_cover_the_clip_uniformly() -> None:
    model = tiny_random_model()
    wav = np.tile(speech("counting one two three four five six"), 20)  # > 45 s
    whole = posteriors(model, wav, chunk_seconds=1000)
    chunked = posteriors(model, wav, chunk_seconds=10, overlap_seconds=1)
    assert abs(chunked.logp.shape[0] - whole.logp.shape[0]) <= 3 * (len(wav) // 160000 + 1)
    assert chunked.frame_seconds == pytest.approx(whole.frame_seconds, rel=0.02)
    # away from the cuts the frames see the same audio: posteriors agree closely
    mid = whole.logp.shape[0] // 2
    assert np.allclose(np.exp(chunked.logp[mid]), np.exp(whole.logp[mid]), atol=0.2)


@pytest.mark.slow  # a 10-minute clip: bounded, but minutes of CPU
def test_ten_minute_recording_is_assessed() -> None:
    one = speech("please call stella and ask her to bring these things")
    reps = int(np.ceil(598 * 16000 / len(one)))
    wav = np.tile(one, reps)[: 598 * 16000]
    text = " ".join(["please call stella and ask her to bring these things"] * reps)
    res = assess(wav, text, loaded=tiny_random_model(), with_prosody=False)
    assert res.duration == pytest.approx(598, abs=0.1)
    assert len([w for w in res.words if w.error != "insertion"]) == 10 * reps


def test_arpabet_model_is_scored_in_ipa(clip) -> None:
    d = assess(clip, TEXT, loaded=tiny_random_model("arpabet"), with_prosody=False).to_dict()
    expected = [p["expected"] for w in d["words"] for p in w["phones"] if p["expected"]]
    assert len(expected) == sum(len(w.tokens) for w in reference(TEXT))
    from accent_coach.engine.g2p import ARPABET_TO_IPA

    heard = [p["heard"] for w in d["words"] for p in w["phones"] if p["heard"]]
    ipa = set(ARPABET_TO_IPA.values()) | set(expected)
    assert d["recognized"] and set(heard + d["recognized"]) <= ipa  # shown as IPA


def test_character_model_gets_labelled_word_fallback(clip) -> None:
    res = assess(clip, TEXT, loaded=tiny_random_model("chars"))
    assert res.mode == "word-fallback"
    assert any(w["code"] == "word_fallback" for w in res.warnings)
    assert all(w.phones == [] for w in res.words)


def test_input_errors(clip) -> None:
    model = tiny_random_model()
    with pytest.raises(TextError):
        assess(clip, "", loaded=model)
    with pytest.raises(TextError):
        assess(clip, "🙂🙂", loaded=model)
    with pytest.raises(AudioError, match="too short"):
        assess(clip[:800], TEXT, loaded=model)
    with pytest.raises(AudioError, match="silent"):
        assess(np.zeros(16000, dtype=np.float32), TEXT, loaded=model)


def test_noise_and_clipping_give_sane_results(clip) -> None:
    model = tiny_random_model()
    noise = np.random.default_rng(0).normal(scale=0.1, size=32000).astype(np.float32)
    r = assess(noise, TEXT, loaded=model)
    assert all(0 <= v <= 100 for v in r.scores.values() if v is not None)
    loud = np.clip(clip * 20, -1, 1)
    r = assess(loud, TEXT, loaded=model)
    assert any(w["code"] == "clipped" for w in r.warnings)


def _manifest(tmp_path, clip) -> str:
    sf.write(tmp_path / "good.wav", clip, 16000)
    (tmp_path / "bad.wav").write_bytes(b"not audio at all" * 10)
    lines = [
        json.dumps({"id": "a", "audio": "good.wav", "text": TEXT}),
        json.dumps({"id": "b", "audio": "missing.wav", "text": TEXT}),
        "{not json",
        json.dumps({"id": "d", "audio": "bad.wav", "text": TEXT}),
        json.dumps({"id": "e", "audio": "good.wav", "text": "   "}),
        json.dumps({"id": "f", "audio": str(tmp_path / "good.wav"), "text": "the quick fox"}),
    ]
    path = tmp_path / "manifest.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_batch_continues_past_bad_items(tmp_path, clip) -> None:
    out = tmp_path / "out.jsonl"
    counts = assess_batch(_manifest(tmp_path, clip), out, loaded=tiny_random_model(),
                          with_prosody=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert counts == {"ok": 2, "failed": 4, "skipped": 0, "interrupted": 0}
    assert [r["id"] for r in rows] == ["a", "b", None, "d", "e", "f"]
    assert rows[0]["error"] is None and rows[0]["scores"]["accuracy"] is not None
    assert rows[1]["error"]["code"] == "audio_unusable"
    assert "not found" in rows[1]["error"]["message"]
    assert rows[2]["error"]["code"] == "manifest_invalid"
    assert "invalid JSON" in rows[2]["error"]["message"]
    assert "decode" in rows[3]["error"]["message"]
    assert rows[4]["error"]["code"] == "text_invalid" and "empty" in rows[4]["error"]["message"]
    assert rows[5]["error"] is None


def _cli(argv: list[str]) -> int:
    return assess_cli.main(["assess", *argv])


def test_cli_usage_and_input_errors(tmp_path, capsys, clip) -> None:
    assert _cli([]) == assess_cli.EXIT_USAGE
    assert _cli(["x.wav"]) == assess_cli.EXIT_USAGE
    assert _cli(["--batch", "m.jsonl"]) == assess_cli.EXIT_USAGE
    assert _cli([str(tmp_path / "none.wav"), "--text", "hi"]) == assess_cli.EXIT_INPUT
    sf.write(tmp_path / "g.wav", clip, 16000)
    assert _cli([str(tmp_path / "g.wav"), "--text", "🙂"]) == assess_cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 5


def test_cli_single_and_batch_with_model(tmp_path, capsys, monkeypatch, clip) -> None:
    monkeypatch.setattr(assess_cli, "_load", lambda m: (tiny_random_model(), None))
    sf.write(tmp_path / "g.wav", clip, 16000)
    assert _cli([str(tmp_path / "g.wav"), "--text", TEXT, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["model"] == "tiny-random" and len(d["words"]) >= 9
    assert _cli([str(tmp_path / "g.wav"), "--text", TEXT, "--accent", "uk"]) == 0
    assert "overall" in capsys.readouterr().out
    out = tmp_path / "r.jsonl"
    code = _cli(["--batch", _manifest(tmp_path, clip), "--out", str(out), "--no-prosody"])
    assert code == assess_cli.EXIT_PARTIAL
    assert len(out.read_text().splitlines()) == 6


def test_cli_model_load_failure_is_one_line(tmp_path, capsys, monkeypatch, clip) -> None:
    monkeypatch.setattr(assess_cli, "_load", lambda m: (None, "could not load model zz: nope"))
    sf.write(tmp_path / "g.wav", clip, 16000)
    assert _cli([str(tmp_path / "g.wav"), "--text", TEXT, "--model", "zz"]) == 3
    assert capsys.readouterr().err.strip() == "error: could not load model zz: nope"
