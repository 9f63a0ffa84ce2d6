"""The target accents, in one table: their names, espeak settings and labels.

Every door that takes an accent (the engine, the API and its jobs, batch manifests,
the CLI, the Practice page) checks it here, so they accept the same names and refuse
the rest with the same error (``accent_unknown``). A name is kept as the caller spelled
it (``en-gb`` is echoed as ``en-gb``): the engine reports the accent it was given.
Imports only the error family, so every layer — ``speech/`` included — may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accent_coach.errors import InputError


@dataclass(frozen=True)
class Accent:
    """One target accent and what each part of the system calls it."""

    key: str  # the short name pages, history and the defaults use
    label: str  # what the learner reads
    language: str  # phonemizer's espeak language for the reference phones
    voice: str  # libespeak-ng's synthesis voice for the reference audio
    aliases: tuple[str, ...] = ()  # other accepted names (BCP 47 style)


ACCENTS: dict[str, Accent] = {
    a.key: a
    for a in (
        Accent("us", "American (US)", language="en-us", voice="en-us", aliases=("en-us",)),
        # espeak-ng's "en" voice is its British English; "en-gb" names no voice there
        Accent("uk", "British (UK)", language="en-gb", voice="en", aliases=("en-gb",)),
    )
}
_BY_NAME = {name: a for a in ACCENTS.values() for name in (a.key, *a.aliases)}
NAMES: tuple[str, ...] = tuple(_BY_NAME)  # every accepted spelling: us, en-us, uk, en-gb


def get_accent(name: object) -> Accent:
    """The accent called ``name`` (a key or an alias); ``InputError`` (``accent_unknown``)
    for anything else."""
    accent = _BY_NAME.get(name) if isinstance(name, str) else None
    if accent is None:
        raise InputError(
            f"unknown accent {name!r}; use one of: {', '.join(ACCENTS)} "
            f"(or {', '.join(n for n in NAMES if n not in ACCENTS)})",
            code="accent_unknown",
        )
    return accent


def espeak_language(name: str) -> str:
    """Phonemizer's language for an accent name; any other name is an espeak language
    already (training code phonemizes with those) and passes through."""
    accent = _BY_NAME.get(name)
    return accent.language if accent else name


def espeak_voice(name: str) -> str:
    """libespeak-ng's voice for an accent name; any other name is a voice already."""
    accent = _BY_NAME.get(name)
    return accent.voice if accent else name
