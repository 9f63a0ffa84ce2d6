"""Held-out speakers of speechocean762-train (the training recipe holds out the same)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / (
    "speechocean762-train"
)
HELD_OUT = 12  # sorted(speakers)[-12:], as in training/


@dataclass
class Utterance:
    utt: str
    speaker: str
    text: str
    audio: Path


def data_dir(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("ACCENT_COACH_DEV_DATA", DEFAULT_DATA))


def available(path: str | os.PathLike | None = None) -> bool:
    d = data_dir(path)
    return (d / "text").is_file() and (d / "utt2spk").is_file() and (d / "audio").is_dir()


def held_out(path: str | os.PathLike | None = None) -> list[Utterance]:
    """Utterances of the held-out speakers, sorted by id."""
    d = data_dir(path)
    spk = dict(line.split() for line in (d / "utt2spk").read_text().splitlines() if line)
    dev = set(sorted(set(spk.values()))[-HELD_OUT:])
    out = []
    for line in (d / "text").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        utt, text = line.split("\t", 1) if "\t" in line else line.split(" ", 1)
        if spk.get(utt) in dev:
            out.append(Utterance(utt, spk[utt], text.strip(), d / "audio" / f"{utt}.flac"))
    return sorted(out, key=lambda u: u.utt)


def corpus_words(path: str | os.PathLike | None = None) -> list[str]:
    d = data_dir(path)
    words = set()
    for line in (d / "text").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            words.update(w for w in line.split("\t", 1)[1].split() if w.isalpha())
    return sorted(words)


def spread_over_speakers(utterances: list, n: int) -> list:
    """``n`` utterances spread evenly over the speakers (round robin, by id)."""
    by_speaker: dict[str, list] = {}
    for u in utterances:
        by_speaker.setdefault(u.speaker, []).append(u)
    picked, queues = [], [list(v) for _, v in sorted(by_speaker.items())]
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    return picked
