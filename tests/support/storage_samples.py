"""Attempt results shaped exactly like ``assess(...).to_dict()``, varied by a seed.

The engine's own output is saved in ``test_storage.py`` too (real audio, real model);
these let the history tests control the scores they then query.
"""

from __future__ import annotations

from typing import Any

SENTENCE = [("Think", ["θ", "ɪ", "ŋ", "k"]), ("of", ["ə", "v"]), ("three", ["θ", "ɹ", "iː"])]


def sample_result(seed: int, accent: str = "us", phone_scores: dict[str, float] | None = None,
                  text: str = "Think of three") -> dict[str, Any]:
    """A scored take; ``phone_scores`` fixes the score of chosen phones (others 70 + seed%20)."""
    fixed = phone_scores or {}
    words = []
    t = 0.1
    for word, phones in SENTENCE:
        rows = []
        for phone in phones:
            score = float(fixed.get(phone, 70 + seed % 20))
            rows.append({"expected": phone, "heard": phone if score >= 40 else "s",
                         "score": score, "error": "none" if score >= 40 else "substitution",
                         "start": round(t, 2), "end": round(t + 0.08, 2)})
            t += 0.08
        mean = sum(r["score"] for r in rows) / len(rows)
        words.append({"text": word, "score": round(mean, 1),
                      "error": "none" if mean >= 40 else "mispronunciation",
                      "start": rows[0]["start"], "end": rows[-1]["end"], "phones": rows})
    overall = round(sum(w["score"] for w in words) / len(words), 1)
    return {
        "id": None, "model": "embedded", "text": text, "accent": accent, "duration": 1.6,
        "elapsed_ms": 80.0,
        "scores": {"accuracy": overall, "completeness": 100.0, "fluency": 75.0,
                   "prosody": 60.0, "overall": overall},
        "recognized": ["θ", "ɪ", "ŋ", "k"], "words": words, "feedback": [], "tips": [],
        "warnings": [], "mode": "phone", "details": {}, "error": None,
    }
