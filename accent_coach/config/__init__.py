"""Settings from ``ACCENT_COACH_*`` environment variables, declared once, read in one place.

The declarations (type, default, range, meaning of every variable) are in
:mod:`accent_coach.config.declared`; docs/configuration.md and the Settings page are
generated from them (:mod:`accent_coach.config.reference`). The environment is read
afresh on each call so tests and long-lived processes see its current state; reading
it is cheap.

A leaf package: it imports nothing else of ours, so every layer may import it.
"""

from __future__ import annotations

from pathlib import Path

from accent_coach.config.declared import (
    DEFAULT_LLM_TIMEOUT,
    DEFAULT_MODEL,
    DEFAULT_TRANSCRIBER,
    DTYPES,
    Limits,
    Settings,
)
from accent_coach.config.environment import read, read_leniently
from accent_coach.config.reference import Variable, in_force, markdown, variables

__all__ = [
    "DEFAULT_LLM_TIMEOUT", "DEFAULT_MODEL", "DEFAULT_TRANSCRIBER", "DTYPES", "ENV_VARS",
    "SECRETS", "Limits", "Settings", "Variable", "data_dir", "get_settings", "in_force", "limits",
    "markdown", "variables",
]

# (variable, default, meaning) of every variable, for code that lists them.
ENV_VARS: tuple[tuple[str, str, str], ...] = tuple(
    (v.name, v.default, v.field.description or "") for v in variables())
SECRETS: frozenset[str] = frozenset(v.name for v in variables() if v.secret)


def get_settings() -> Settings:
    """Current settings; a bad value raises ``ValueError`` naming the variable."""
    return read(Settings)


def limits() -> Limits:
    """The input limits, even when a setting is bad (the Settings page reports it)."""
    return read_leniently(Limits)


def data_dir() -> Path:
    """The app's data folder, even when an unrelated setting is bad (voices, caches)."""
    return read_leniently(Settings).data_dir
