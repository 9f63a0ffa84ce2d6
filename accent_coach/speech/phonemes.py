"""espeak-ng's phonemes of a text, through phonemizer + espeakng-loader.

The one place the code base asks espeak-ng how a text is pronounced: the engine's
references (``engine/g2p.py``) and the recognizer's training labels both come from
here. espeakng-loader ships the library and its data on PyPI, so no apt package is
needed. (Synthesis, a different use of the library, is :mod:`accent_coach.speech.espeak`.)
"""

from __future__ import annotations

import functools
import re
import threading

from accent_coach.accents import espeak_language

_WORD_SEP = " | "
_LOCK = threading.RLock()  # libespeak-ng is not thread-safe (Streamlit serves threads)


@functools.cache
def _backend(language: str):
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    return EspeakBackend(language, with_stress=True, preserve_punctuation=False)


def espeak_words(text: str, accent: str = "en-us") -> list[list[str]]:
    """Phones (with stress marks) of each spoken word espeak produces for ``text``.

    The text is lower-cased here: espeak spells ALL-CAPS words as acronyms."""
    from phonemizer.separator import Separator

    language = espeak_language(accent)
    clean = re.sub(r"\s+", " ", text.lower()).strip()
    if not clean:
        return []
    with _LOCK:
        out = _backend(language).phonemize(
            [clean], separator=Separator(phone=" ", word=_WORD_SEP), strip=True
        )[0]
    return [w.split() for w in out.split(_WORD_SEP.strip()) if w.split()]


def espeak_isolated(words: list[str], accent: str = "en-us") -> list[list[str]]:
    """Phones of each word said on its own (one phonemizer call for the list): the
    references compare them with the sentence's to find words espeak merged."""
    from phonemizer.separator import Separator

    with _LOCK:
        outs = _backend(espeak_language(accent)).phonemize(
            words, separator=Separator(phone=" ", word=_WORD_SEP), strip=True
        )
    return [o.replace("|", " ").split() for o in outs]
