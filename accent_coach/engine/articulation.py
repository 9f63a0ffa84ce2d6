"""Articulatory features of English IPA phones, for substitution costs and feedback.

Two phones that differ in one feature (s/z: voicing) are closer than two that
differ in several (s/m). Costs feed the heard-vs-expected alignment so that a
learner's "sink" for "think" lines θ up with s rather than with a neighbour.
"""

from __future__ import annotations

import functools

# consonant: (voiced, place, manner)
CONSONANTS: dict[str, tuple[bool, str, str]] = {
    "p": (False, "bilabial", "stop"), "b": (True, "bilabial", "stop"),
    "t": (False, "alveolar", "stop"), "d": (True, "alveolar", "stop"),
    "k": (False, "velar", "stop"), "ɡ": (True, "velar", "stop"), "g": (True, "velar", "stop"),
    "ɾ": (True, "alveolar", "flap"), "ʔ": (False, "glottal", "stop"),
    "f": (False, "labiodental", "fricative"), "v": (True, "labiodental", "fricative"),
    "θ": (False, "dental", "fricative"), "ð": (True, "dental", "fricative"),
    "s": (False, "alveolar", "fricative"), "z": (True, "alveolar", "fricative"),
    "ʃ": (False, "postalveolar", "fricative"), "ʒ": (True, "postalveolar", "fricative"),
    "h": (False, "glottal", "fricative"), "x": (False, "velar", "fricative"),
    "tʃ": (False, "postalveolar", "affricate"), "dʒ": (True, "postalveolar", "affricate"),
    "m": (True, "bilabial", "nasal"), "n": (True, "alveolar", "nasal"),
    "ŋ": (True, "velar", "nasal"),
    "l": (True, "alveolar", "lateral"), "ɬ": (False, "alveolar", "lateral"),
    "ɹ": (True, "postalveolar", "approximant"), "r": (True, "alveolar", "approximant"),
    "w": (True, "labiovelar", "approximant"), "j": (True, "palatal", "approximant"),
}
# vowel: (height 0 low .. 3 high, backness 0 front .. 2 back, rounded, long/diphthong)
VOWELS: dict[str, tuple[float, float, bool, bool]] = {
    "iː": (3, 0, False, True), "i": (3, 0, False, False), "ɪ": (2.5, 0.3, False, False),
    "ᵻ": (2.5, 1, False, False), "eɪ": (2.3, 0, False, True), "e": (2, 0, False, False),
    "ɛ": (1.5, 0, False, False), "æ": (0.5, 0, False, False), "a": (0, 0.5, False, False),
    "aɪ": (0.5, 0.5, False, True), "aʊ": (0.5, 1, False, True), "ɑː": (0, 2, False, True),
    "ɑ": (0, 2, False, False), "ɒ": (0, 2, True, False), "ɔː": (1, 2, True, True),
    "ɔ": (1, 2, True, False), "ɔɪ": (1, 2, True, True), "oʊ": (2, 2, True, True),
    "əʊ": (2, 1.5, True, True), "o": (2, 2, True, False), "ʊ": (2.5, 1.7, True, False),
    "uː": (3, 2, True, True), "u": (3, 2, True, False), "ʌ": (1, 1.5, False, False),
    "ə": (1.5, 1, False, False), "ɐ": (1, 1, False, False), "ɚ": (1.5, 1, False, False),
    "ɜː": (1.5, 1, False, True), "ɝ": (1.5, 1, False, True),
}
_PLACE_ORDER = [
    "bilabial", "labiodental", "labiovelar", "dental", "alveolar", "postalveolar",
    "palatal", "velar", "glottal",
]


def is_vowel(phone: str) -> bool:
    return phone in VOWELS


def is_consonant(phone: str) -> bool:
    return phone in CONSONANTS


@functools.cache
def distance(a: str, b: str) -> float:
    """Articulatory distance in [0, 1]: 0 same phone, ~0.3 one feature, 1 unrelated."""
    if a == b:
        return 0.0
    if a in CONSONANTS and b in CONSONANTS:
        va, pa, ma = CONSONANTS[a]
        vb, pb, mb = CONSONANTS[b]
        place = abs(_PLACE_ORDER.index(pa) - _PLACE_ORDER.index(pb)) / len(_PLACE_ORDER)
        d = 0.25 * (va != vb) + min(0.35, 0.1 + place) * (pa != pb) + 0.35 * (ma != mb)
        return min(1.0, 0.1 + d)
    if a in VOWELS and b in VOWELS:
        ha, ba, ra, la = VOWELS[a]
        hb, bb, rb, lb = VOWELS[b]
        d = abs(ha - hb) / 3 * 0.4 + abs(ba - bb) / 2 * 0.3 + 0.1 * (ra != rb) + 0.1 * (la != lb)
        return min(1.0, 0.1 + d)
    if {a, b} <= set(CONSONANTS) | set(VOWELS):
        glides = {"w", "j", "ɹ", "l"}
        return 0.8 if (a in glides or b in glides) else 1.0
    return 1.0


def describe_difference(expected: str, heard: str) -> str:
    """Which feature changed, in words ("voicing", "place", "manner", "vowel height")."""
    if expected in CONSONANTS and heard in CONSONANTS:
        ve, pe, me = CONSONANTS[expected]
        vh, ph, mh = CONSONANTS[heard]
        parts = []
        if ve != vh:
            parts.append("voicing" + (" (devoiced)" if ve else " (voiced)"))
        if pe != ph:
            parts.append(f"place ({pe} → {ph})")
        if me != mh:
            parts.append(f"manner ({me} → {mh})")
        return ", ".join(parts) or "articulation"
    if expected in VOWELS and heard in VOWELS:
        he, be, re_, le = VOWELS[expected]
        hh, bh, rh, lh = VOWELS[heard]
        parts = []
        if he != hh:
            parts.append("tongue too " + ("low" if hh < he else "high"))
        if be != bh:
            parts.append("tongue too " + ("far back" if bh > be else "far forward"))
        if re_ != rh:
            parts.append("lips " + ("rounded" if rh else "not rounded"))
        if le != lh:
            parts.append("too " + ("long" if lh else "short"))
        return ", ".join(parts) or "vowel quality"
    return "consonant/vowel confusion"


# Accent and reduction variants: tokens that are the same phoneme in one of our two
# target accents (or a weak form), so hearing one for the other is not an error.
_VARIANT_GROUPS = [
    {"ɑː", "ɒ", "ɔ"}, {"ɔ", "ɔː"}, {"oʊ", "əʊ"}, {"ɚ", "ə"}, {"ɜː", "ɝ", "ɚ"},
    {"ɾ", "t"}, {"ɾ", "d"}, {"i", "iː"}, {"i", "ɪ"}, {"ᵻ", "ɪ"}, {"ᵻ", "ə"},
    {"ɐ", "ə"}, {"ɐ", "ʌ"}, {"a", "æ"}, {"a", "aɪ"}, {"e", "ɛ"}, {"ɡ", "g"}, {"ɹ", "r"},
]


@functools.cache
def variants(phone: str) -> frozenset[str]:
    """Tokens accepted for ``phone`` besides itself (accent/weak-form variants)."""
    out: set[str] = set()
    for group in _VARIANT_GROUPS:
        if phone in group:
            out |= group
    out.discard(phone)
    return frozenset(out)
