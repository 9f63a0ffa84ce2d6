"""Fuzz the engine's entry points with hypothesis: whatever comes in, the engine returns a
sane result or raises one of its own errors (AccentCoachError with a code) — never a
traceback-type exception, NaN or a hang.

Bounded by default (fast enough for CI); a longer run:
``ACCENT_COACH_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_engine.py`` (cases that run
the model get a tenth of that). Recognition uses the real embedded model when it is
installed (loaded once), else the tiny random one.
"""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accent_coach.engine.assess import assess
from accent_coach.engine.audio import load_audio
from accent_coach.engine.batch import ManifestError, assess_batch, parse_line
from accent_coach.engine.g2p import normalize_text, reference, spoken_text
from accent_coach.errors import AccentCoachError
from tests.support.engine_fixtures import EMBEDDED, speech, tiny_random_model

_LONG = int(os.environ.get("ACCENT_COACH_FUZZ_EXAMPLES", "0"))


def embedded_model():
    """The real embedded recognizer by name (other tests may have switched the
    process-wide manager's selection), loaded once by the manager."""
    from accent_coach.speech.manager import get_manager
    from accent_coach.speech.registry import EMBEDDED as EMBEDDED_NAME

    return get_manager().load_model(EMBEDDED_NAME)



def examples(default: int, model: bool = False) -> settings:
    n = max(default, _LONG // 10 if model else _LONG)
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


TEXT = "I think so too"


@pytest.fixture(scope="module")
def wav_bytes() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, speech(TEXT), 16000, format="WAV")
    return buf.getvalue()


def _model():
    return embedded_model() if (EMBEDDED / "config.json").is_file() else tiny_random_model()


def _sane(result) -> None:
    d = result.to_dict()
    json.dumps(d, allow_nan=False)  # NaN/inf would fail here
    for v in d["scores"].values():
        assert v is None or 0 <= v <= 100
    assert all(set(w) == {"code", "message"} for w in d["warnings"])


# --- audio decoding ------------------------------------------------------------------


@examples(150)
@given(data=st.binary(max_size=4096))
def test_random_bytes_decode_or_raise_audio_error(data: bytes) -> None:
    try:
        clip = load_audio(data)
    except AccentCoachError as exc:
        assert exc.code.startswith("audio_")
        return
    assert clip.samples.dtype == np.float32 and np.isfinite(clip.samples).all()


@examples(100)
@given(st.data())
def test_mutated_wav_decodes_or_raises_audio_error(wav_bytes: bytes, data) -> None:
    raw = bytearray(wav_bytes)
    for _ in range(data.draw(st.integers(1, 20))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        clip = load_audio(bytes(raw[:cut]))
    except AccentCoachError as exc:
        assert exc.code.startswith("audio_")
        return
    assert np.isfinite(clip.samples).all() and clip.duration >= 0.3


@examples(100)
@given(
    samples=arrays(np.float64, st.integers(0, 40000),
                   elements=st.floats(allow_nan=True, allow_infinity=True, width=32)),
    rate=st.one_of(st.integers(-10, 200_000), st.floats(allow_nan=True)),
)
def test_random_arrays_load_or_raise_audio_error(samples, rate) -> None:
    try:
        clip = load_audio(samples, rate)
    except AccentCoachError as exc:
        assert exc.code.startswith("audio_")
        return
    assert np.isfinite(clip.samples).all()


# --- text normalization and G2P -------------------------------------------------------


@examples(200)
@given(text=st.text(max_size=200))
def test_any_text_normalizes_and_gives_phones_or_text_error(text: str) -> None:
    spoken = spoken_text(text)
    assert spoken == spoken_text(text) and spoken == spoken.lower()
    said = " ".join(s for _, s in normalize_text(text))
    assert said == " ".join(w.rstrip(",.;:?!") for w in spoken.split(" "))
    try:
        words = reference(text)
    except AccentCoachError as exc:
        assert exc.code in ("text_invalid", "text_too_long")
        return
    assert words and all(w.tokens and len(w.tokens) == len(w.stress) for w in words)
    assert [w.tokens for w in reference(text)] == [w.tokens for w in words]


@examples(100)
@given(words=st.lists(st.sampled_from(
    "for the of a to and it I you we go going gonna what do 23 2nd Dr. $5 50% e.g. "
    "THE Quick don't can't O'Neil co-op".split()), min_size=1, max_size=40))
def test_fused_word_texts_keep_every_word(words: list[str]) -> None:
    refs = reference(" ".join(words), "uk")
    assert len(refs) == len(words)


# --- the assessment entry point ---------------------------------------------------------


@examples(8, model=True)
@given(
    text=st.one_of(st.text(max_size=60), st.sampled_from([TEXT, "I THINK SO", "so 2"])),
    accent=st.sampled_from(["us", "uk", "en-gb", "fr", ""]),
    gain=st.floats(0.0, 40.0),
    keep=st.floats(0.0, 1.0),
)
def test_assess_returns_sane_results_or_engine_errors(text, accent, gain, keep) -> None:
    clip = np.clip(speech(TEXT) * gain, -1, 1)[: int(len(speech(TEXT)) * keep)]
    try:
        result = assess(clip, text, accent=accent, loaded=_model())
    except AccentCoachError as exc:
        assert exc.code in ("audio_unusable", "text_invalid", "accent_unknown")
        return
    _sane(result)


# --- batch manifests -------------------------------------------------------------------


_field = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                   st.text(max_size=12), st.lists(st.integers(), max_size=2))


@examples(300)
@given(raw=st.one_of(
    st.binary(max_size=200),
    st.fixed_dictionaries({}, optional={"id": _field, "audio": _field, "text": _field,
                                        "accent": _field}).map(
        lambda d: json.dumps(d).encode()),
))
def test_manifest_lines_parse_or_raise_manifest_error(raw: bytes) -> None:
    try:
        item = parse_line(raw, 1, "us")
    except ManifestError as exc:
        assert exc.code in ("manifest_invalid", "accent_unknown") and "line 1" in str(exc)
        return
    assert isinstance(item.id, str) and isinstance(item.text, str) and item.audio.name


@examples(8, model=True)
@given(lines=st.lists(st.one_of(
    st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b),
    st.sampled_from([b'{"id": "g", "audio": "g.wav", "text": "I think so too"}',
                     b'{"audio": "g.wav", "text": 5}', b'\xef\xbb\xbf{"audio": "g.wav"}']),
), min_size=1, max_size=6))
def test_batch_writes_one_line_per_manifest_line(tmp_path_factory, lines) -> None:
    folder = tmp_path_factory.mktemp("fuzz-batch")
    sf.write(folder / "g.wav", speech(TEXT), 16000)
    manifest = folder / "m.jsonl"
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    out = folder / "out.jsonl"
    counts = assess_batch(manifest, out, loaded=_model(), with_prosody=False)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    expected = [ln for ln in manifest.read_bytes().split(b"\n") if ln.strip()]
    assert len(rows) == len(expected) == counts["ok"] + counts["failed"]
    for row in rows:
        assert row["error"] is None or set(row["error"]) == {"code", "message"}
        if row["error"] is None:
            assert all(math.isfinite(v) for v in row["scores"].values() if v is not None)
