"""Which model names an API client may use: no file-system oracle.

The model manager accepts any folder path or hub id, which is right for the operator
(CLI, settings) but not for a network client: ``/v1/models//etc/shadow/load`` once
answered "is a file", ``/root`` "has no config.json", a missing path "neither", and a
300-character id a 500. A client may name only a registered id, the server's own
configured models, or a folder inside ``ACCENT_COACH_MODELS_DIR``; anything else gets
the same :class:`UnknownModel` answer whatever the disk holds.
"""

from __future__ import annotations

from pathlib import Path

from accent_coach.config import Settings
from accent_coach.errors import UnknownModel
from accent_coach.speech.registry import EMBEDDED, KNOWN_MODELS, SCORERS, TRANSCRIBERS

MAX_MODEL_NAME = 200  # longer than any registered id or sensible folder name


def accepted_model(name: str | None, settings: Settings) -> str | None:
    """The name to hand the model manager (a folder as its absolute path), None for the
    server's default, or UnknownModel."""
    if name is None or name == "":
        return None
    if name in _registered(settings):
        return name
    folder = _folder_in_models_dir(name, settings.api_models_dir)
    if folder is None:
        raise UnknownModel(UNKNOWN_MESSAGE)  # the name is not echoed: one answer for all
    return str(folder)


UNKNOWN_MESSAGE = (
    "Unknown model: use an id from GET /v1/models, or the name of a folder in this "
    "server's models directory (ACCENT_COACH_MODELS_DIR)."
)


def _registered(settings: Settings) -> set[str]:
    return {EMBEDDED, *KNOWN_MODELS, *SCORERS, *TRANSCRIBERS, settings.model,
            settings.transcriber}


def _folder_in_models_dir(name: str, root: Path) -> Path | None:
    """``root/name`` (or ``name`` if absolute) when it is a folder inside ``root``."""
    if len(name) > MAX_MODEL_NAME or "\x00" in name or not name.isprintable():
        return None
    try:
        base = root.resolve()
        folder = (root / name).resolve()  # an absolute name replaces root: checked below
        inside = folder != base and folder.is_relative_to(base)
        return folder if inside and folder.is_dir() else None
    except (OSError, ValueError, RuntimeError):  # too long for the OS, symlink loops
        return None
