"""Character-output recognizers: a clearly labelled word-level fallback.

A model that writes letters, not phones, cannot say which sound went wrong, so words
are checked by spelling only — no fake phone scores, no prosody.
"""

from __future__ import annotations

import numpy as np

from accent_coach.engine import scoring
from accent_coach.engine.alignment import greedy_decode
from accent_coach.engine.audio import Audio
from accent_coach.engine.g2p import RefWord, _levenshtein_pairs
from accent_coach.engine.result import AssessmentResult, WordResult, rounded
from accent_coach.engine.result_warnings import warning
from accent_coach.engine.stages.score import overall
from accent_coach.speech.posteriors import Posteriors


def assess_chars(post: Posteriors, refs: list[RefWord], clip: Audio) -> AssessmentResult:
    heard = greedy_decode(post.logp, post.blank_id)
    chars = [(post.vocab[t], s, e) for t, s, e in heard]
    hwords: list[tuple[str, int, int]] = []
    cur, start, end = "", 0, 0
    for ch, s, e in chars + [("|", 0, 0)]:
        if ch in ("|", " ", "▁"):
            if cur:
                hwords.append((cur, start, end))
            cur = ""
            continue
        if not cur:
            start = s
        cur, end = cur + ch.lower(), e
    targets = ["".join(c for c in r.text.lower() if c.isalnum() or c == "'") for r in refs]
    pairs = _levenshtein_pairs(targets, [w for w, _, _ in hwords])
    fs = post.frame_seconds
    words = []
    for i, j in pairs:
        if i is None:
            w, s, e = hwords[j]
            words.append(WordResult(w, None, "insertion", rounded(s * fs, 3), rounded(e * fs, 3)))
            continue
        if j is None:
            words.append(WordResult(refs[i].text, 0.0, "omission", None, None))
            continue
        w, s, e = hwords[j]
        dist = sum(1 for a, b in _levenshtein_pairs(list(targets[i]), list(w))
                   if a is None or b is None or targets[i][a] != w[b])
        score = 100.0 * max(0.0, 1 - dist / max(1, len(targets[i])))
        err = "none" if score >= 60 else "mispronunciation"
        words.append(
            WordResult(refs[i].text, rounded(score), err, rounded(s * fs, 3), rounded(e * fs, 3))
        )
    graded = [w for w in words if w.error != "insertion"]
    produced = [w for w in graded if w.error != "omission"]
    times = [(w.start, w.end) for w in produced if w.start is not None]
    n_letters = sum(len(w.text) for w in produced)
    flu, _ = scoring.fluency(times, int(n_letters * 0.8), 0)
    scores = {
        "accuracy": float(np.mean([w.score for w in produced])) if produced else 0.0,
        "completeness": scoring.completeness(len(graded), len(graded) - len(produced)),
        "fluency": flu,
        "prosody": None,
    }
    scores["overall"] = overall(scores)
    return AssessmentResult(
        id=None, model="", text="", accent="", duration=round(clip.duration, 3), elapsed_ms=0.0,
        scores={k: rounded(v) for k, v in scores.items()},
        recognized=[c for c, _, _ in chars], words=words, mode="word-fallback",
        warnings=[warning(
            "word_fallback",
            "word-level fallback: this model outputs letters, not phones, so words are "
            "checked by spelling only (no phone scores, no prosody)",
        )],
        details={"scorer": "spelling"},
    )
