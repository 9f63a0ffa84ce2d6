"""Speaker folds: the one split every cross-fitted model of the project shares.

A model trained on a speaker's audio scores that speaker too well, so anything learned
on top of a recognizer's outputs (the expert-agreement scorer) is trained on features
that came from a recognizer that never heard the speaker: the recognizer recipe runs
once per fold without that fold's speakers ("cross-fitting"), and each fold's features
come from the model trained without it. Recognizer v3 uses the same folds for its
held-out PER, so both issues measure on the same held-out speakers.

Folds are balanced by age: the corpus is half children, half adults, and children are
harder for every model, so each fold gets its share of both. The assignment depends
only on the speaker ids and ages, never on a random state.

    python -m training.folds --data ../shared/data/speechocean762-train   # prints them
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

FOLDS = 3  # 41–42 speakers each on speechocean762-train (125 speakers)


def read_ages(root: Path) -> dict[str, int]:
    """Speaker → age from the corpus's ``spk2age`` (missing file: no ages)."""
    path = root / "spk2age"
    if not path.is_file():
        return {}
    return {spk: int(age) for spk, age in (line.split() for line in path.read_text().splitlines()
                                           if line.strip())}


def speaker_folds(
    speakers: Iterable[str], ages: dict[str, int] | None = None, k: int = FOLDS
) -> dict[str, int]:
    """Speaker → fold in 0…k-1: speakers sorted by (age, id), dealt out in turn."""
    ages = ages or {}
    ordered = sorted(set(speakers), key=lambda s: (ages.get(s, 0), s))
    return {s: i % k for i, s in enumerate(ordered)}


def corpus_folds(root: Path, k: int = FOLDS) -> dict[str, int]:
    """Utterance id → fold, for the corpus at ``root`` (``utt2spk`` + ``spk2age``)."""
    utt2spk = dict(line.split() for line in (root / "utt2spk").read_text().splitlines()
                   if line.strip())
    by_speaker = speaker_folds(utt2spk.values(), read_ages(root), k)
    return {utt: by_speaker[spk] for utt, spk in utt2spk.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/speechocean762-train"))
    ap.add_argument("--folds", type=int, default=FOLDS)
    args = ap.parse_args()
    utt2spk = dict(line.split() for line in (args.data / "utt2spk").read_text().splitlines()
                   if line.strip())
    ages = read_ages(args.data)
    folds = speaker_folds(utt2spk.values(), ages, args.folds)
    for f in range(args.folds):
        members = sorted(s for s, k in folds.items() if k == f)
        children = sum(ages.get(s, 99) < 16 for s in members)
        print(f"fold {f}: {len(members)} speakers ({children} under 16): {' '.join(members)}")


if __name__ == "__main__":
    main()
