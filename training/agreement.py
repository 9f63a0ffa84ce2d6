"""Agreement with the experts: the field's yardstick, computed one way everywhere.

Pearson correlation (PCC) between a system's scores and the five experts' mean scores
of speechocean762, per expert phone, per word (accuracy, stress, total) and per take
(accuracy, completeness, fluency, prosody, total); and the mispronunciation flags'
precision, recall and F1 against the phones the experts scored below 1.5 (and 1.0).

Our tokens are mapped onto the experts' CMUdict phones by ``training.experts``: an
expert phone's prediction is the mean over the tokens that carry it, and it is flagged
when any of them is. Used by ``benchmarks/human_agreement.py`` (the engine end to end)
and by ``training/scorer.py`` (cross-validation of scorer recipes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from training.experts import LOW, VERY_LOW, ExpertTake, TokenTarget

UTTERANCE = ("accuracy", "completeness", "fluency", "prosodic", "total")
PUBLISHED_GOPT = {  # Gong et al., ICASSP 2022, on the corpus's test split
    "phone": 0.612, "word_accuracy": 0.533, "word_stress": 0.291, "word_total": 0.549,
    "accuracy": 0.714, "completeness": 0.155, "fluency": 0.753, "prosodic": 0.760,
    "total": 0.742,
}


def pcc(a: Sequence[float], b: Sequence[float]) -> float:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or x.std() < 1e-9 or y.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


@dataclass
class Collected:
    """Predictions and expert scores, unit by unit, over many takes."""

    phone: list[tuple[float, float, bool]] = field(default_factory=list)  # pred, truth, flag
    word: list[tuple[float, float, float, float, float, float, bool]] = field(
        default_factory=list)  # acc, stress, total predicted; the same of the experts; flag
    utterance: list[tuple[dict[str, float | None], ExpertTake]] = field(default_factory=list)
    speakers: set[str] = field(default_factory=set)

    def add_take(
        self,
        take: ExpertTake,
        targets: list[TokenTarget],
        token_scores: Sequence[float],  # per token, on the experts' 0–2 scale
        token_flags: Sequence[bool],
        words: Sequence[tuple[float | None, float | None, float | None, bool]],
        utterance: dict[str, float | None],  # on the experts' 0–10 scale
        speaker: str = "",
    ) -> None:
        """``words``: per expert word (accuracy, stress, total on 0–10, flagged)."""
        by_phone: dict[tuple[int, int], list[int]] = {}
        for k, t in enumerate(targets):
            if t.phone is not None:
                by_phone.setdefault((t.word, t.phone), []).append(k)
        for w, word in enumerate(take.words):
            for i, p in enumerate(word.phones):
                ks = by_phone.get((w, i))
                if ks:
                    pred = float(np.mean([token_scores[k] for k in ks]))
                    flag = any(token_flags[k] for k in ks)
                else:  # not carried by any token: the word's mean stands in, unflagged
                    own = [token_scores[k] for k, t in enumerate(targets) if t.word == w]
                    pred, flag = (float(np.mean(own)) if own else 0.0), False
                self.phone.append((pred, p.score, flag))
            acc, stress, total, flagged = words[w]
            self.word.append((
                np.nan if acc is None else acc, 10.0 if stress is None else stress,
                np.nan if total is None else total, word.accuracy, word.stress, word.total,
                flagged,
            ))
        self.utterance.append((utterance, take))
        if speaker:
            self.speakers.add(speaker)

    def report(self) -> dict[str, float]:
        ph = np.array([(p, t) for p, t, _ in self.phone], dtype=float)
        wd = np.array([w[:6] for w in self.word], dtype=float)
        out = {
            "takes": len(self.utterance), "speakers": len(self.speakers),
            "phone": pcc(ph[:, 0], ph[:, 1]) if len(ph) else float("nan"),
            "word_accuracy": pcc(wd[:, 0], wd[:, 3]) if len(wd) else float("nan"),
            "word_stress": pcc(wd[:, 1], wd[:, 4]) if len(wd) else float("nan"),
            "word_total": pcc(wd[:, 2], wd[:, 5]) if len(wd) else float("nan"),
        }
        for aspect in UTTERANCE:
            pred = [u.get(aspect) for u, _ in self.utterance]
            truth = [getattr(t, aspect) for _, t in self.utterance]
            out[aspect] = pcc([np.nan if p is None else p for p in pred], truth)
        for name, below in (("1.5", LOW), ("1.0", VERY_LOW)):
            p, r, f = flag_quality([f for _, _, f in self.phone],
                                   [t < below for _, t, _ in self.phone])
            out[f"flag_precision_{name}"], out[f"flag_recall_{name}"] = p, r
            out[f"flag_f1_{name}"] = f
        flagged_words = [w for w in self.word if w[6]]
        out["word_flags"] = len(flagged_words)
        out["word_flags_on_good_words"] = (
            sum(w[3] >= 8 for w in flagged_words) / len(flagged_words)
            if flagged_words else float("nan"))
        out["phone_flags"] = int(sum(f for _, _, f in self.phone))
        return out


def flag_quality(flags: Sequence[bool], truth: Sequence[bool]) -> tuple[float, float, float]:
    f, t = np.asarray(flags, dtype=bool), np.asarray(truth, dtype=bool)
    tp = float((f & t).sum())
    precision = tp / f.sum() if f.sum() else float("nan")
    recall = tp / t.sum() if t.sum() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table of report() rows (name → figures)."""
    cols = ["phone", "word_accuracy", "word_stress", "word_total", *UTTERANCE,
            "flag_precision_1.5", "flag_recall_1.5", "flag_f1_1.5", "flag_precision_1.0",
            "flag_f1_1.0", "word_flags_on_good_words"]
    head = "| | takes | speakers | " + " | ".join(cols) + " |"
    lines = [head, "|" + " --- |" * (len(cols) + 3)]
    for name, r in rows.items():
        cells = [f"{r.get(c, float('nan')):.3f}" for c in cols]
        lines.append(f"| {name} | {r.get('takes', '')} | {r.get('speakers', '')} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)
