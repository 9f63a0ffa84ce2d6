"""What to practise next: the weakest words of a take, or a sentence for its weakest sound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accent_coach.practice.sentences import sentence_for_phone

WEAK_SCORE = 80.0  # below this a word is worth drilling (the "fair"/"poor" bands)


def weakest_words(result: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The lowest-scoring words below WEAK_SCORE (omitted words count as 0), worst first."""
    scored = []
    for word in result.get("words") or []:
        if word.get("error") == "insertion":
            continue  # an extra word is not one the learner should repeat
        score = word.get("score")
        value = 0.0 if word.get("error") == "omission" or score is None else float(score)
        if value < WEAK_SCORE:
            scored.append((value, word))
    scored.sort(key=lambda pair: pair[0])
    return [w for _, w in scored[:limit]]


def weakest_phone(result: dict[str, Any]) -> str | None:
    """The expected phone with the lowest mean score over the take (None if all good)."""
    totals: dict[str, list[float]] = {}
    for word in result.get("words") or []:
        for phone in word.get("phones") or []:
            expected, score = phone.get("expected"), phone.get("score")
            if expected and score is not None:
                totals.setdefault(expected, []).append(float(score))
    if not totals:
        return None
    phone, scores = min(totals.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    return phone if sum(scores) / len(scores) < WEAK_SCORE else None


@dataclass
class Drill:
    """What to practise next and why (shown to the learner)."""

    text: str
    reason: str


def drill_for(result: dict[str, Any], level: str | None = None) -> Drill | None:
    """Next exercise: the weakest words said on their own, or a library sentence for
    the weakest sound when the words alone would be a single short word."""
    words = weakest_words(result)
    phone = weakest_phone(result)
    if len(words) >= 2:
        order = {id(w): i for i, w in enumerate(result.get("words") or [])}
        in_sentence = sorted(words, key=lambda w: order[id(w)])  # reads like the sentence
        names = [str(w.get("text", "")).strip(".,!?;:") for w in in_sentence]
        return Drill(" ".join(names), "your weakest words: " + ", ".join(names))
    if phone:
        current = " ".join(str(w.get("text", "")) for w in result.get("words") or [])
        sentence = sentence_for_phone(phone, level, exclude=current)
        if sentence:
            return Drill(sentence.text, f"a sentence that drills /{phone}/")
    if words:
        name = str(words[0].get("text", "")).strip(".,!?;:")
        return Drill(name, f"your weakest word: {name}")
    return None
