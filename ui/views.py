"""Result → display data: colour-coded word HTML and table rows, free of Streamlit.

Kept apart from the page so what a learner sees can be tested without a browser.
Every colour comes with a symbol and a text label, so the meaning survives colour
blindness and screen readers.
"""

from __future__ import annotations

import html
from typing import Any

from ui.plots import BANDS, score_band

ERROR_LABELS = {
    "none": "",
    "mispronunciation": "mispronounced",
    "omission": "missing",
    "insertion": "extra",
}


def _fmt(score: float | None) -> str:
    return "–" if score is None else f"{score:.0f}"


def word_title(word: dict[str, Any]) -> str:
    """One-line summary of a word: score, band, error and a wrong stress, for tooltips
    and expanders."""
    band, _, symbol = score_band(word.get("score"))
    error = ERROR_LABELS.get(word.get("error") or "none", word.get("error") or "")
    parts = [f"{word.get('text', '')}: {_fmt(word.get('score'))}/100 {symbol} {band}"]
    if error:
        parts.append(error)
    if word.get("stress") == "wrong":
        parts.append("stress on the wrong syllable")
    return " · ".join(parts)


def stress_line(word: dict[str, Any]) -> str:
    """The word-stress verdict in words ("" when the word was not judged: one syllable,
    or a scorer that does not judge stress)."""
    verdict, score = word.get("stress"), word.get("stress_score")
    if verdict is None or score is None:
        return ""
    if verdict == "wrong":
        return (f"✗ Stress: probably on the wrong syllable ({score:.0f}/100 that it is "
                "right). Listen to the reference and copy which syllable is longer and louder.")
    return f"✓ Stress: on the right syllable ({score:.0f}/100)."


def alternatives_text(phone: dict[str, Any], limit: int = 3) -> str:
    """The likeliest other sounds in this place: "/ʌ/ 62 %, /ɑː/ 21 %, nothing 5 %"."""
    parts = []
    for alt in (phone.get("alternatives") or [])[:limit]:
        prob = float(alt.get("prob") or 0.0)
        if prob < 0.01:
            continue
        name = f"/{alt['phone']}/" if alt.get("phone") else "nothing"
        parts.append(f"{name} {prob:.0%}".replace("%", " %"))
    return ", ".join(parts)


INSERTED_STYLE = "color:#7f7f7f;font-style:italic;margin-right:6px;font-size:1.0rem"


def _span(style: str, title: str, body: str) -> str:
    """One word: ``title`` doubles as tooltip and screen-reader label."""
    title = html.escape(title, quote=True)
    return f'<span style="{style}" title="{title}" aria-label="{title}">{body}</span>'


def words_html(words: list[dict[str, Any]]) -> str:
    """The sentence as coloured spans (score colour + symbol + hover/aria text)."""
    spans = []
    for word in words:
        if word.get("error") == "insertion":
            label = inserted_label(word)
            spans.append(_span(INSERTED_STYLE, f"extra sound {label}", html.escape(label)))
            continue
        _, colour, symbol = score_band(word.get("score"))
        style = (
            f"border-bottom:3px solid {colour};color:{colour};font-weight:600;"
            "padding:0 2px;margin-right:6px;font-size:1.4rem"
        )
        if word.get("error") == "omission":
            style += ";text-decoration:line-through"
        body = f"{html.escape(str(word.get('text', '')))}<sup>{symbol}</sup>"
        spans.append(_span(style, word_title(word), body))
    return '<div style="line-height:2.4">' + " ".join(spans) + "</div>"


def _verdict(phone: dict[str, Any]) -> str:
    """What happened to one sound, in words (symbol first, as in the word panels)."""
    error, score = phone.get("error") or "none", phone.get("score")
    if error == "insertion":
        return "+ extra sound"
    if error == "deletion":
        return "✗ missing"
    if error == "substitution":
        return f"✗ sounded like /{phone.get('heard') or '?'}/"
    band, _, symbol = score_band(score)
    return {"good": "✓ clear", "fair": "~ heard, not fully clear"}.get(
        band, "~ heard, but unclear"
    )


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def phone_rows(words: list[dict[str, Any]], worst_first: bool = False) -> list[dict[str, Any]]:
    """One row per expected (or extra) sound: expected vs heard, score, verdict, times in s.

    Every cell is text, so the table never shows "None": an extra sound has no expected
    sound and no score ("–"), a missing one was "not heard".
    """
    rows = []
    for word in words:
        extra = word.get("error") == "insertion"
        for phone in word.get("phones") or []:
            score = phone.get("score")
            rows.append(
                {
                    "word": "(between words)" if extra else word.get("text", ""),
                    "expected": f"/{phone['expected']}/" if phone.get("expected") else "–",
                    "heard": f"/{phone['heard']}/" if phone.get("heard") else "not heard",
                    "score": "–" if score is None else f"{float(score):.0f}",
                    "verdict": _verdict(phone),
                    "likely instead": alternatives_text(phone)
                    if phone.get("error") not in (None, "none", "insertion") else "",
                    "start (s)": _seconds(phone.get("start")),
                    "end (s)": _seconds(phone.get("end")),
                }
            )
    if worst_first:
        rows.sort(key=lambda r: float(r["score"]) if r["score"] != "–" else 101.0)
    return rows


def _band_legend() -> str:
    """"✓ good (80+) · ~ fair (60–79) · ✗ poor (below 60)", from the bands themselves."""
    parts, upper = [], None
    for low, name, _, symbol in BANDS:
        if upper is None:
            span = f"{low:.0f}+"
        elif low:
            span = f"{low:.0f}–{upper - 1:.0f}"
        else:
            span = f"below {upper:.0f}"
        parts.append(f"{symbol} {name} ({span})")
        upper = low
    return " · ".join(parts)


BAND_LEGEND = _band_legend()
WORD_LEGEND = BAND_LEGEND + " · struck through = missing · +sounds in grey = extra sounds heard"

RULES_HELP = {
    "accuracy": "How close each sound was to the expected one, averaged over all the "
    "sounds of the sentence (100 = every sound clear).",
    "completeness": "The share of the sentence's words you said (missing words lower it).",
    "fluency": "How smoothly you read: speaking rate, pauses longer than 0.3 s and "
    "hesitations, scaled by completeness.",
    "prosody": "Your melody and rhythm (pitch and loudness over time) and word stress, "
    "compared with a reference reading of the same sentence.",
    "overall": "Half accuracy, a fifth fluency, the rest completeness and prosody.",
}
RULES_SOUND_NOTE = (
    "A sound's score says how sure the speech model is that it heard the expected sound "
    "rather than another one. A sound can be heard correctly and still score below 80 "
    "when it was short, soft or blended into its neighbours."
)
# The learned scorer (speech/models/expert-scorer) predicts five experts' judgments on
# speechocean762's rubric; the figures are its Pearson correlations with the experts on
# speakers it never saw (benchmarks/human_agreement.py, table in benchmarks/README.md).
EXPERT_HELP = {
    "accuracy": "How correctly the whole sentence was pronounced, as five pronunciation "
    "experts would judge it (100 = all sounds right; 50 = many wrong or heavily accented). "
    "On learners it never heard, this score follows the experts' closely "
    "(correlation 0.81).",
    "completeness": "The share of the sentence's words you said (missing words lower it).",
    "fluency": "How smoothly you read, as the experts judge it: pace, pauses, hesitations, "
    "repeats (correlation with the experts 0.83).",
    "prosody": "Your rhythm, intonation and stress, as the experts judge it: 100 sounds "
    "natural, lower means a flat melody, an uneven beat or stops mid-phrase (correlation "
    "with the experts 0.82).",
    "overall": "The experts' overall score for the sentence (correlation 0.82).",
}
EXPERT_SOUND_NOTE = (
    "A sound's score is what the experts would give it: 100 = pronounced correctly, "
    "50 = understandable but heavily accented, 0 = another sound or left out. Sounds are "
    "flagged when they are most likely wrong (about 3 in 5 flagged sounds are ones the "
    "experts marked wrong or heavily accented); the likely other sounds say what was "
    "heard instead."
)
def score_help(result: dict) -> dict[str, str]:
    """What each sentence score means for the scorer that produced ``result``."""
    return RULES_HELP if _scorer(result) == "rules" else EXPERT_HELP


def sound_note(result: dict) -> str:
    return RULES_SOUND_NOTE if _scorer(result) == "rules" else EXPERT_SOUND_NOTE


def _scorer(result: dict) -> str:
    return str((result.get("details") or {}).get("scorer") or "rules")


def certainty_note(certainty: float | None, model_error_rate: float | None) -> str:
    """Plain words on how far to trust this take's details."""
    if certainty is None:
        return ""
    level = "high" if certainty >= 85 else "medium" if certainty >= 65 else "low"
    note = f"Recognizer certainty for this take: **{certainty:.0f}/100** ({level})."
    if level != "high":
        note += " Treat single-sound verdicts with care; a clearer, closer recording helps."
    if model_error_rate is not None:
        note += (
            f" On held-out learners this model mishears about {model_error_rate:.0%} of "
            "sounds, so use the scores as guidance, not a verdict."
        )
    return note


def ipa_line(refs: list[Any]) -> str:
    """The target as IPA with primary (ˈ) and secondary (ˌ) stress before the stressed
    syllable, as dictionaries write it ("ˈnaɪn ˈwʌn", not espeak's "nˈaɪn wˈʌn")."""
    from accent_coach.engine.syllables import stressed_ipa

    return "/" + " ".join(stressed_ipa(ref.tokens, ref.stress) for ref in refs) + "/"


MAX_TIPS = 8
_KIND_ORDER = {"substitution": 0, "final_consonant_deletion": 1, "deletion": 2}


def select_tips(tips: list[dict[str, Any]], limit: int = MAX_TIPS) -> list[dict[str, Any]]:
    """Distinct tips, sound swaps and missing sounds before extra sounds, at most ``limit``.

    A noisy take can yield dozens of near-identical "extra sound" tips; a learner acts
    on a handful, so repeats are dropped and the most telling ones come first.
    """
    seen: set[tuple] = set()
    unique = []
    for tip in tips:
        key = (tip.get("word"), tip.get("kind"), tip.get("expected"), tip.get("heard"))
        if key not in seen:
            seen.add(key)
            unique.append(tip)
    unique.sort(key=lambda t: _KIND_ORDER.get(str(t.get("kind")), 3))  # stable: keeps order
    return unique[:limit]


def tip_lines(tips: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: expected vs heard sound, how to say it, a minimal pair to practise."""
    lines = []
    for tip in tips:
        expected, heard = tip.get("expected"), tip.get("heard")
        if expected and heard:
            sound = f"/{expected}/ sounded like /{heard}/"
        elif expected:
            sound = f"/{expected}/ was missing"
        elif heard:
            sound = f"extra /{heard}/"
        else:
            sound = str(tip.get("kind", "")).replace("_", " ")
        word = tip.get("word") or "between words"
        line = f"**{word}** — {sound}. {tip.get('tip', '')}"
        if tip.get("minimal_pair"):
            line += f" *Practise:* {tip['minimal_pair']}"
        lines.append(line)
    return lines


def inserted_label(word: dict[str, Any], limit: int = 12) -> str:
    """Short label of an inserted (extra) stretch: the sounds heard, cut to ``limit``."""
    heard = "".join(p.get("heard") or "" for p in word.get("phones") or [])
    return "+" + (heard if len(heard) <= limit else heard[: limit - 1] + "…")
