"""Text → IPA phones, the one G2P the app and the training recipe share: the reference
builder. Text normalisation lives in ``text_norm``, the inventory mappings in
``inventory``; both are re-exported here for existing callers.

espeak-ng's phonemes come from :mod:`accent_coach.speech.phonemes` (phonemizer +
espeakng-loader, no apt package). Text is lower-cased first: espeak spells ALL-CAPS
words as acronyms.
"""

from __future__ import annotations

from dataclasses import dataclass

from accent_coach.accents import get_accent
from accent_coach.config import limits
from accent_coach.engine.inventory import (  # noqa: F401 - re-exported
    ARPABET_TO_IPA,
    IPA_TO_ARPABET,
    to_inventory,
    to_ipa,
)
from accent_coach.engine.text_norm import (  # noqa: F401 - re-exported
    ABBREVIATIONS,
    _normalized,
    normalize_text,
    number_words,
    spoken_text,
)
from accent_coach.errors import TextError
from accent_coach.speech.phonemes import espeak_isolated, espeak_words

STRESS_MARKS = "ˈˌ"
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


@dataclass
class RefWord:
    """One written word of the target text and the phones it should be read with."""

    text: str  # as written, punctuation stripped ("23", "Dr", "don't")
    phones: list[str]  # espeak phones with stress marks
    tokens: list[str]  # recognizer-inventory tokens (stress-free IPA)
    stress: list[int]  # per token: 1 primary, 2 secondary, 0 unstressed



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
    language = get_accent(accent).language
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
    isolated = espeak_isolated(units, language)
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
