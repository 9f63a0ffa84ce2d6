"""Learner profiles: a local name, or the subject of an OIDC sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accent_coach.storage.database import Storage, StorageError
from accent_coach.storage.schema import Profile

MAX_NAME = 80


@dataclass(frozen=True)
class ProfileInfo:
    """What the pages show about a profile."""

    id: int
    name: str
    signed_in: bool


def _info(row: Profile) -> ProfileInfo:
    return ProfileInfo(row.id, row.name, row.oidc_subject is not None)


def clean_name(name: str) -> str:
    """A profile name as stored: trimmed, inner spaces collapsed; StorageError if unusable."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise StorageError("Type a name for your profile.", code="profile_invalid")
    if len(cleaned) > MAX_NAME:
        raise StorageError(
            f"A profile name is at most {MAX_NAME} characters.", code="profile_invalid"
        )
    return cleaned


def get_or_create_profile(storage: Storage, name: str) -> ProfileInfo:
    """The local profile called ``name`` (case-insensitive match), created if new.

    Two sessions creating the same name at once: the loser's insert fails on the unique
    name and its retry finds the winner's row.
    """
    cleaned = clean_name(name)
    try:
        return _get_or_create(storage, cleaned)
    except IntegrityError:
        return _get_or_create(storage, cleaned)


def _get_or_create(storage: Storage, cleaned: str) -> ProfileInfo:
    with storage.write() as session:
        for row in session.scalars(select(Profile).where(Profile.oidc_subject.is_(None))):
            if row.name.casefold() == cleaned.casefold():
                return _info(row)
        if session.scalar(select(Profile).where(Profile.name == cleaned)) is not None:
            raise StorageError(
                f"“{cleaned}” belongs to a signed-in account; pick another name.",
                code="profile_taken",
            )
        row = Profile(name=cleaned, created_at=datetime.now(UTC).replace(tzinfo=None))
        session.add(row)
        session.flush()
        return _info(row)


def profile_for_subject(storage: Storage, subject: str, display_name: str) -> ProfileInfo:
    """The profile of an OIDC-signed-in learner (keyed by the stable ``sub`` claim)."""
    with storage.write() as session:
        row = session.scalar(select(Profile).where(Profile.oidc_subject == subject))
        if row is None:
            base = clean_name(display_name or "learner")[: MAX_NAME - 12]
            name = f"{base} ({subject[-8:]})"
            row = Profile(
                name=name, oidc_subject=subject,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
            session.add(row)
            session.flush()
        return _info(row)


def list_profiles(storage: Storage) -> list[ProfileInfo]:
    """Local profiles (not signed-in accounts), by name: the picker's choices."""
    with storage.read() as session:
        rows = session.scalars(
            select(Profile).where(Profile.oidc_subject.is_(None)).order_by(Profile.name)
        )
        return [_info(r) for r in rows]


def get_profile(storage: Storage, profile_id: int) -> ProfileInfo | None:
    """The profile with this id, or None (e.g. after its data was deleted)."""
    with storage.read() as session:
        row = session.get(Profile, profile_id)
        return None if row is None else _info(row)
