"""The practice sentence library: hand-written sentences by level and target sound.

Learners practise best on natural sentences that concentrate one difficult contrast
(θ/s, v/w, ɪ/iː …), so every sentence carries the sounds it drills. The tags are
checked against espeak's phones in the tests, so a tag never promises a sound the
sentence does not contain.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

LEVELS = ("beginner", "intermediate", "advanced")

# Obstruents: the word-final consonants learners most often drop or devoice.
OBSTRUENTS = frozenset(
    ["p", "b", "t", "d", "k", "ɡ", "f", "v", "θ", "ð", "s", "z", "ʃ", "ʒ", "tʃ", "dʒ"]
)
CONSONANTS = OBSTRUENTS | frozenset(["m", "n", "ŋ", "l", "ɹ", "w", "j", "h", "ɾ"])


@dataclass(frozen=True)
class Sound:
    """A practice target: one sound or a contrast the learner must keep apart."""

    key: str
    label: str
    # Each group must be present (any phone of it) for a sentence to drill the target;
    # empty for the structural targets checked by a rule instead.
    groups: tuple[frozenset[str], ...] = ()
    example: str = ""

    @property
    def phones(self) -> frozenset[str]:
        """Every phone this target covers (used to map a weak phone back to a drill)."""
        return frozenset().union(*self.groups) if self.groups else frozenset()


def _s(key: str, label: str, example: str, *groups: str) -> Sound:
    return Sound(key, label, tuple(frozenset(g.split()) for g in groups), example)


SOUNDS: dict[str, Sound] = {
    s.key: s
    for s in (
        _s("θ", "θ (think)", "think / sink", "θ"),
        _s("ð", "ð (this)", "then / den", "ð"),
        _s("v/w", "v / w", "vine / wine", "v", "w"),
        _s("r/l", "r / l", "right / light", "ɹ", "l"),
        _s("ɪ/iː", "ɪ / iː", "ship / sheep", "ɪ", "iː"),
        _s("æ/ɛ", "æ / ɛ", "bad / bed", "æ", "ɛ"),
        _s("ʌ/ɑ", "ʌ / ɑ", "cut / cot", "ʌ", "ɑː ɑ ɒ"),
        _s("ŋ", "ŋ (sing)", "sing / sin", "ŋ"),
        _s("z/s", "z / s", "zip / sip", "z", "s"),
        _s("ʃ/s", "ʃ / s", "she / see", "ʃ", "s"),
        _s("ʊ/uː", "ʊ / uː", "full / fool", "ʊ", "uː"),
        _s("h", "h (house)", "hat / at", "h"),
        _s("dʒ/j", "dʒ / j", "jet / yet", "dʒ", "j"),
        Sound("final consonants", "final consonants", (), "bed / bet / be"),
        Sound("clusters", "consonant clusters", (), "street / suh-treet"),
    )
}


@dataclass(frozen=True)
class Sentence:
    """One library entry."""

    id: str
    text: str
    level: str
    sounds: tuple[str, ...] = field(default_factory=tuple)


@functools.cache
def load_sentences() -> tuple[Sentence, ...]:
    """All library sentences, read once from the packaged JSON file."""
    data = resources.files("accent_coach.practice").joinpath("data/sentences.json")
    raw = data.read_text("utf-8")
    return tuple(
        Sentence(d["id"], d["text"], d["level"], tuple(d["sounds"])) for d in json.loads(raw)
    )


def filter_sentences(level: str | None = None, sound: str | None = None) -> list[Sentence]:
    """Sentences of ``level`` that drill ``sound``; ``None`` means any."""
    return [
        s
        for s in load_sentences()
        if (level is None or s.level == level) and (sound is None or sound in s.sounds)
    ]


def sounds_for_phone(phone: str) -> list[str]:
    """Targets that drill ``phone`` (stress-free IPA), most specific first."""
    keys = [k for k, s in SOUNDS.items() if phone in s.phones]
    return sorted(keys, key=lambda k: len(SOUNDS[k].phones))


def sentence_for_phone(phone: str, level: str | None = None, exclude: str = "") -> Sentence | None:
    """A library sentence that drills ``phone``, preferring ``level``; None if none does."""
    for key in sounds_for_phone(phone):
        for lvl in (level, None):
            found = [s for s in filter_sentences(lvl, key) if s.text != exclude]
            if found:
                return found[0]
    return None
