"""Offline speech synthesis with espeak-ng (no apt, no network).

The Practice page uses it as the fallback reference voice, the engine uses it as
the prosody reference, and the tests use it to make real speech. phonemizer's
ctypes wrapper only phonemizes, so we drive libespeak-ng's synthesis API
directly: ``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS)`` + a synth callback that
collects the int16 samples.

Determinism: libespeak-ng keeps synthesis state in C statics that nothing resets —
e.g. the pitch-flutter index ``Flutter_ix`` in ``wavegen.c`` (a function-local
static) advances every 64 samples and carries over to the next utterance, so the
same text gave a different waveform (and length) on every call in a process, while
the first call of every process was identical. ``espeak_Initialize`` and the random
seeds do not reset it. So each synthesis runs in a fresh library instance: a private
copy of the shared object is loaded, initialised, used once and unloaded (about
10 ms), which makes every call behave like a process's first one.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import functools
import os
import shutil
import tempfile
import threading

import numpy as np

from accent_coach.accents import espeak_voice
from accent_coach.errors import TTSError

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_LOCK = threading.Lock()  # libespeak-ng keeps global state: one synthesis at a time


class _Espeak:
    """One fresh libespeak-ng instance set up for synchronous synthesis (use once)."""

    def __init__(self, library: str) -> None:
        import espeakng_loader

        self.sample_rate = 0
        self.lib = ctypes.CDLL(library, mode=os.RTLD_LOCAL)
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int
        ]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.sample_rate <= 0:
            self.close()
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

    def close(self) -> None:
        """Free espeak's buffers and unload this instance (its C statics go with it)."""
        if self.sample_rate > 0:
            self.lib.espeak_Terminate()
        unload = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary  # POSIX / Windows
        unload(self.lib._handle)

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
def _private_library() -> str:
    """A copy of libespeak-ng that only this module opens, so dlclose really unloads it
    (phonemizer opens its own copy for G2P)."""
    import espeakng_loader

    folder = tempfile.mkdtemp(prefix="accent-coach-espeak-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    source = espeakng_loader.get_library_path()
    path = os.path.join(folder, os.path.basename(source))
    shutil.copy(source, path)
    return path


def synthesize(
    text: str,
    voice: str = "en-us",
    rate_wpm: int = 160,
    pitch: int = 50,
    pitch_range: int = 50,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with espeak-ng; returns (float32 mono in [-1, 1], sample rate).

    ``voice`` is an espeak voice name or an accent name (``us``, ``en-gb``…);
    ``rate_wpm`` is words per minute (80–450), ``pitch`` 0–99, ``pitch_range`` 0–99
    (0 = monotone).
    """
    name = espeak_voice(voice)
    with _LOCK:
        engine = _Espeak(_private_library())
        try:
            pcm = engine.synth(text, name, rate_wpm, pitch, pitch_range)
        finally:
            engine.close()
    return pcm.astype(np.float32) / 32768.0, engine.sample_rate

