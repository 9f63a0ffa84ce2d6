"""The process-wide model manager: which model of each kind is in use, loaded once.

Why this module exists: Streamlit re-executes page scripts on every interaction
and serves each browser session from its own thread. Anything that must happen
once — ``from_pretrained``, ``.to(device)``, the spinner and toast announcing a
load — therefore cannot live in a page script or in ``st.session_state``. It
lives here, in a process-wide :class:`ModelManager` (see :func:`get_manager`). The
app wraps :func:`get_manager` in ``st.cache_resource``; the CLI and API call it
directly and share the same models.

The manager holds every kind — the phone recognizer, the tutor's transcriber, the
learned scorer — and every call names the kind it means (``kind="recognizer"`` unless
said), because one name can mean two models (``small.en``). What it decides: which
model of a kind is selected and current, and when to load. How a kind loads is in
:mod:`accent_coach.speech.loaders`; leases, idle unload, the LRU limit and memory
events are :mod:`accent_coach.speech.lifecycle`'s, the same for every kind; device
choice is :mod:`accent_coach.speech.devices`'s; the status JSON is
:mod:`accent_coach.speech.model_status`'s.

UI side effects are the caller's: ``load(name, kind, on_load=...)`` enters the
``on_load`` context only on the code path that really loads, and the new model is
already current when that block exits.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from accent_coach.config import Settings, get_settings
from accent_coach.config.environment import read_leniently
from accent_coach.speech import model_status
from accent_coach.speech.devices import choose_device, gpu_pressure_note
from accent_coach.speech.lifecycle import CacheKey, Handle, LoadEvent, ModelPool
from accent_coach.speech.loaders import loader_for
from accent_coach.speech.loaders import scorer as scorer_loader
from accent_coach.speech.loaders.recognizer import LoadedModel
from accent_coach.speech.memory import return_large_allocations_to_os
from accent_coach.speech.registry import (
    EXPERT_SCORER,
    SCORERS,
    ModelKind,
    ModelLoadError,
    ModelSpec,
    kind_of,
    resolve,
)
from accent_coach.speech.scorer import LoadedScorer
from accent_coach.speech.transcriber import LoadedTranscriber

LoadHook = Callable[[ModelSpec], contextlib.AbstractContextManager[Any]]

# Kinds a user selects (one current model each); a scorer follows its recognizer instead.
SELECTED_KINDS: tuple[ModelKind, ...] = ("recognizer", "transcriber")


def _settings_or_defaults(warnings: list[str]) -> Settings:
    """The settings in force; a bad value becomes a warning and its default, the other
    values (the chosen recognizer above all) are kept. The Settings page names it too."""
    try:
        return get_settings()
    except ValueError as exc:
        warnings.append(f"{exc} Using the defaults instead.")
        return read_leniently(Settings)


class ModelManager:
    """The one place that decides whether a model must be loaded. Thread-safe.

    Lifecycle, for every model kind: optional preload, lazy load on first use, explicit
    load/unload, idle unload per kind, at most ``max_loaded_models`` per kind kept (LRU),
    and ``lease()`` reference counts so an unload waits for the analyses using the model.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.warnings: list[str] = []  # bad settings replaced by safe defaults, said plainly
        self.settings = settings if settings is not None else _settings_or_defaults(
            self.warnings)
        try:
            self.device, note = choose_device(self.settings.device)
        except ModelLoadError as exc:
            self.device, note = "cpu", f"{exc} Using CPU."
        if note:
            self.warnings.append(note)
        self.dtype = self.settings.dtype
        return_large_allocations_to_os()
        self.pool = ModelPool(self.settings.max_loaded_models, self.settings.idle_seconds)
        self._current: dict[str, CacheKey] = {}  # kind -> key of the model in use
        self._selected: dict[str, str] = {}  # kind -> name chosen at run time
        self._errors: dict[str, tuple[str, str] | None] = {}  # kind -> (name, message)
        self._unloaded = False
        ttls = [seconds for _, seconds in self.settings.idle_unload if seconds > 0]
        if ttls:
            self.pool.start_reaper(min(5.0, max(0.1, min(ttls) / 4)))

    # --- selection -------------------------------------------------------------------

    def selected(self, kind: ModelKind = "recognizer") -> str:
        """What ``load(None, kind)`` loads: the last model chosen, else the configured one."""
        configured = {"recognizer": self.settings.model,
                      "transcriber": self.settings.transcriber}.get(kind, EXPERT_SCORER)
        return self._selected.get(kind) or configured

    def current_of(self, kind: ModelKind = "recognizer") -> Any:
        """The model of ``kind`` in use, or None before its first load / after unload."""
        handle = self.pool.peek(self._current.get(kind))
        return handle.model if handle is not None else None

    def current_keys(self) -> set[CacheKey]:
        """The pool keys of each selected kind's current model (spared by the LRU)."""
        return {key for kind, key in self._current.items() if self.pool.peek(key)}

    def is_loaded(self, name: str | None = None, kind: ModelKind = "recognizer") -> bool:
        """Whether ``load(name, kind)`` would return at once, without loading."""
        return self._matches(self.current_of(kind), name, kind)

    def _matches(self, current: Any, name: str | None, kind: ModelKind) -> bool:
        if current is None:
            return False
        name = name or self.selected(kind)
        if name == current.name:
            return True
        try:
            return resolve(name, kind).name == current.name
        except ModelLoadError:
            return False

    def failed(self, name: str | None = None, kind: ModelKind = "recognizer") -> str | None:
        """The error message of the last attempt at ``name`` if that attempt failed."""
        error = self._errors.get(kind)
        if error and error[0] == (name or self.selected(kind)):
            return error[1]
        return None

    @property
    def unloaded(self) -> bool:
        """True after an unload of the recognizer until the next load: don't preload."""
        gone = "recognizer" in self._current and self.current is None
        return self._unloaded or gone

    # --- loading ---------------------------------------------------------------------

    def load(
        self, name: str | None = None, kind: ModelKind = "recognizer",
        on_load: LoadHook | None = None,
    ) -> Any:
        """Return model ``name`` of ``kind`` (None = the selected one), loading it only if
        needed.

        The current model of that kind → immediate return, without a lock (a load
        elsewhere never blocks it). Otherwise the model is taken from the pool or loaded
        once; ``on_load(spec)`` is entered only around a real load. On failure the
        previous model stays current and the error is kept for :meth:`failed`.
        """
        current = self.current_of(kind)
        if self._matches(current, name, kind):
            self.pool.touch(current)
            return current
        with self.pool.lock:
            current = self.current_of(kind)
            if self._matches(current, name, kind):  # another thread loaded it meanwhile
                return current
            requested = name or self.selected(kind)
            try:
                handle = self._get_or_load(resolve(requested, kind), kind, on_load)
            except ModelLoadError as exc:
                self._errors[kind] = (requested, str(exc))
                raise
            self._errors[kind] = None
            self._make_current(handle)
            self.pool.touch(handle.model)
            return handle.model

    def _make_current(self, handle: Handle) -> None:
        if handle.kind in SELECTED_KINDS:
            self._current[handle.kind] = handle.key
            self._selected[handle.kind] = handle.name
            if handle.kind == "recognizer":
                self._unloaded = False

    def _get_or_load(self, spec: ModelSpec, kind: ModelKind, on_load: LoadHook | None) -> Handle:
        key = (spec.path_or_id, self.device, self.dtype)
        handle = self.pool.get(key)
        if handle is not None:
            return handle
        loader = loader_for(kind)
        options = loader.prepare(spec)  # fails fast, before any spinner
        pressure = gpu_pressure_note(self.device, self.settings.gpu_min_free_mb)
        device = "cpu" if pressure else self.device
        with on_load(spec) if on_load else contextlib.nullcontext():
            handle = self.pool.load(key, kind, lambda: loader.load(spec, device, self.dtype,
                                                                   options))
            if pressure:
                handle.model.notes.append(pressure)
            self._make_current(handle)
        self.pool.trim(keep=self.current_keys() | {key})
        return handle

    def load_model(self, name: str | None = None, on_load: LoadHook | None = None) -> LoadedModel:
        """The phone recognizer ``name``: :meth:`load` with ``kind="recognizer"``."""
        return self.load(name, "recognizer", on_load)

    def load_transcriber(
        self, name: str | None = None, on_load: LoadHook | None = None
    ) -> LoadedTranscriber:
        """The speech-to-text model ``name``: :meth:`load` with ``kind="transcriber"``."""
        return self.load(name, "transcriber", on_load)

    @contextlib.contextmanager
    def lease(
        self, name: str | None = None, kind: ModelKind = "recognizer",
        on_load: LoadHook | None = None,
    ) -> Iterator[Any]:
        """Use model ``name`` of ``kind`` for one analysis: not unloaded until the block ends."""
        while True:
            loaded = self.load(name, kind, on_load)
            handle = self.pool.hold(loaded)
            if handle is not None:  # not unloaded between the load and the hold
                break
        key = handle.key
        try:
            yield loaded
        finally:
            due = self.pool.release(handle)
            del handle, loaded  # hold no reference while it is freed
            if due:
                self.pool.forget(key, "request")
            self.pool.trim(keep=self.current_keys())

    def scorer_for(self, recognizer: Any, on_load: LoadHook | None = None) -> LoadedScorer | None:
        """The learned scorer trained on ``recognizer``'s outputs, loaded once (like every
        model: cached, leased, unloadable; ``on_load`` as in :meth:`load`); None when
        there is none for it, or it cannot be read — the engine then scores with its
        hand-set rules."""
        if not scorer_loader.belongs_to(SCORERS[EXPERT_SCORER], recognizer):
            return None
        try:
            return self.load(EXPERT_SCORER, "scorer", on_load)
        except ModelLoadError as exc:
            if str(exc) not in self.warnings:
                self.warnings.append(str(exc))
            return None

    def preload(self) -> list[str]:
        """Load what ACCENT_COACH_PRELOAD names (1 = the selected recognizer), each as the
        kind its name means (:func:`registry.kind_of`); failures become warnings."""
        wanted = [(name, kind_of(name)) for name in self.settings.preload_models] or (
            [(self.selected_name, "recognizer")] if self.settings.preload else [])
        done = []
        for name, kind in wanted:
            try:
                done.append(self.load(name, kind).name)
            except ModelLoadError as exc:
                self.warnings.append(f"Preloading '{name}' failed: {exc}")
        return done

    # --- unloading -------------------------------------------------------------------

    def unload(
        self, name: str | None = None, reason: str = "request", kind: ModelKind | None = None
    ) -> bool:
        """Drop a model from memory; the selection is kept. ``name`` None: the current
        recognizer and transcriber. ``kind`` None: whichever loaded model has that name.

        A model in use by a ``lease`` is unloaded when its last user finishes; returns
        False in that case (and when ``name`` is not loaded), True when freed now.
        """
        with self.pool.lock:
            if name is None:
                self._unloaded = True
                transcriber = self._current.get("transcriber")
                if transcriber is not None:
                    self.pool.unload(transcriber, reason)
                key = self._current.get("recognizer")
            else:
                key = self._find(name, kind)
            return key is not None and self.pool.unload(key, reason)

    def _find(self, name: str, kind: ModelKind | None) -> CacheKey | None:
        kinds = [kind] if kind else ["transcriber", "recognizer", "scorer"]
        handles = self.pool.handles()
        for wanted_kind in kinds:
            try:
                wanted = resolve(name, wanted_kind).name
            except ModelLoadError:
                wanted = name
            for handle in handles:
                if handle.kind == wanted_kind and handle.name in (name, wanted):
                    return handle.key
        return None

    def unload_transcriber(self) -> None:
        """Unload the current transcriber (deferred while a transcription uses it)."""
        key = self._current.get("transcriber")
        if key is not None:
            self.pool.unload(key)

    def unload_all(self) -> None:
        """Unload every idle model of every kind (busy ones follow when their users finish)."""
        for key in self.pool.keys():
            self.pool.unload(key)

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload every model unused for its kind's idle time; returns their names."""
        return self.pool.unload_idle(now)

    def close(self) -> None:
        """Stop the idle-unload thread and free every model."""
        self.pool.close()

    # --- the old views, by kind ----------------------------------------------------------

    @property
    def current(self) -> LoadedModel | None:
        """The phone recognizer in use, or None before the first load / after unload."""
        return self.current_of("recognizer")

    @property
    def transcriber(self) -> LoadedTranscriber | None:
        """The speech-to-text model in use, or None before its first load / after unload."""
        return self.current_of("transcriber")

    @property
    def selected_name(self) -> str:
        return self.selected("recognizer")

    @property
    def selected_transcriber(self) -> str:
        return self.selected("transcriber")

    def transcriber_loaded(self, name: str | None = None) -> bool:
        return self.is_loaded(name, "transcriber")

    @property
    def last_error(self) -> tuple[str, str] | None:
        return self._errors.get("recognizer")

    @property
    def transcriber_error(self) -> tuple[str, str] | None:
        return self._errors.get("transcriber")

    @property
    def events(self) -> list[LoadEvent]:
        """Real loads of recognizers and scorers (transcribers: :attr:`transcriber_events`)."""
        return [e for e in self.pool.events if e.kind != "transcriber"]

    @property
    def transcriber_events(self) -> list[LoadEvent]:
        return [e for e in self.pool.events if e.kind == "transcriber"]

    @property
    def memory_events(self) -> list:
        return self.pool.memory_events

    # --- status ----------------------------------------------------------------------

    def loaded_models(self) -> list[dict[str, Any]]:
        return model_status.loaded_models(self)

    def catalog(self) -> list[dict[str, Any]]:
        return model_status.catalog(self)

    def status(self) -> dict[str, Any]:
        return model_status.status(self)


ASRModelManager = ModelManager  # the old name, for code written before the kinds were one

_manager: ModelManager | None = None
_manager_lock = threading.Lock()


def get_manager() -> ModelManager:
    """The process-wide manager shared by pages, CLI and API."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = ModelManager()
        return _manager


def reset_manager() -> None:
    """Forget the process-wide manager (tests, or after changing settings)."""
    global _manager
    with _manager_lock:
        if _manager is not None:
            _manager.close()
        _manager = None


__all__ = ["ASRModelManager", "LoadHook", "ModelManager", "get_manager",
           "reset_manager"]
