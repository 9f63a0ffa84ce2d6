"""Text → IPA phones, the one G2P the app and the training recipe share.

espeak-ng is reached through phonemizer + espeakng-loader, so no apt package is
needed. Text is lower-cased first: espeak spells ALL-CAPS words as acronyms.
"""

from __future__ import annotations

import functools
import re

ACCENTS = {"us": "en-us", "uk": "en-gb", "en-us": "en-us", "en-gb": "en-gb"}
STRESS_MARKS = "ˈˌ"
_WORD_SEP = " | "


@functools.cache
def _backend(language: str):
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    return EspeakBackend(language, with_stress=True, preserve_punctuation=False)


def espeak_words(text: str, accent: str = "en-us") -> list[list[str]]:
    """Phones (with stress marks) of each spoken word espeak produces for ``text``."""
    from phonemizer.separator import Separator

    language = ACCENTS.get(accent, accent)
    clean = re.sub(r"\s+", " ", text.lower()).strip()
    if not clean:
        return []
    out = _backend(language).phonemize(
        [clean], separator=Separator(phone=" ", word=_WORD_SEP), strip=True
    )[0]
    return [w.split() for w in out.split(_WORD_SEP.strip()) if w.split()]


# espeak fuses some sequences into one symbol; the recognizer hears them as their
# parts, which keeps the inventory small and each class well trained.
_SPLITS = {
    "ɔːɹ": ["ɔː", "ɹ"],
    "ɑːɹ": ["ɑː", "ɹ"],
    "ɛɹ": ["ɛ", "ɹ"],
    "ɪɹ": ["ɪ", "ɹ"],
    "ʊɹ": ["ʊ", "ɹ"],
    "eə": ["ɛ", "ə"],
    "ɪə": ["ɪ", "ə"],
    "ʊə": ["ʊ", "ə"],
    "əl": ["ə", "l"],
    "aɪɚ": ["aɪ", "ɚ"],
    "aɪə": ["aɪ", "ə"],
    "iə": ["i", "ə"],
    "n̩": ["ə", "n"],
    "ʔ": ["t"],
}


def strip_stress(phone: str) -> str:
    return phone.translate({ord(c): None for c in STRESS_MARKS})


def recognizer_tokens(phone: str) -> list[str]:
    """The recognizer-inventory tokens of one espeak phone (stress removed)."""
    bare = strip_stress(phone)
    if not bare:
        return []
    return list(_SPLITS.get(bare, [bare]))


def text_to_phones(text: str, accent: str = "en-us") -> list[str]:
    """Stress-free phone tokens of ``text``: the recognizer's training labels."""
    return [t for word in espeak_words(text, accent) for p in word for t in recognizer_tokens(p)]
