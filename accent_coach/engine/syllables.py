"""IPA for learners: stress marks before the syllable, not before the vowel.

espeak marks stress on the vowel ("nˈaɪn wˈʌn"); dictionaries, IPA convention and
learners put the mark where the stressed syllable starts ("ˈnaɪn ˈwʌn"). Where that
is follows the maximal onset principle: of the consonants between two vowels, the
stressed syllable takes the longest run before its vowel that can begin an English
word ("ˌʌndɚˈstænd": "st" can, "ndɚst" cannot). The onsets below are English's
(Giegerich 1992, Cruttenden 2014): single consonants but /ŋ/, obstruent + liquid or
glide, /s/ + voiceless stop or nasal, /s/ + stop + liquid or glide.
"""

from __future__ import annotations

from collections.abc import Sequence

_VOWEL_CHARS = set("aeiouæɑɒɔəɐɚɛɜɝɪʊʌᵻyøœɤɯɵ")
MARKS = {1: "ˈ", 2: "ˌ"}

_STOPS = ("p", "b", "t", "d", "k", "ɡ", "g")
_TWO = {
    *(s + liquid for s in ("p", "b", "k", "ɡ", "g", "f", "v") for liquid in ("l", "ɹ", "r")),
    "tɹ", "dɹ", "tr", "dr", "θɹ", "θr", "ʃɹ", "ʃr",
    "tw", "dw", "kw", "ɡw", "gw", "θw", "sw",
    *(c + "j" for c in ("p", "b", "t", "d", "k", "ɡ", "g", "f", "v", "θ", "s", "z", "m", "n",
                        "h", "l")),
    "sp", "st", "sk", "sm", "sn", "sl", "sf",
}
_THREE = {"spl", "spɹ", "spr", "stɹ", "str", "skɹ", "skr", "skw", "skl", "spj", "stj", "skj",
          "smj"}


def is_vowel(token: str) -> bool:
    """A vowel or diphthong token (any vowel letter in it: "aɪ", "iː", "ɚ")."""
    return any(ch in _VOWEL_CHARS for ch in token)


def legal_onset(consonants: Sequence[str]) -> bool:
    """Whether these consonants can begin an English syllable."""
    n = len(consonants)
    if n == 0:
        return True
    joined = "".join(consonants)
    if n == 1:
        return consonants[0] != "ŋ"
    if n == 2:
        return joined in _TWO
    return n == 3 and joined in _THREE


def syllable_starts(tokens: Sequence[str]) -> list[int]:
    """Index of the first token of each syllable (one per vowel), by maximal onsets."""
    vowels = [i for i, t in enumerate(tokens) if is_vowel(t)]
    starts = []
    previous_end = 0
    for v in vowels:
        start = v
        while start > previous_end and legal_onset(tokens[start - 1 : v]):
            start -= 1
        starts.append(start if starts else 0)  # a word's first syllable has all before it
        previous_end = v + 1
    return starts


def stressed_ipa(tokens: Sequence[str], stress: Sequence[int]) -> str:
    """One word's IPA with ˈ / ˌ before each stressed syllable (``stress``: per token,
    1 primary, 2 secondary, 0 none; the mark sits on the syllable's vowel)."""
    marks: dict[int, str] = {}
    vowel_syllable = {}
    vowels = [i for i, t in enumerate(tokens) if is_vowel(t)]
    for start, v in zip(syllable_starts(tokens), vowels):
        vowel_syllable[v] = start
    for i, level in enumerate(stress):
        if level in MARKS:
            marks[vowel_syllable.get(i, i)] = MARKS[level]
    return "".join(marks.get(i, "") + t for i, t in enumerate(tokens))
