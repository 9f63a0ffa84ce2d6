"""Result → display data: colour-coded word HTML and table rows, free of Streamlit.

Kept apart from the page so what a learner sees can be tested without a browser.
Every colour comes with a symbol and a text label, so the meaning survives colour
blindness and screen readers.
"""

from __future__ import annotations

import html
from typing import Any

from ui.plots import score_band

ERROR_LABELS = {
    "none": "",
    "mispronunciation": "mispronounced",
    "omission": "missing",
    "insertion": "extra",
}


def _fmt(score: float | None) -> str:
    return "–" if score is None else f"{score:.0f}"


def word_title(word: dict[str, Any]) -> str:
    """One-line summary of a word: score, band and error, for tooltips and expanders."""
    band, _, symbol = score_band(word.get("score"))
    error = ERROR_LABELS.get(word.get("error") or "none", word.get("error") or "")
    parts = [f"{word.get('text', '')}: {_fmt(word.get('score'))}/100 {symbol} {band}"]
    if error:
        parts.append(error)
    return " · ".join(parts)


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


def phone_rows(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per expected (or inserted) phone: what should have been said vs heard."""
    rows = []
    for word in words:
        for phone in word.get("phones") or []:
            score = phone.get("score")
            rows.append(
                {
                    "word": word.get("text", ""),
                    "expected": phone.get("expected") or "—",
                    "heard": phone.get("heard") or "—",
                    "score": None if score is None else round(float(score)),
                    "result": f"{score_band(score)[2]} {phone.get('error') or 'none'}",
                    "start": phone.get("start"),
                    "end": phone.get("end"),
                }
            )
    return rows


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
