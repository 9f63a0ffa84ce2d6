""""Practise my weak sounds": Leitner boxes per sound, then library sentences that
concentrate the sounds that are due.

The rule (documented for learners in docs/user-guide.md), per library target sound (θ, v/w, ɪ/iː …),
replayed over the learner's stored phone scores day by day (UTC days):

* A target's score on a day is the mean score of its phones that day (count-weighted).
* The first day a target is seen puts it in box 1. On a later day *on or after its due
  date*, a mean of at least ``PASS`` (80) moves it up one box (at most 5); below ``PASS``
  on any day sends it back to box 1. Practising early never promotes.
* A target in box b is due ``INTERVALS[b]`` days (1, 2, 4, 8, 16) after the day it was
  last practised.

The plan takes up to three due targets, lowest box first, then lowest last score, and
picks the library sentence (preferring the learner's level) that drills the most of
them, weighted 3/2/1 in that order, skipping the texts of their last 20 attempts.
Everything is derived from stored attempts, so the same history gives the same plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from accent_coach.practice.sentences import SOUNDS, Sentence, load_sentences
from accent_coach.storage import Filters, PhoneDay, Storage, phone_days, recent_attempts

PASS = 80.0
INTERVALS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
TOP = 3


@dataclass(frozen=True)
class SoundBox:
    """Where one target sound stands in the learner's Leitner schedule."""

    key: str
    box: int
    last_day: date
    last_score: float
    due: date


@dataclass(frozen=True)
class Plan:
    """The sentence to practise, the due sounds it drills, and why (for the learner)."""

    sentence: Sentence
    sounds: tuple[str, ...]
    reason: str


def _daily_target_scores(days: list[PhoneDay]) -> dict[str, dict[date, float]]:
    """Per target key: day → count-weighted mean score of its phones."""
    targets: dict[str, list[str]] = defaultdict(list)
    for key, sound in SOUNDS.items():
        for phone in sound.phones:
            targets[phone].append(key)
    sums: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in days:
        for key in targets.get(row.phone, ()):
            acc = sums[key][row.day]
            acc[0] += row.score_sum
            acc[1] += row.count
    return {k: {d: s / n for d, (s, n) in by_day.items()} for k, by_day in sums.items()}


def _box(days: dict[date, float]) -> tuple[int, date, float]:
    """Replay the rule over one target's days → (box, last day, last score)."""
    box, due = 1, None
    for day in sorted(days):
        score = days[day]
        if due is not None:
            if score < PASS:
                box = 1
            elif day >= due:
                box = min(box + 1, max(INTERVALS))
        due = day + timedelta(days=INTERVALS[box])
    last = max(days)
    return box, last, days[last]


def schedule(
    storage: Storage, profile_id: int, days: list[PhoneDay] | None = None
) -> list[SoundBox]:
    """Every target sound the learner has practised, most urgent first.

    ``days``: the learner's unfiltered ``phone_days`` when the caller already has them.
    """
    if days is None:
        days = phone_days(storage, profile_id, Filters(tz=UTC))
    boxes = []
    for key, by_day in _daily_target_scores(days).items():
        box, last, score = _box(by_day)
        boxes.append(SoundBox(key, box, last, round(score, 1), last + timedelta(INTERVALS[box])))
    return sorted(boxes, key=lambda b: (b.due, b.box, b.last_score, b.key))


def _today() -> date:
    return datetime.now(UTC).date()


def plan(storage: Storage, profile_id: int, level: str | None = None,
         today: date | None = None) -> Plan | None:
    """The next weak-sounds sentence, or None when the learner has no scored phones yet."""
    today = today or _today()
    boxes = schedule(storage, profile_id)
    if not boxes:
        return None
    due = sorted((b for b in boxes if b.due <= today), key=lambda b: (b.box, b.last_score, b.key))
    targets = due[:TOP] or sorted(boxes, key=lambda b: (b.last_score, b.key))[:1]
    weights = {b.key: TOP - i for i, b in enumerate(targets)}
    recent = {r["text"] for r in recent_attempts(storage, profile_id, Filters(tz=UTC), 20)}

    def rank(s: Sentence) -> tuple[float, int, int, str]:
        covered = sum(weights.get(k, 0) for k in s.sounds)
        return (-covered, s.text in recent, s.level != level, s.id)

    best = min(load_sentences(), key=rank)
    drilled = tuple(k for k in weights if k in best.sounds)
    names = ", ".join(SOUNDS[k].label for k in drilled) or SOUNDS[targets[0].key].label
    if due:
        reason = f"due for review: {names}"
    else:
        upcoming = min(b.due for b in boxes)
        reason = f"nothing is due until {upcoming.isoformat()}; extra practice on {names}"
    return Plan(best, drilled, reason)
