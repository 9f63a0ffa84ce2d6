"""The item time limit: past it the answer is a timeout, whatever the item ends with."""

from __future__ import annotations

import time

import pytest

from accent_coach.errors import ItemTimeout
from accent_coach.service.deadline import interruptible, run_with_deadline


def test_fast_item_returns_its_value():
    assert run_with_deadline(lambda: 42, 5.0) == 42


def test_errors_within_the_limit_are_the_items_own():
    def fail() -> None:
        raise ValueError("bad take")

    with pytest.raises(ValueError, match="bad take"):
        run_with_deadline(fail, 5.0)


def test_stop_inside_the_engine_block_ends_the_work():
    steps: list[int] = []

    def work() -> str:
        with interruptible():
            for n in range(200):  # 4 s of Python bytecodes: the stop lands between them
                steps.append(n)
                time.sleep(0.02)
        return "finished"

    started = time.monotonic()
    with pytest.raises(ItemTimeout):
        run_with_deadline(work, 0.3, grace=5.0)
    assert time.monotonic() - started < 2.0
    assert len(steps) < 100


def test_result_that_arrives_after_the_limit_is_still_a_timeout():
    """A stop that cannot land (the item is outside its interruptible block, as during
    cache bookkeeping) lets the item finish in the grace period: still a timeout, or the
    limit would depend on where the stop happened to fall."""

    def slow_outside_the_engine() -> str:
        time.sleep(0.6)
        return "late"

    with pytest.raises(ItemTimeout):
        run_with_deadline(slow_outside_the_engine, 0.2, grace=5.0)
