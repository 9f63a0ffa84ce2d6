"""Written text → what a reader says: numbers, ordinals, years, money, abbreviations and
symbols spelled out, punctuation kept only where it marks a clause. One normalisation
for the phones, the reference voices and the prosody reference (``spoken_text``)."""

from __future__ import annotations

import re

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
