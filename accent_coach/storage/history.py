"""What the Progress page draws: trends, per-sound weakness, streak, recent attempts.

Times are stored as naive UTC; calendar days (filters, streak, daily goal) are the
learner's local days (``tz``, default the machine's zone). Per-sound views group the
stored phones by their expected IPA symbol in SQL, so they stay fast with 10,000
attempts; their day buckets are UTC days.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, func, select

from accent_coach.storage.database import Storage
from accent_coach.storage.schema import Attempt, AttemptAudio, PhoneDayStat

WEAK_BELOW = 80.0  # a phone scoring below this counts as a miss (the "fair"/"poor" bands)


def local_zone() -> tzinfo:
    """The machine's time zone (the learner's, for a local install)."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


@dataclass(frozen=True)
class Filters:
    """Which attempts a view covers: local dates (inclusive) and accent; None = all."""

    start: date | None = None
    end: date | None = None
    accent: str | None = None
    tz: tzinfo | None = None

    def zone(self) -> tzinfo:
        return self._zone

    @functools.cached_property
    def _zone(self) -> tzinfo:  # resolved once: local_zone() is slow per row
        return self.tz or local_zone()

    def _utc(self, day: date) -> datetime:
        local = datetime.combine(day, time.min, self.zone())
        return local.astimezone(UTC).replace(tzinfo=None)

    def apply(self, query: Select, profile_id: int) -> Select:
        """``query`` narrowed to this profile's attempts within the filters."""
        query = query.where(Attempt.profile_id == profile_id)
        if self.start is not None:
            query = query.where(Attempt.created_at >= self._utc(self.start))
        if self.end is not None:
            query = query.where(Attempt.created_at < self._utc(self.end + timedelta(days=1)))
        if self.accent:
            query = query.where(Attempt.accent == self.accent)
        return query

    def local(self, moment: datetime) -> datetime:
        """A stored (naive UTC) time in the learner's zone."""
        return moment.replace(tzinfo=UTC).astimezone(self.zone())


@dataclass(frozen=True)
class PhoneStat:
    """How one expected sound went over the filtered attempts."""

    phone: str
    count: int
    mean_score: float
    miss_rate: float  # share scored below WEAK_BELOW or not produced as expected


@dataclass(frozen=True)
class Activity:
    """Streak and daily goal, in the learner's local days."""

    total: int
    today: int
    goal: int
    streak_days: int
    days_practised: int


def score_trend(storage: Storage, profile_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Every filtered attempt's sentence scores, oldest first (local times)."""
    query = filters.apply(select(
        Attempt.id, Attempt.created_at, Attempt.accent, Attempt.overall, Attempt.accuracy,
        Attempt.fluency, Attempt.completeness, Attempt.prosody,
    ), profile_id).order_by(Attempt.created_at, Attempt.id)
    rows = [row._asdict() for row in storage.rows(query)]
    return [{**row, "created_at": filters.local(row["created_at"])} for row in rows]


@dataclass(frozen=True)
class PhoneDay:
    """One expected sound on one UTC day: the sums every per-sound view derives from."""

    day: date
    phone: str
    count: int
    score_sum: float
    misses: int


def phone_days(storage: Storage, profile_id: int, filters: Filters) -> list[PhoneDay]:
    """Per (UTC day, expected sound) sums over the filtered days and accent, read from the
    per-day table each save keeps up to date; weakness, its change and the review
    schedule all derive from it. The date filter applies to UTC days here."""
    stat = PhoneDayStat
    query = select(stat.day, stat.phone, func.sum(stat.count), func.sum(stat.score_sum),
                   func.sum(stat.misses)).where(stat.profile_id == profile_id)
    if filters.start is not None:
        query = query.where(stat.day >= filters.start)
    if filters.end is not None:
        query = query.where(stat.day <= filters.end)
    if filters.accent:
        query = query.where(stat.accent == filters.accent)
    query = query.group_by(stat.day, stat.phone).order_by(stat.day, stat.phone)
    return [PhoneDay(d, str(p), int(n), float(total), int(miss))
            for d, p, n, total, miss in storage.rows(query)]


def weakness_of(days: list[PhoneDay], min_count: int = 3) -> list[PhoneStat]:
    """Sounds seen at least ``min_count`` times, weakest (lowest mean score) first."""
    sums: dict[str, list[float]] = {}
    for row in days:
        acc = sums.setdefault(row.phone, [0, 0.0, 0])
        acc[0] += row.count
        acc[1] += row.score_sum
        acc[2] += row.misses
    stats = [PhoneStat(p, int(n), round(total / n, 1), round(miss / n, 3))
             for p, (n, total, miss) in sums.items() if n >= min_count]
    return sorted(stats, key=lambda s: (s.mean_score, s.phone))


def daily_of(days: list[PhoneDay], phones: list[str] | None = None) -> list[dict[str, Any]]:
    """Mean score per (UTC day, sound), for ``phones`` (None: all): how each one changes."""
    wanted = None if phones is None else set(phones)
    return [
        {"day": r.day, "phone": r.phone, "mean_score": round(r.score_sum / r.count, 1),
         "count": r.count}
        for r in days if wanted is None or r.phone in wanted
    ]


def phone_weakness(
    storage: Storage, profile_id: int, filters: Filters, min_count: int = 3
) -> list[PhoneStat]:
    """Expected sounds seen at least ``min_count`` times, weakest (lowest mean) first."""
    return weakness_of(phone_days(storage, profile_id, filters), min_count)


def phone_daily(
    storage: Storage, profile_id: int, filters: Filters, phones: list[str] | None = None
) -> list[dict[str, Any]]:
    """Mean score per (UTC day, expected sound): how each sound changes over time."""
    return daily_of(phone_days(storage, profile_id, filters), phones)


def activity(
    storage: Storage, profile_id: int, goal: int, today: date | None = None,
    tz: tzinfo | None = None,
) -> Activity:
    """Attempts in total and today, and the streak: consecutive local days with at least
    one attempt, ending today (or yesterday, while today's practice is still to come)."""
    filters = Filters(tz=tz)
    times = [r[0] for r in storage.rows(
        select(Attempt.created_at).where(Attempt.profile_id == profile_id))]
    local_days = [filters.local(t).date() for t in times]
    days = set(local_days)
    today = today or datetime.now(filters.zone()).date()
    count_today = local_days.count(today)
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return Activity(len(times), count_today, goal, streak, len(days))


def recent_attempts(
    storage: Storage, profile_id: int, filters: Filters, limit: int = 20
) -> list[dict[str, Any]]:
    """The newest filtered attempts: id, local time, text, accent, overall, has_audio."""
    has_audio = select(AttemptAudio.attempt_id).where(
        AttemptAudio.attempt_id == Attempt.id).exists()
    query = filters.apply(
        select(Attempt.id, Attempt.created_at, Attempt.text, Attempt.accent, Attempt.model,
               Attempt.overall, has_audio.label("has_audio")),
        profile_id,
    ).order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
    rows = [row._asdict() for row in storage.rows(query)]
    return [{**r, "created_at": filters.local(r["created_at"]), "has_audio": bool(r["has_audio"])}
            for r in rows]


def accents_used(storage: Storage, profile_id: int) -> list[str]:
    """The accents this learner has practised (the accent filter's choices)."""
    return sorted(r[0] for r in storage.rows(
        select(Attempt.accent).where(Attempt.profile_id == profile_id).distinct()))


def history_version(storage: Storage, profile_id: int) -> tuple[int, int]:
    """(attempts, newest id): changes whenever this profile's history does (cache key)."""
    row = storage.rows(select(func.count(), func.max(Attempt.id))
                       .where(Attempt.profile_id == profile_id))[0]
    return int(row[0]), int(row[1] or 0)
