"""Offline speech synthesis with espeak-ng (no apt, no network).

The Practice page uses it as the fallback reference voice, the engine uses it as
the prosody reference, and the tests use it to make real speech. phonemizer's
ctypes wrapper only phonemizes, so we drive libespeak-ng's synthesis API
directly: ``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS)`` + a synth callback that
collects the int16 samples.
"""

from __future__ import annotations

import ctypes
import functools
import threading

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_VOICES = {"us": "en-us", "uk": "en", "en-us": "en-us", "en-gb": "en"}  # "en" = British

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_LOCK = threading.Lock()  # libespeak-ng keeps global state: one synthesis at a time


class TTSError(RuntimeError):
    """espeak-ng could not be loaded or refused the request."""


class _Espeak:
    """One private libespeak-ng instance set up for synchronous synthesis."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int
        ]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.sample_rate <= 0:
            raise TTSError("espeak-ng failed to initialise")
        self._chunks: list[np.ndarray] = []
        self._cb = _CALLBACK(self._collect)  # keep a reference: ctypes would free it
        self.lib.espeak_SetSynthCallback(self._cb)
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]

    def _collect(self, wav, numsamples, _events) -> int:
        if numsamples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0  # 0 = continue synthesis

    def synth(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int
    ) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise TTSError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(_RATE, int(rate_wpm), 0)
        self.lib.espeak_SetParameter(_PITCH, int(pitch), 0)
        self.lib.espeak_SetParameter(_RANGE, int(pitch_range), 0)
        self.lib.espeak_SetParameter(_VOLUME, 100, 0)
        self._chunks = []
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        err = self.lib.espeak_Synth(
            buf, len(buf), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if err != 0:
            raise TTSError(f"espeak-ng synthesis failed (code {err})")
        self.lib.espeak_Synchronize()
        if not self._chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._chunks)


@functools.cache
def _engine() -> _Espeak:
    return _Espeak()


def synthesize(
    text: str,
    voice: str = "en-us",
    rate_wpm: int = 160,
    pitch: int = 50,
    pitch_range: int = 50,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with espeak-ng; returns (float32 mono in [-1, 1], sample rate).

    ``voice`` is an espeak voice name or an accent key (``us``/``uk``);
    ``rate_wpm`` is words per minute (80–450), ``pitch`` 0–99, ``pitch_range`` 0–99
    (0 = monotone).
    """
    name = _VOICES.get(voice, voice)
    with _LOCK:
        engine = _engine()
        pcm = engine.synth(text, name, rate_wpm, pitch, pitch_range)
    return pcm.astype(np.float32) / 32768.0, engine.sample_rate

