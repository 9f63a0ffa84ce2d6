"""The ``--scorer`` option the engine benchmarks share.

``auto`` is what the app does (the learned scorer trained on the loaded recognizer's
outputs when there is one, else the hand-set rules), ``rules`` the hand-set formulas,
anything else a learned scorer folder (e.g. a cross-validation fold's). Several values
separated by commas are measured in the same run, for before/after figures taken under
the same machine load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve(value: str) -> Any:
    """``"auto"`` / ``"rules"`` as the engine reads them, or a loaded scorer folder."""
    if value in ("auto", "rules"):
        return value
    from accent_coach.speech.scorer import load_scorer

    return load_scorer(Path(value))


def resolve_all(values: str) -> dict[str, Any]:
    return {v: resolve(v) for v in values.split(",") if v}
