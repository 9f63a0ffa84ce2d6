"""The phone inventory's mappings: our espeak-ng IPA tokens ↔ ARPAbet and the fallbacks
that put a reference phone onto another recognizer's vocabulary."""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------
# Mapping layer between our IPA tokens and other recognizers' inventories.
# --------------------------------------------------------------------------------------

IPA_TO_ARPABET = {
    "ɑː": "AA",
    "ɑ": "AA",
    "ɒ": "AA",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɔː": "AO",
    "ɔ": "AO",
    "aʊ": "AW",
    "aɪ": "AY",
    "ɛ": "EH",
    "e": "EH",
    "ɜː": "ER",
    "ɝ": "ER",
    "ɚ": "ER",
    "eɪ": "EY",
    "ɪ": "IH",
    "ᵻ": "IH",
    "i": "IY",
    "iː": "IY",
    "oʊ": "OW",
    "əʊ": "OW",
    "o": "OW",
    "ɔɪ": "OY",
    "ʊ": "UH",
    "uː": "UW",
    "u": "UW",
    "b": "B",
    "tʃ": "CH",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "dʒ": "JH",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "v": "V",
    "w": "W",
    "j": "Y",
    "z": "Z",
    "ʒ": "ZH",
    "ɾ": "T",
    "ʔ": "T",
    "x": "K",
    "ɬ": "L",
}
ARPABET_TO_IPA = {
    "AA": "ɑː",
    "AE": "æ",
    "AH": "ʌ",
    "AO": "ɔː",
    "AW": "aʊ",
    "AY": "aɪ",
    "EH": "ɛ",
    "ER": "ɚ",
    "EY": "eɪ",
    "IH": "ɪ",
    "IY": "iː",
    "OW": "oʊ",
    "OY": "ɔɪ",
    "UH": "ʊ",
    "UW": "uː",
    "B": "b",
    "CH": "tʃ",
    "D": "d",
    "DH": "ð",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "JH": "dʒ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "P": "p",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
# Near-equivalents tried in order when an IPA vocabulary lacks one of our tokens.
_IPA_FALLBACKS = {
    "ɾ": ["t", "d"],
    "ᵻ": ["ɪ", "ə"],
    "ɐ": ["ə", "ʌ"],
    "ɚ": ["ə"],
    "ɝ": ["ɜː", "ɚ"],
    "ɜː": ["ɝ", "ɚ"],
    "i": ["iː"],
    "iː": ["i"],
    "u": ["uː"],
    "uː": ["u"],
    "ɑ": ["ɑː"],
    "ɑː": ["ɑ"],
    "ɔ": ["ɔː"],
    "ɔː": ["ɔ"],
    "oʊ": ["əʊ", "o"],
    "əʊ": ["oʊ", "o"],
    "ɒ": ["ɑː", "ɔ"],
    "ɡ": ["g"],
    "g": ["ɡ"],
    "ɹ": ["r"],
    "r": ["ɹ"],
    "ʔ": ["t"],
    "e": ["ɛ", "eɪ"],
    "ɛ": ["e"],
    "x": ["k"],
    "ɬ": ["l"],
}
_ARPA_DIGITS = re.compile(r"[012]$")


def _vocab_index(vocab: list[str]) -> dict[str, str]:
    return {v: v for v in vocab}


def to_inventory(token: str, vocab: list[str], output_kind: str) -> str | None:
    """Our IPA token in a recognizer's vocabulary (IPA-espeak or ARPAbet); None if absent."""
    if output_kind == "arpabet":
        arpa = IPA_TO_ARPABET.get(token)
        if arpa is None:
            return None
        by_base = {}
        for v in vocab:
            by_base.setdefault(_ARPA_DIGITS.sub("", v).upper(), v)
        return by_base.get(arpa)
    index = _vocab_index(vocab)
    for cand in [token, *_IPA_FALLBACKS.get(token, [])]:
        if cand in index:
            return cand
    return None


def to_ipa(token: str, output_kind: str) -> str:
    """A recognizer token as IPA for display (ARPAbet stress digits dropped)."""
    if output_kind == "arpabet":
        return ARPABET_TO_IPA.get(_ARPA_DIGITS.sub("", token).upper(), token)
    return token
