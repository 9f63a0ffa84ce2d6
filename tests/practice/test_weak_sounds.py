"""The weak-sounds scheduler on a real SQLite history: Leitner boxes and sentence picks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accent_coach import storage as S
from accent_coach.practice import weak_sounds as W
from accent_coach.practice.sentences import SOUNDS
from tests.support.storage_samples import SENTENCE, sample_result

DAY0 = date(2026, 4, 1)
ALL_GOOD = {p: 95.0 for _, phones in SENTENCE for p in phones}


@pytest.fixture
def store(tmp_path):
    storage = S.open_storage(f"sqlite:///{tmp_path / 'h.db'}")
    yield storage
    S.close_all()


def _practise(store: S.Storage, me: int, day: int, theta: float, text: str = "x") -> None:
    moment = datetime.combine(DAY0 + timedelta(days=day), datetime.min.time(), UTC)
    S.save_attempt(store, me, sample_result(0, phone_scores={**ALL_GOOD, "θ": theta}, text=text),
                   created_at=moment + timedelta(hours=10))


def _box(store: S.Storage, me: int, key: str = "θ") -> W.SoundBox:
    return next(b for b in W.schedule(store, me) if b.key == key)


def test_no_history_no_plan(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    assert W.schedule(store, me) == [] and W.plan(store, me) is None


def test_leitner_boxes_follow_the_documented_rule(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    _practise(store, me, 0, 90)  # first sight: box 1, due day 1
    assert (_box(store, me).box, _box(store, me).due) == (1, DAY0 + timedelta(days=1))
    _practise(store, me, 1, 90)  # on its due day, passed: box 2, due in 2 days
    assert (_box(store, me).box, _box(store, me).due) == (2, DAY0 + timedelta(days=3))
    _practise(store, me, 2, 90)  # early: passing does not promote
    assert _box(store, me).box == 2
    _practise(store, me, 4, 90)  # due (day 4 ≥ day 2 + 2): box 3, interval 4
    assert (_box(store, me).box, _box(store, me).due) == (3, DAY0 + timedelta(days=8))
    _practise(store, me, 5, 30)  # a failure, even early, sends it back to box 1
    assert (_box(store, me).box, _box(store, me).last_score) == (1, 30.0)


def test_plan_picks_a_library_sentence_for_the_due_weak_sound(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    _practise(store, me, 0, 25)
    plan = W.plan(store, me, level="beginner", today=DAY0 + timedelta(days=1))
    assert plan is not None and "θ" in plan.sounds and "θ" in plan.sentence.sounds
    assert plan.reason.startswith("due for review") and SOUNDS["θ"].label in plan.reason
    assert plan.sentence.level == "beginner"
    # Practising that very sentence: the next plan offers a different one.
    _practise(store, me, 1, 25, text=plan.sentence.text)
    again = W.plan(store, me, level="beginner", today=DAY0 + timedelta(days=2))
    assert again.sentence.text != plan.sentence.text and "θ" in again.sentence.sounds


def test_when_nothing_is_due_it_says_when_and_offers_the_weakest(store) -> None:
    me = S.get_or_create_profile(store, "Me").id
    _practise(store, me, 0, 85)
    _practise(store, me, 1, 88)  # everything in box 2 now, due on day 3
    plan = W.plan(store, me, today=DAY0 + timedelta(days=2))
    assert plan.reason.startswith(f"nothing is due until {(DAY0 + timedelta(days=3))}")
    assert plan.sounds == ("θ",)  # the lowest last score (88 against 95)
    assert W.plan(store, me, today=DAY0 + timedelta(days=2)) == plan  # deterministic
