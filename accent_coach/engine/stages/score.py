"""Stage 5, score: from measurements to the scores a learner sees.

Two scorers, one output (``take.Scores``):

* the **learned scorer** (``speech.scorer``, trained on speechocean762's five-expert
  judgments with cross-fitted features, see its model card) predicts what the experts
  would say: each sound 0–2, each word's accuracy, stress and total 0–10, and the take's
  accuracy, fluency, prosody and total 0–10 — shown ×50 (sounds) or ×10 (the rest);
* the **rules** (scoring.py, prosody.py): hand-set formulas, used for recognizers the
  learned scorer was not trained on (its inputs would mean something else there).

Completeness is the rules' share of words read in both: it already agrees with the
experts far better than a learned one could learn from a corpus where almost every
take is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accent_coach.engine import scoring
from accent_coach.engine.take import Features, Recognition, Scores


@dataclass(frozen=True)
class Flags:
    """Operating points: below these a sound / word is marked wrong, a stress wrong."""

    phone_below: float
    word_below: float
    stress_below: float | None = None
    rules: bool = False  # the rules' verdict (a low score, or another sound heard)


RULE_FLAGS = Flags(scoring.PHONE_ERROR_BELOW, scoring.WORD_ERROR_BELOW, None, rules=True)


# The learned scorer only scores takes like the ones it learned from (speechocean762:
# read sentences of 1.6–20.4 s in which the recognizer heard some of the expected sounds:
# under 10 % in 1 of the 2,500 takes, none for noise). On noise it predicted accuracy 87
# where the rules give < 50, and on a 10-minute reading 60 where the rules give > 80;
# such takes are scored by the rules, and the result says so.
LEARNED_MAX_SECONDS = 30.0  # 1.5 × the longest training take
LEARNED_MIN_HEARD = 0.1  # share of the expected sounds free recognition heard


def score(recognition: Recognition, features: Features, scorer: Any = None) -> Scores:
    """``scorer``: a loaded learned scorer (``speech.scorer.LoadedScorer``) or None (rules)."""
    if scorer is None:
        return _rules(recognition, features)
    reason = outside_learned_range(features)
    if reason:
        scores = _rules(recognition, features)
        scores.fallback = reason
        return scores
    return _learned(recognition, features, scorer)


def outside_learned_range(features: Features) -> str | None:
    """Why the learned scorer must not score this take (None: it may)."""
    from accent_coach.engine.stages.featurize import UTTERANCE_FEATURES

    values = dict(zip(UTTERANCE_FEATURES, features.utterance))
    if values["duration"] > LEARNED_MAX_SECONDS:
        return (f"longer than the {LEARNED_MAX_SECONDS:.0f} s the learned scorer was "
                "trained on")
    if values["heard_share"] < LEARNED_MIN_HEARD:
        return "too little speech heard for the learned scorer"
    return None


def _words_of(recognition: Recognition, n_words: int, values: list[float]) -> list[list[float]]:
    out: list[list[float]] = [[] for _ in range(n_words)]
    for t, v in zip(recognition.targets, values):
        out[t.word].append(v)
    return out


def _rules(recognition: Recognition, features: Features) -> Scores:
    n_words = len(features.omitted)
    per_word = _words_of(recognition, n_words, [round(s, 1) for s in features.rule_phone])
    words = [scoring.word_score(v) if v else None for v in per_word]
    utterance = dict(features.rule)
    utterance["overall"] = overall(utterance)
    return Scores(
        phone=list(features.rule_phone), word=words, word_total=list(words),
        word_stress=[None] * n_words, utterance=utterance, flags=RULE_FLAGS, scorer="rules",
    )


def _learned(recognition: Recognition, features: Features, scorer: Any) -> Scores:
    n_words = len(features.omitted)
    word_of = np.array([t.word for t in recognition.targets], dtype=np.int64)
    ids = np.array([t.token_id for t in recognition.targets], dtype=np.int64)
    out = scorer.predict(features.phone, ids, word_of, features.utterance, n_words,
                         features.states)
    has_phones = np.bincount(word_of, minlength=n_words) > 0 if len(word_of) else \
        np.zeros(n_words, dtype=bool)
    stress_judged = _stress_judged(recognition, n_words)

    def words(key: str, scale: float) -> list[float | None]:
        return [float(np.clip(v * scale, 0, 100)) if ok else None
                for v, ok in zip(out[key], has_phones)]

    stress = [
        float(np.clip((v - 5.0) * 20.0, 0, 100)) if ok and judged else None
        for v, ok, judged in zip(out["word_stress"], has_phones, stress_judged)
    ]
    utterance: dict[str, float | None] = {
        "accuracy": _clip100(out["accuracy"] * 10),
        "completeness": features.rule["completeness"],
        "fluency": _clip100(out["fluency"] * 10),
        "prosody": _clip100(out["prosodic"] * 10),
        "overall": _clip100(out["total"] * 10),
    }
    return Scores(
        phone=[float(np.clip(v * 50.0, 0, 100)) for v in out["phone"]],
        word=words("word_accuracy", 10.0), word_total=words("word_total", 10.0),
        word_stress=stress, utterance=utterance, flags=Flags(**scorer.flags),
        scorer=scorer.name,
    )


def _stress_judged(recognition: Recognition, n_words: int) -> list[bool]:
    """Stress is judged for words with two or more vowels (the experts' rubric: a word of
    one syllable always has its stress right)."""
    from accent_coach.engine.articulation import is_vowel

    vowels = [0] * n_words
    for t in recognition.targets:
        vowels[t.word] += is_vowel(t.ipa)
    return [v >= 2 for v in vowels]


def _clip100(x: float) -> float:
    return float(np.clip(x, 0.0, 100.0))


def overall(scores: dict[str, float | None]) -> float:
    """Weighted mean (scoring.OVERALL_WEIGHTS) over the scores that could be measured."""
    got = {k: w for k, w in scoring.OVERALL_WEIGHTS.items() if scores.get(k) is not None}
    total = sum(got.values())
    return scoring.clamp100(sum(w * scores[k] for k, w in got.items()) / total)
