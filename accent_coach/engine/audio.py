"""Load and check learner recordings: any common container → mono float32 16 kHz.

soundfile (libsndfile) reads wav/flac/ogg/mp3 quickly; PyAV (FFmpeg) covers what
browsers record (webm/opus, m4a/aac) and anything libsndfile rejects. Problems
become :class:`AudioError` with a message a learner can act on; recoverable
issues (clipping, low level) become warnings instead.

Decoding is bounded: a 476 KB FLAC can hold 1.8 GB of samples, so the header is read
first and the decode streams and stops at the limit (see :func:`decode`). Every
caller — API, batch jobs, CLI, Practice page — goes through :func:`load_audio`.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accent_coach.config import limits
from accent_coach.engine.result_warnings import ResultWarning, warning
from accent_coach.errors import AudioError, AudioTooLong
from accent_coach.speech import SAMPLE_RATE

MIN_SECONDS = 0.3  # shorter than one syllable: nothing to score
MAX_INPUT_RATE = 768_000  # highest sample rate any audio interface records
MAX_DIRECT_RATE = 48_000  # above it, files decode through the streaming resampler
MAX_CHANNELS = 32  # more is not a recording of one voice; bounds a block's size too
BLOCK_SAMPLES = 1 << 20  # samples (frames × channels) per streamed block: 4 MB of float32
MAX_SECONDS_HINT = "set ACCENT_COACH_MAX_SECONDS to change it"
SILENCE_RMS = 1e-3  # about -60 dBFS
SILENCE_PEAK = 5e-3
CLIP_LEVEL = 0.999
CLIP_SHARE = 0.001  # warn when more than 0.1 % of samples sit at full scale
QUIET_PEAK = 0.05


@dataclass
class Audio:
    """A validated recording plus the region that holds speech."""

    samples: np.ndarray  # mono float32 at SAMPLE_RATE
    speech_start: float  # seconds: leading silence trimmed for scoring
    speech_end: float
    warnings: list[ResultWarning] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def max_seconds() -> float:
    """Longest accepted recording (``ACCENT_COACH_MAX_SECONDS``, read in config)."""
    return limits().max_seconds


def _too_long(seconds: float | None, limit: float, hint: str) -> AudioTooLong:
    lasts = f"lasts {seconds:.1f} s" if seconds is not None else f"is longer than {limit:g} s"
    return AudioTooLong(
        f"the recording is too long (it {lasts}); the limit is {limit:g} s ({hint})"
    )


def _check_header(channels: int, rate: float, seconds: float | None, limit: float,
                  hint: str) -> None:
    """Refuse from the container's header alone, before one sample is decoded."""
    if not 0 < channels <= MAX_CHANNELS:
        raise AudioError(f"the recording has {channels} channels; at most {MAX_CHANNELS} "
                         "are accepted")
    if not 0 < rate <= MAX_INPUT_RATE:
        raise AudioError(f"the recording's sample rate ({rate:g} Hz) is outside "
                         f"1–{MAX_INPUT_RATE} Hz")
    if seconds is not None and seconds > limit:
        raise _too_long(seconds, limit, hint)


def _read_soundfile(src: io.BytesIO | str, limit: float, hint: str) -> tuple[np.ndarray, int]:
    """libsndfile, read block by block and downmixed per block; stops past ``limit``.

    The header's frame count is checked first; the read is capped as well, because a
    header can lie (or say nothing). Rates above :data:`MAX_DIRECT_RATE` go to the
    streaming resampler instead (``_HighRate``), so mono samples at the input rate never
    exceed ``limit`` × 48 kHz.
    """
    import soundfile as sf

    with sf.SoundFile(src) as f:
        rate, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
        known = 0 < frames < 2**40  # libsndfile reports a huge count when it cannot tell
        _check_header(channels, rate, frames / rate if known else None, limit, hint)
        if rate > MAX_DIRECT_RATE:
            raise _HighRate
        cap = int(limit * rate) + 1  # one frame past the limit proves "too long"
        block = max(1024, BLOCK_SAMPLES // channels)
        parts, total = [], 0
        while total < cap:
            data = f.read(min(block, cap - total), dtype="float32", always_2d=True)
            if not len(data):
                break
            parts.append(data.mean(axis=1))
            total += len(data)
    if total >= cap:
        raise _too_long(None, limit, hint)
    wav = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return wav.astype(np.float32, copy=False), rate


def _read_av(src: io.BytesIO | str, limit: float, hint: str) -> tuple[np.ndarray, int]:
    """PyAV (FFmpeg), resampled to mono 16 kHz frame by frame; stops past ``limit``."""
    import av

    with av.open(src) as container:
        if not container.streams.audio:
            raise AudioError("the file has no audio track")
        stream = container.streams.audio[0]
        seconds = None
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / 1_000_000  # av.time_base: microseconds
        _check_header(stream.codec_context.channels or 1, stream.sample_rate or SAMPLE_RATE,
                      seconds, limit, hint)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        cap = int(limit * SAMPLE_RATE) + 1
        parts, total = [], 0
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
                total += parts[-1].size
            if total >= cap:
                raise _too_long(None, limit, hint)
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
            total += parts[-1].size
    if total >= cap:
        raise _too_long(None, limit, hint)
    wav = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return wav.astype(np.float32), SAMPLE_RATE


class _HighRate(Exception):
    """libsndfile opened the file, but its rate is for the streaming resampler."""


def decode(
    source: str | os.PathLike | bytes, limit: float | None = None,
    hint: str = MAX_SECONDS_HINT,
) -> tuple[np.ndarray, int]:
    """Decode a path or encoded bytes to (mono float32, sample rate), never more than
    ``limit`` seconds (default: ``ACCENT_COACH_MAX_SECONDS``) of it: a longer recording is
    refused from its header, or when the streamed decode passes the limit, so a small
    compressed file cannot expand into gigabytes (AudioTooLong, ``hint`` names the
    setting to change)."""
    limit = max_seconds() if limit is None else min(limit, max_seconds())
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"audio file not found: {path}")
        if path.stat().st_size == 0:
            raise AudioError(f"audio file is empty: {path}")
        opened = lambda: str(path)  # noqa: E731 - each decoder opens the file afresh
    else:
        if len(source) == 0:
            raise AudioError("audio data is empty")
        data = bytes(source)
        opened = lambda: io.BytesIO(data)  # noqa: E731
    try:
        return _read_soundfile(opened(), limit, hint)
    except AudioError:
        raise
    except Exception:  # noqa: BLE001 - libsndfile rejects many valid containers
        pass
    try:
        return _read_av(opened(), limit, hint)
    except AudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure means unreadable
        raise AudioError(
            "could not decode the audio (corrupt or unsupported format; "
            "use wav, flac, ogg, mp3, webm or m4a)"
        ) from exc


def _checked_rate(sample_rate: object) -> int:
    """The array's sample rate as a positive whole number, or AudioError."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer, float)):
        raise AudioError(f"sample_rate must be a number of samples per second, "
                         f"not {type(sample_rate).__name__}")
    if not (0 < sample_rate <= MAX_INPUT_RATE) or int(sample_rate) != sample_rate:
        raise AudioError(
            f"sample_rate must be a whole number between 1 and {MAX_INPUT_RATE} Hz, "
            f"not {sample_rate!r}"
        )
    return int(sample_rate)


def _array_samples(source: np.ndarray) -> np.ndarray:
    """A sample array as mono float32: (samples,), (samples, channels) or (channels, samples)."""
    if source.dtype.kind not in "biuf":
        raise AudioError(f"audio samples must be real numbers, not {source.dtype} values")
    wav = np.asarray(source, dtype=np.float32)
    if wav.ndim == 2 and wav.size:
        wav = wav.mean(axis=1 if wav.shape[0] > wav.shape[1] else 0)
    if wav.ndim != 1:
        raise AudioError(
            f"audio must be a 1-D (mono) or 2-D (channels) sample array, not {wav.ndim}-D"
        )
    return wav


def resample(wav: np.ndarray, sr: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited polyphase resampling, exact for integer ratios: scipy's
    ``resample_poly`` (Kaiser-windowed sinc, β = 5, ten zero crossings) in numpy, because
    importing ``scipy.signal`` costs ~0.7 s of CPU, a fifth of a one-shot
    ``accent-coach assess`` (it resamples the espeak reference)."""
    if sr == target:
        return wav.astype(np.float32, copy=False)
    from math import gcd

    g = gcd(int(sr), int(target))
    return resample_poly(np.asarray(wav), target // g, int(sr) // g).astype(np.float32)


def _lowpass(up: int, down: int) -> np.ndarray:
    """scipy's ``firwin(2·10·max + 1, 1/max, window=("kaiser", 5.0))``, max = max(up, down)."""
    rate = max(up, down)
    taps = 2 * 10 * rate + 1
    m = np.arange(taps) - 0.5 * (taps - 1)
    h = (1.0 / rate) * np.sinc(m / rate) * np.kaiser(taps, 5.0)
    return h / np.sum(h)


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Polyphase filtering as ``scipy.signal.resample_poly(x, up, down)`` (constant
    padding): output k is Σ_i h[p + i·up] · x[j - i] with k·down = j·up + p."""
    if up == down == 1:
        return x.copy()
    n_in = len(x)
    n_out = n_in * up // down + bool(n_in * up % down)
    h = _lowpass(up, down).astype(x.dtype if x.dtype.kind == "f" else np.float64) * up
    half = 10 * max(up, down)
    pre = down - half % down
    skip = (half + pre) // down
    h = np.concatenate([np.zeros(pre, h.dtype), h])
    width = -(-len(h) // up)
    h = np.concatenate([h, np.zeros(width * up - len(h), h.dtype)])
    i = np.arange(width)
    out = np.empty(n_out, dtype=h.dtype)
    block = max(1, 2**21 // width)  # outputs per step: memory stays flat on long takes
    for start in range(0, n_out, block):
        t = (np.arange(start, min(n_out, start + block)) + skip) * down  # upsampled grid
        phase, j = t % up, t // up
        coef = h[phase[:, None] + i[None, :] * up]  # [outputs, width]
        src = j[:, None] - i[None, :]
        inside = (src >= 0) & (src < n_in)
        samples = np.where(inside, x[np.clip(src, 0, n_in - 1)], 0).astype(h.dtype)
        out[start : start + len(t)] = np.einsum("kw,kw->k", coef, samples)
    return out


def speech_bounds(wav: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[float, float]:
    """Start/end (s) of the region louder than 30 dB below the loudest 20 ms frame."""
    hop = int(0.02 * sr)
    n = len(wav) // hop
    if n == 0:
        return 0.0, len(wav) / sr
    frames = wav[: n * hop].reshape(n, hop).astype(np.float64)  # no overflow on wild arrays
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = np.flatnonzero(db > max(db.max() - 30.0, -60.0))
    if active.size == 0:
        return 0.0, len(wav) / sr
    pad = 0.1  # keep onsets/offsets that sit under the threshold
    start = max(0.0, active[0] * hop / sr - pad)
    end = min(len(wav) / sr, (active[-1] + 1) * hop / sr + pad)
    return start, end


def check(
    wav: np.ndarray, sr: int = SAMPLE_RATE, limit: float | None = None,
    hint: str = MAX_SECONDS_HINT,
) -> list[ResultWarning]:
    """Raise AudioError for unusable audio; return warnings for degraded audio."""
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise AudioError("audio must be mono (one channel)")
    if wav.size == 0:
        raise AudioError("the recording contains no samples")
    if not np.all(np.isfinite(wav)):
        raise AudioError("the recording contains invalid (NaN/inf) samples")
    seconds = wav.size / sr
    if seconds < MIN_SECONDS:
        raise AudioError(
            f"the recording is too short ({seconds:.2f} s); record at least {MIN_SECONDS} s"
        )
    limit = max_seconds() if limit is None else min(limit, max_seconds())
    if seconds > limit:
        raise _too_long(seconds, limit, hint)
    peak = float(np.max(np.abs(wav)))
    rms = float(np.sqrt(np.mean(wav.astype(np.float64) ** 2)))
    if peak < SILENCE_PEAK or rms < SILENCE_RMS:
        raise AudioError("the recording is silent; check the microphone and speak closer")
    warnings = []
    if np.mean(np.abs(wav) >= CLIP_LEVEL) > CLIP_SHARE:
        warnings.append(warning(
            "clipped", "the recording is clipped (too loud); scores may be lower than deserved"
        ))
    elif peak < QUIET_PEAK:
        warnings.append(
            warning("quiet", "the recording is very quiet; speak closer to the microphone")
        )
    return warnings


def load_audio(
    source: str | os.PathLike | bytes | np.ndarray, sample_rate: int = SAMPLE_RATE,
    *, max_seconds: float | None = None, hint: str = MAX_SECONDS_HINT,
) -> Audio:
    """Decode, downmix, resample to 16 kHz and validate; ``sample_rate`` is for arrays only.

    ``max_seconds`` lowers the limit below ``ACCENT_COACH_MAX_SECONDS`` (the API's own
    limit); encoded input longer than the limit is refused before it is decoded (see
    :func:`decode`), and ``hint`` names the setting in the message.
    """
    if isinstance(source, np.ndarray):
        wav, sr = _array_samples(source), _checked_rate(sample_rate)
    elif isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        wav, sr = decode(source, max_seconds, hint)
    else:
        raise AudioError(
            f"audio must be a file path, encoded bytes or a sample array, "
            f"not {type(source).__name__}"
        )
    limit = limits().max_seconds if max_seconds is None else min(max_seconds,
                                                                  limits().max_seconds)
    if wav.size and wav.size / sr > limit + 1:
        check(wav, sr, limit, hint)  # fail before resampling a huge array
    wav = resample(wav, sr)
    warnings = check(wav, limit=limit, hint=hint)
    start, end = speech_bounds(wav)
    return Audio(samples=wav, speech_start=start, speech_end=end, warnings=warnings)
