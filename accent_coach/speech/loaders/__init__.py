"""One loader per model kind, all of the same shape, so the lifecycle stays generic.

Each kind's module offers ``prepare(spec)`` — cheap checks before any spinner (files
present, hub reachable), returning options for the load — and ``load(spec, device,
dtype, options)`` — one real, uncached load. The model manager looks the loader up by
kind here; a new kind (say, a text-to-speech voice) is a new module and one line below.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from accent_coach.speech.loaders import recognizer, scorer, transcriber
from accent_coach.speech.registry import ModelKind, ModelLoadError, ModelSpec


class Loader(Protocol):
    """What a kind's loader module offers."""

    def prepare(self, spec: ModelSpec) -> dict[str, Any]: ...

    def load(self, spec: ModelSpec, device: str, dtype: str, options: dict[str, Any]) -> Any: ...


LOADERS: dict[str, Loader] = {
    "recognizer": cast(Loader, recognizer),
    "transcriber": cast(Loader, transcriber),
    "scorer": cast(Loader, scorer),
}


def loader_for(kind: ModelKind | str) -> Loader:
    """The loader of ``kind``; a plain error for a kind nobody registered."""
    try:
        return LOADERS[kind]
    except KeyError:
        raise ModelLoadError(f"No loader for models of kind '{kind}'.") from None
