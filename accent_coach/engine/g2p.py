"""Text → IPA phones, the one G2P the app and the training recipe share.

espeak-ng is reached through phonemizer + espeakng-loader, so no apt package is
needed. Text is lower-cased first: espeak spells ALL-CAPS words as acronyms.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from accent_coach.config import limits
from accent_coach.errors import AccentCoachError, InputError

ACCENTS = {"us": "en-us", "uk": "en-gb", "en-us": "en-us", "en-gb": "en-gb"}
STRESS_MARKS = "ˈˌ"
_WORD_SEP = " | "
_ESPEAK_LOCK = threading.RLock()  # libespeak-ng is not thread-safe (Streamlit serves threads)


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
    with _ESPEAK_LOCK:
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


# --------------------------------------------------------------------------------------
# Assessment references: written words → spoken words → phones per written word.
# (Additions only; nothing above changes, so the training labels stay as they are.)
# --------------------------------------------------------------------------------------


class TextError(AccentCoachError, ValueError):
    """The target text has nothing that can be pronounced and scored."""

    code = "text_invalid"
    http_status = 422


@dataclass
class RefWord:
    """One written word of the target text and the phones it should be read with."""

    text: str  # as written, punctuation stripped ("23", "Dr", "don't")
    phones: list[str]  # espeak phones with stress marks
    tokens: list[str]  # recognizer-inventory tokens (stress-free IPA)
    stress: list[int]  # per token: 1 primary, 2 secondary, 0 unstressed


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
ABBREVIATIONS = {
    "dr": "doctor",
    "mr": "mister",
    "mrs": "missus",
    "ms": "miz",
    "st": "street",
    "jr": "junior",
    "sr": "senior",
    "prof": "professor",
    "vs": "versus",
    "etc": "et cetera",
    "e.g": "for example",
    "i.e": "that is",
    "no": "number",
    "approx": "approximately",
    "min": "minutes",
    "km": "kilometres",
    "kg": "kilograms",
    "ft": "feet",
    "mt": "mount",
}
_ABBREV_NEEDS_DOT = {"no", "st", "min", "mt"}  # also ordinary words: expand only with "."
_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "@": "at", "=": "equals", "#": "number"}
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}


def number_words(n: int) -> str:
    """Cardinal number in words: 23 → "twenty three", 1905 → "one thousand nine hundred five"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    for size, name in _SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            tail = "" if rest == 0 else " " + number_words(rest)
            return f"{number_words(head)} {name}{tail}"
    raise AssertionError("unreachable")


def _year_words(n: int) -> str:
    """Years read in pairs: 1990 → "nineteen ninety", 2015 → "twenty fifteen"."""
    head, tail = divmod(n, 100)
    if tail == 0:
        return number_words(head) + " hundred"
    if tail < 10:
        return number_words(head) + " oh " + number_words(tail)
    return number_words(head) + " " + number_words(tail)


def _ordinal(words: str) -> str:
    *head, last = words.split()
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def _speak_number(token: str) -> str | None:
    """Spoken form of a numeric token (int, decimal, ordinal, year, currency, percent)."""
    m = re.fullmatch(r"([$£€]?)(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th|s|%)?", token)
    if not m:
        return None
    cur, whole, frac, suffix = m.groups()
    digits = whole.replace(",", "")
    n = int(digits)
    is_year = (
        not cur
        and not frac
        and "," not in whole
        and len(digits) == 4
        and (1100 <= n <= 1999 or 2010 <= n <= 2099)
        and suffix in (None, "s")
    )
    words = _year_words(n) if is_year else number_words(n)
    if frac:
        words += " point " + " ".join(_ONES[int(d)] for d in frac)
    if suffix in ("st", "nd", "rd", "th"):
        words = _ordinal(words)
    elif suffix == "s":
        words = words[:-1] + "ies" if words.endswith("y") else words + "s"
    elif suffix == "%":
        words += " percent"
    if cur:
        words += " " + _CURRENCY[cur]
    return words


_EDGE_PUNCT = "\"'“”‘’«»()[]{}<>,;:!?¡¿…—–-*_/\\|~`^"


def _spoken_form(raw: str) -> tuple[str, str]:
    """(display text, spoken words) of one whitespace-separated token of the target."""
    core = raw.strip(_EDGE_PUNCT)
    had_dot = core.endswith(".")
    core = core.rstrip(".").strip(_EDGE_PUNCT)
    if not core:
        return "", ""
    if core in _SYMBOLS:
        return core, _SYMBOLS[core]
    spoken = _speak_number(core)
    if spoken is not None:
        return core, spoken
    key = core.lower()
    if key in ABBREVIATIONS and (had_dot or key not in _ABBREV_NEEDS_DOT):
        if key not in ("no",) or had_dot:
            return core, ABBREVIATIONS[key]
    parts = []
    for piece in re.split(r"[-–—/.]+", key):
        piece = "".join(_SYMBOLS.get(c, c) if c in _SYMBOLS else c for c in piece)
        piece = re.sub(r"[^\w'’]+", " ", piece).replace("’", "'").strip(" '")
        for sub in re.findall(r"\d+|[^\W\d_][\w']*", piece):
            parts.append(_speak_number(sub) or sub)
    return core, " ".join(p for p in parts if p)


_CLAUSE_MARKS = ",.;:?!"


def _normalized(text: str) -> list[tuple[str, str, str]]:
    """(display, spoken words, clause mark after it) per pronounceable written token."""
    text = re.sub(r"(?<=\w)&(?=\w)", " & ", text.replace("’", "'"))
    out = []
    for raw in text.split():
        display, spoken = _spoken_form(raw)
        if spoken and re.search(r"[^\W\d_]", spoken):
            tail = raw.rstrip("\"'“”‘’»)]}")
            mark = tail[-1] if tail and tail[-1] in _CLAUSE_MARKS else ""
            if mark == "." and spoken == ABBREVIATIONS.get(display.lower()):
                mark = ""  # "Dr." ends an abbreviation, not a sentence
            out.append((display, spoken, mark))
    return out


def normalize_text(text: str) -> list[tuple[str, str]]:
    """Written words paired with what is said for them; unpronounceable tokens drop out.

    "Dr. Smith's 2nd car, 50%!" → [("Dr", "doctor"), ("Smith's", "smith's"),
    ("2nd", "second"), ("car", "car"), ("50%", "fifty percent")]
    """
    return [(display, spoken) for display, spoken, _ in _normalized(text)]


def spoken_text(text: str) -> str:
    """The one normalized form of ``text`` that is spoken: the words the phones come from
    (lower case, numbers and abbreviations expanded) with the clause punctuation kept
    for intonation. Voices and the prosody reference read this, so "HELLO" and "hello",
    or "Dr." and "doctor", give the same reference.

    "Dr. Smith's 2nd car, 50%!" → "doctor smith's second car, fifty percent!"
    """
    return " ".join(spoken + mark for _, spoken, mark in _normalized(text))


def _levenshtein_pairs(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """Minimal edit alignment of two symbol lists as (i, j) index pairs (None = gap)."""
    from accent_coach.engine.alignment import align_sequences

    return align_sequences(a, b, lambda x, y: float(x != y), gap_cost=1.0)


def _split_group(phones: list[str], guides: list[list[str]]) -> list[list[str]]:
    """Share the phones espeak fused across several words out by their isolated forms."""
    flat = [strip_stress(p) for g in guides for p in g]
    owner = [k for k, g in enumerate(guides) for _ in g]
    parts: list[list[str]] = [[] for _ in guides]
    current = 0
    for i, j in _levenshtein_pairs([strip_stress(p) for p in phones], flat):
        if j is not None:
            current = owner[j]
        if i is not None:
            parts[current].append(phones[i])
    return parts


_GROUP_SHAPES = ((1, 1), (2, 1), (1, 2), (3, 1), (1, 3), (2, 2))
BEAM = 8  # alignment states kept per written word: the word DP stays linear in the text
BEAM_COST = 4.0  # ... and only those within this many phone edits of the best one


def _assign_words(
    spoken: list[str], sentence: list[list[str]], isolated: list[list[str]]
) -> list[list[str]]:
    """Phones per spoken word from the in-context phonemization (DP over fusions/splits).

    A beam search over the DP table: after each written word only the ``BEAM`` cheapest
    positions in espeak's word list (within ``BEAM_COST`` edits of the best) are
    extended. Fusions are local and a wrong grouping costs phones at once, so the right
    path stays in the beam, and the work
    grows linearly with the text (the full table grew with its square: 800 words
    took 48 s). If no path survives, the isolated forms are used.
    """
    from rapidfuzz.distance import Levenshtein

    n, m = len(spoken), len(sentence)
    if n == m:
        return sentence
    ctx = [[strip_stress(p) for p in w] for w in sentence]
    iso = [[strip_stress(p) for p in w] for w in isolated]
    rows: list[dict[int, float]] = [{} for _ in range(n + 1)]
    rows[0][0] = 0.0
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n):
        if not rows[i]:
            continue
        best = min(rows[i].values())
        alive = [(j, c) for j, c in rows[i].items() if c <= best + BEAM_COST]
        for j, here in sorted(alive, key=lambda kv: kv[1])[:BEAM]:
            for a, b in _GROUP_SHAPES:
                if i + a > n or j + b > m:
                    continue
                said = [p for w in ctx[j : j + b] for p in w]
                alone = [p for w in iso[i : i + a] for p in w]
                c = here + Levenshtein.distance(said, alone) + 0.1 * (a + b - 2)
                if c < rows[i + a].get(j + b, float("inf")):
                    rows[i + a][j + b] = c
                    back[(i + a, j + b)] = (a, b)
    if m not in rows[n]:
        return isolated
    return _trace_words(back, n, m, sentence, isolated)


def _trace_words(back, n, m, sentence, isolated) -> list[list[str]]:
    out: list[list[str]] = []
    i, j = n, m
    while i > 0:
        a, b = back[(i, j)]
        phones = [p for w in sentence[j - b : j] for p in w]
        out.append(_split_group(phones, isolated[i - a : i]) if a > 1 else [phones])
        i, j = i - a, j - b
    return [words for group in reversed(out) for words in group]


def _stress_of(phone: str) -> int:
    return 1 if "ˈ" in phone else 2 if "ˌ" in phone else 0


def _isolated(words: list[str], language: str) -> list[list[str]]:
    from phonemizer.separator import Separator

    with _ESPEAK_LOCK:
        outs = _backend(language).phonemize(
            words, separator=Separator(phone=" ", word=_WORD_SEP), strip=True
        )
    return [o.replace("|", " ").split() for o in outs]


def check_accent(accent: object) -> str:
    """The espeak language of an accent key (us, uk, en-us, en-gb), or InputError."""
    if not isinstance(accent, str) or accent not in ACCENTS:
        raise InputError(
            f"unknown accent {accent!r}; use one of: us, uk", code="accent_unknown"
        )
    return ACCENTS[accent]


def check_text(text: object) -> str:
    """``text`` if it is a non-empty string within the length limit, else TextError."""
    if not isinstance(text, str):
        raise TextError(f"the target text must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TextError("the target text is not valid UTF-8 (undecodable bytes)") from None
    if not text.strip():
        raise TextError("the target text is empty")
    limit = limits().max_text_chars
    if len(text) > limit:
        raise TextError(
            f"the target text is too long ({len(text)} characters); the limit is {limit} "
            "(set ACCENT_COACH_MAX_TEXT_CHARS to change it)",
            code="text_too_long",
        )
    return text


def reference(text: str, accent: str = "us") -> list[RefWord]:
    """Expected pronunciation of each written word of ``text`` in ``accent`` (us/uk).

    The whole sentence is phonemized at once so that function words get their
    in-context (weak) forms; espeak sometimes fuses words ("for the" → fɚðə), so
    its words are mapped back to ours with a small DP guided by isolated forms.
    Raises TextError (``text_invalid``, ``text_too_long``) and InputError
    (``accent_unknown``).
    """
    language = check_accent(accent)
    pairs = normalize_text(check_text(text))
    if not pairs:
        raise TextError("the target text has no words that can be pronounced")
    spoken_units = [(k, w) for k, (_, s) in enumerate(pairs) for w in s.split()]
    units = [w for _, w in spoken_units]
    limit = limits().max_text_words
    if len(units) > limit:
        raise TextError(
            f"the target text is too long ({len(units)} spoken words); the limit is {limit} "
            "(set ACCENT_COACH_MAX_TEXT_WORDS to change it)",
            code="text_too_long",
        )
    sentence = espeak_words(" ".join(units), language)
    isolated = _isolated(units, language)
    per_unit = _assign_words(units, sentence, isolated)
    # espeak sometimes drops a word in context (it reads "I I I I" as three): such a word
    # is still expected, so it keeps its isolated pronunciation instead of vanishing
    per_unit = [ph or alone for ph, alone in zip(per_unit, isolated)]
    words: list[RefWord] = []
    by_word: list[list[str]] = [[] for _ in pairs]
    for (owner, _), ph in zip(spoken_units, per_unit):
        by_word[owner].extend(ph)
    for (display, _), phones in zip(pairs, by_word):
        tokens, stress = [], []
        for p in phones:
            for t in recognizer_tokens(p):
                tokens.append(t)
                stress.append(_stress_of(p))
        if tokens:
            words.append(RefWord(display, phones, tokens, stress))
    if not words:
        raise TextError("the target text has no words that can be pronounced")
    return words


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
