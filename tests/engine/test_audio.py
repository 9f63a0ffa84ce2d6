"""Audio loading and validation: formats, corrupt/silent/short/long/clipped inputs, TTS."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from accent_coach.engine.audio import SAMPLE_RATE, AudioError, check, load_audio, speech_bounds
from accent_coach.speech.espeak import synthesize


def _tone(seconds: float, sr: int = SAMPLE_RATE, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_synthesize_makes_speech() -> None:
    wav, sr = synthesize("Hello world, this is a test.", voice="us")
    assert sr == 22050
    assert 1.0 < len(wav) / sr < 4.0
    assert 0.1 < np.abs(wav).max() <= 1.0
    uk, _ = synthesize("Hello world, this is a test.", voice="uk")
    assert len(uk) != len(wav) or not np.allclose(uk, wav)


def test_wav_bytes_and_path_resample_to_16k(tmp_path) -> None:
    wav, sr = synthesize("Good morning")
    path = tmp_path / "a.wav"
    sf.write(path, wav, sr)
    a = load_audio(path)
    b = load_audio(path.read_bytes())
    assert a.samples.dtype == np.float32
    assert abs(a.duration - len(wav) / sr) < 0.01
    assert np.allclose(a.samples, b.samples)


def test_stereo_flac_is_downmixed(tmp_path) -> None:
    x = _tone(1.0, 44100)
    path = tmp_path / "s.flac"
    sf.write(path, np.stack([x, x], axis=1), 44100)
    a = load_audio(path)
    assert a.samples.ndim == 1 and abs(a.duration - 1.0) < 0.01


def test_webm_opus_through_pyav(tmp_path) -> None:
    av = pytest.importorskip("av")
    path = tmp_path / "rec.webm"
    x = _tone(1.0, 48000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
        frame.rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    a = load_audio(path)
    assert 0.9 < a.duration < 1.2


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"RIFF\x00\x00garbage" * 10, "could not decode"),
     (bytes(range(256)) * 40, "could not decode")],
)
def test_corrupt_or_empty_bytes(data: bytes, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        load_audio(data)


def test_missing_and_empty_files(tmp_path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(tmp_path / "e.wav")


def test_truncated_wav_header(tmp_path) -> None:
    buf = io.BytesIO()
    sf.write(buf, _tone(1.0), SAMPLE_RATE, format="WAV")
    with pytest.raises(AudioError):
        load_audio(buf.getvalue()[:30])


def test_too_short() -> None:
    with pytest.raises(AudioError, match="too short"):
        load_audio(_tone(0.05))


def test_silence_and_near_silence() -> None:
    with pytest.raises(AudioError, match="silent"):
        load_audio(np.zeros(SAMPLE_RATE, dtype=np.float32))
    with pytest.raises(AudioError, match="silent"):
        load_audio(_tone(1.0, amp=1e-4))


def test_nan_samples() -> None:
    x = _tone(1.0)
    x[100] = np.nan
    with pytest.raises(AudioError, match="invalid"):
        check(x)


def test_clipped_gives_warning_not_error() -> None:
    x = np.clip(_tone(1.0, amp=3.0), -1, 1)
    assert any(w["code"] == "clipped" for w in load_audio(x).warnings)


def test_quiet_gives_warning() -> None:
    assert any(w["code"] == "quiet" for w in load_audio(_tone(1.0, amp=0.02)).warnings)


def test_ten_minutes_accepted_eleven_rejected(monkeypatch) -> None:
    ten = np.tile(_tone(1.0), 600)
    assert abs(load_audio(ten).duration - 600) < 0.01
    with pytest.raises(AudioError, match="too long"):
        load_audio(np.tile(_tone(1.0), 660))
    monkeypatch.setenv("ACCENT_COACH_MAX_SECONDS", "5")
    with pytest.raises(AudioError, match="limit is 5"):
        load_audio(_tone(6.0))


def test_speech_bounds_skip_leading_and_trailing_silence() -> None:
    x = np.concatenate([np.zeros(SAMPLE_RATE), _tone(1.0), np.zeros(SAMPLE_RATE)])
    start, end = speech_bounds(x)
    assert 0.8 < start < 1.0 and 2.0 < end < 2.2


@pytest.mark.parametrize(("up", "down", "dtype"), [(320, 441, np.float32), (160, 441, np.float32),
                                                   (1, 3, np.float32), (2, 1, np.float64)])
def test_resampling_is_scipys_resample_poly(up, down, dtype) -> None:
    """The numpy polyphase resampler gives scipy's numbers (to float rounding)."""
    from scipy.signal import resample_poly as scipy_resample_poly

    from accent_coach.engine.audio import resample_poly

    x = np.random.default_rng(up + down).standard_normal(30_000).astype(dtype)
    want = scipy_resample_poly(x, up, down)
    got = resample_poly(x, up, down)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()
