"""The five experts' judgments of speechocean762, lined up with our phone tokens.

The experts scored CMUdict phones (ARPAbet, ``scores.jsonl``); the recognizer, the
engine and the learner see espeak-ng IPA tokens (``g2p.reference``). Per written word
the two phone lists are aligned with articulatory substitution costs, so each of our
tokens knows which expert phone it stands for (if any) and each expert phone which of
our tokens carry it. Everything expert-supervised reads the corpus through here:

- recognizer labels that follow what was said (``corrected_tokens``: named
  substitutions applied, ``<DEL>`` drops the phone),
- the learned scorer's training targets (``TokenTarget`` per token),
- the expert-agreement benchmark (per expert phone, word and utterance).
"""

from __future__ import annotations

import argparse
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from accent_coach.engine import articulation
from accent_coach.engine.alignment import align_sequences
from accent_coach.engine.g2p import RefWord, reference

# CMUdict phone → our IPA token, by stress where espeak-ng en-us differs.
_UNSTRESSED = {"AH": "ə", "ER": "ɚ", "IY": "i"}
_STRESSED = {"AH": "ʌ", "ER": "ɜː", "IY": "iː"}
_PLAIN = {
    "AA": "ɑː", "AE": "æ", "AO": "ɔː", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "EY": "eɪ",
    "IH": "ɪ", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "uː", "B": "b", "CH": "tʃ",
    "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ", "K": "k", "L": "l",
    "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
LOW = 1.5  # an expert phone score below this is a mispronunciation (flags' reference)
VERY_LOW = 1.0


def cmu_to_ipa(phone: str, stressed: bool | None = None) -> str | None:
    """IPA token of an ARPAbet phone ("AH0" → ə, "AH1" → ʌ); None if not a phone."""
    base = phone.rstrip("012*").upper()
    if stressed is None:
        stressed = phone[-1:] in ("1", "2")
    if base in _UNSTRESSED:
        return (_STRESSED if stressed else _UNSTRESSED)[base]
    return _PLAIN.get(base)


@dataclass
class ExpertPhone:
    cmu: str  # canonical CMUdict phone with stress digit ("IY0")
    score: float  # 0–2, mean of the five experts
    said: str | None = None  # what the experts heard instead: IPA, "" = deleted, "*" unclear


@dataclass
class ExpertWord:
    text: str
    accuracy: float  # 0–10
    stress: float  # 5 or 10
    total: float  # 0–10
    phones: list[ExpertPhone] = field(default_factory=list)


@dataclass
class ExpertTake:
    id: str
    text: str
    accuracy: float
    completeness: float
    fluency: float
    prosodic: float
    total: float
    words: list[ExpertWord]


def _said(p: str, canonical: str) -> str:
    if p == "<DEL>":
        return ""
    if p.endswith("*") or p.startswith("<"):
        return "*"  # distorted or unclear: a low score with no named phone
    ipa = cmu_to_ipa(p, stressed=canonical[-1:] in ("1", "2"))
    return ipa if ipa is not None else "*"


def parse_take(row: dict) -> ExpertTake:
    words = []
    for w in row["words"]:
        phones = [ExpertPhone(c, float(s)) for c, s in zip(w["phones"], w["pa"])]
        for m in w.get("mis", []):
            if 0 <= m["i"] < len(phones):
                phones[m["i"]].said = _said(m["p"], phones[m["i"]].cmu)
        words.append(ExpertWord(w["text"], float(w["accuracy"]), float(w["stress"]),
                                float(w["total"]), phones))
    return ExpertTake(
        row["id"], row["text"], float(row["accuracy"]), float(row["completeness"]),
        float(row["fluency"]), float(row["prosodic"]), float(row["total"]), words,
    )


def read_scores(root: Path) -> dict[str, ExpertTake]:
    """Utterance id → the experts' judgments, from ``root/scores.jsonl``."""
    with open(root / "scores.jsonl", encoding="utf-8") as f:
        return {t.id: t for t in (parse_take(json.loads(line)) for line in f if line.strip())}


@functools.cache
def _word_alignment(cmu: tuple[str, ...], tokens: tuple[str, ...]) -> tuple[int | None, ...]:
    """Per token: the index of the expert phone it stands for, or None."""
    expected = [cmu_to_ipa(p) or "?" for p in cmu]
    owner: list[int | None] = [None] * len(tokens)
    for i, j in align_sequences(expected, list(tokens), articulation.distance):
        if i is not None and j is not None:
            owner[j] = i
    return tuple(owner)


@dataclass
class TokenTarget:
    """What the experts said about one of our reference tokens."""

    word: int  # index of the written word
    phone: int | None  # index of its expert phone within the word (None: no counterpart)
    score: float | None  # that phone's expert score 0–2
    said: str | None  # see ExpertPhone.said


class WordMismatch(ValueError):
    """The corpus text and our reference disagree on the number of words."""


def token_targets(refs: list[RefWord], take: ExpertTake) -> list[TokenTarget]:
    """One target per reference token, in order (refs from ``g2p.reference(take.text)``)."""
    if len(refs) != len(take.words):
        raise WordMismatch(f"{take.id}: {len(refs)} reference words vs {len(take.words)}")
    out = []
    for w, (ref, word) in enumerate(zip(refs, take.words)):
        owners = _word_alignment(tuple(p.cmu for p in word.phones), tuple(ref.tokens))
        for i in owners:
            if i is None:
                out.append(TokenTarget(w, None, None, None))
            else:
                p = word.phones[i]
                out.append(TokenTarget(w, i, p.score, p.said))
    return out


def expert_reference(take: ExpertTake, accent: str = "us") -> list[RefWord]:
    """Our reference of the take, built from the experts' word list (the corpus text
    once glues two words with punctuation: ``ME?"PLEASE``)."""
    return reference(" ".join(w.text for w in take.words).lower(), accent)


def corrected_tokens(refs: list[RefWord], targets: list[TokenTarget]) -> list[str]:
    """The tokens the learner actually said, as far as the experts named them: a named
    substitute replaces the token, a deletion drops it; unclear or distorted phones
    (``said == "*"``) keep the canonical token (see ``unclear_share``)."""
    out = []
    tokens = [t for r in refs for t in r.tokens]
    seen: set[tuple[int, int]] = set()
    for tok, tgt in zip(tokens, targets, strict=True):
        key = (tgt.word, tgt.phone if tgt.phone is not None else -1)
        first = tgt.phone is None or key not in seen
        seen.add(key)
        if tgt.said is None or tgt.said == "*":
            out.append(tok)
        elif tgt.said == "":
            continue
        elif first:  # an expert phone carried by two tokens becomes one substitute
            out.append(tgt.said)
    return out


def unclear_share(targets: list[TokenTarget], below: float = LOW) -> float:
    """Share of tokens whose expert phone scored low with no named substitute."""
    if not targets:
        return 0.0
    low = [t for t in targets if t.score is not None and t.score < below
           and (t.said is None or t.said == "*")]
    return len(low) / len(targets)


def take_weight(targets: list[TokenTarget]) -> float:
    """Training weight of a take: 1, less the more of it the experts found unclear
    without naming what was said (those labels are the least trustworthy)."""
    return max(0.3, 1.0 - 2.0 * unclear_share(targets))


def main() -> None:
    """Write recognizer labels that follow the experts (``train.py --labels``)."""
    from training.metrics import align

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--out", type=Path, default=Path("work_data/expert.pt"))
    args = ap.parse_args()
    import torch

    labels, weights, edits = {}, {}, Counter()
    changed = total = 0
    for uid, take in sorted(read_scores(args.data).items()):
        refs = expert_reference(take)
        targets = token_targets(refs, take)
        canonical = [t for r in refs for t in r.tokens]
        labels[uid] = corrected_tokens(refs, targets)
        weights[uid] = take_weight(targets)
        for a, b in align(canonical, labels[uid]):
            if a != b:
                edits[(a or "∅", b or "∅")] += 1
                changed += 1
        total += len(canonical)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"labels": labels, "weights": weights, "source": "experts"}, args.out)
    low = sum(w < 1 for w in weights.values())
    print(f"{len(labels)} takes, {changed} of {total} tokens changed "
          f"({100 * changed / max(1, total):.1f} %); {low} takes weighted below 1")
    print("commonest edits: " + ", ".join(f"{a}→{b} {n}" for (a, b), n in edits.most_common(20)))


if __name__ == "__main__":
    main()
