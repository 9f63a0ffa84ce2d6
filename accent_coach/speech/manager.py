"""Loads the speech recognizer once per process and keeps it.

Why this module exists: Streamlit re-executes page scripts on every interaction
and serves each browser session from its own thread. Anything that must happen
once — ``from_pretrained``, ``.to(device)``, the spinner and toast announcing a
load — therefore cannot live in a page script or in ``st.session_state``. It
lives here, in a process-wide :class:`ASRModelManager` (see :func:`get_manager`)
whose :class:`ModelCache` is keyed by ``(model, device, dtype)`` and guarded by
a lock. The app wraps :func:`get_manager` in ``st.cache_resource``; the CLI and
API call it directly and share the same cache.

UI side effects are the caller's: ``load_model(name, on_load=...)`` enters the
``on_load`` context only on the code path that really loads.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accent_coach.config import DEFAULT_MODEL, Settings, get_settings
from accent_coach.speech.registry import (
    EMBEDDED_REQUIRED_FILES,
    ModelLoadError,
    ModelSpec,
    OutputKind,
    Source,
    detect_output_kind,
    embedded_installed,
    hub_cached,
    hub_reachable,
    offline_message,
    resolve_model,
    resolve_transcriber,
)
from accent_coach.speech.transcriber import LoadedTranscriber, load_transcriber

log = logging.getLogger(__name__)

LoadHook = Callable[[ModelSpec], contextlib.AbstractContextManager[Any]]

@dataclass
class LoadedModel:
    """A recognizer ready for inference: eval mode, on ``device``, in ``dtype``."""

    name: str
    source: Source
    path_or_id: str
    processor: Any
    model: Any
    device: str
    dtype: Any  # torch.dtype
    output_kind: OutputKind
    vocab: list[str]  # CTC output index -> token
    blank_id: int  # CTC blank = tokenizer pad id
    load_seconds: float
    notes: list[str] = field(default_factory=list)  # e.g. a CPU fallback

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def memory_bytes(self) -> int:
        """Bytes held by weights and buffers."""
        tensors = [*self.model.parameters(), *self.model.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)


@dataclass(frozen=True)
class LoadEvent:
    """One real load, recorded so status pages and tests can see what happened."""

    name: str
    device: str
    seconds: float
    at: float


# --- device ---------------------------------------------------------------------


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def choose_device(requested: str = "auto") -> tuple[str, str | None]:
    """CUDA, then MPS, then CPU; ``requested`` overrides. Returns (device, note)."""
    import torch

    req = (requested or "auto").strip().lower()
    cuda_ok = torch.cuda.is_available()
    if req == "auto":
        return ("cuda" if cuda_ok else "mps" if _mps_available() else "cpu"), None
    if req == "cpu":
        return "cpu", None
    match = re.fullmatch(r"cuda(?::(\d+))?", req)
    if match:
        index = int(match.group(1) or 0)
        if not cuda_ok or index >= torch.cuda.device_count():
            note = f"ACCENT_COACH_DEVICE={requested} but that CUDA GPU is not available; using CPU."
            return "cpu", note
        return req, None
    if req == "mps":
        if not _mps_available():
            return "cpu", f"ACCENT_COACH_DEVICE={requested} but MPS is not available; using CPU."
        return "mps", None
    raise ModelLoadError(
        f"ACCENT_COACH_DEVICE={requested!r} is not one of auto, cpu, cuda, cuda:N, mps."
    )


def _is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


# --- loading --------------------------------------------------------------------


def _register_custom_architectures() -> None:
    """Import our own architectures so the Auto* classes know them (no remote code)."""
    try:
        import accent_coach.speech.whisper_ctc  # noqa: F401
    except ImportError as exc:
        if exc.name != "accent_coach.speech.whisper_ctc":
            log.warning("accent_coach.speech.whisper_ctc failed to import: %s", exc)


def _torch_dtype(name: str) -> Any:
    import torch

    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]


def _check_local_folder(spec: ModelSpec) -> None:
    folder = Path(spec.path_or_id)
    if spec.source == "embedded":
        if not embedded_installed():
            raise ModelLoadError(
                "No trained model is installed: the embedded model folder "
                f"({folder}) has no {' / '.join(EMBEDDED_REQUIRED_FILES)} yet. "
                "Choose a Hugging Face or local model in Settings."
            )
    elif not (folder / "config.json").is_file():
        raise ModelLoadError(f"Folder '{folder}' has no config.json, so it is not a model.")


def _load_kwargs(spec: ModelSpec) -> dict[str, Any]:
    """from_pretrained options: cache-only unless the model must be downloaded now."""
    if spec.source != "hub" or hub_cached(spec.path_or_id):
        return {"local_files_only": True}
    if not hub_reachable():
        raise ModelLoadError(offline_message(spec.path_or_id))
    return {}


def _vocabulary(processor: Any, model: Any, name: str) -> tuple[list[str], int]:
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:
        raise ModelLoadError(f"Model '{name}' has no tokenizer, so its outputs can't be read.")
    size = getattr(model.config, "vocab_size", None) or len(tokenizer)
    vocab = [tokenizer.convert_ids_to_tokens(i) or "" for i in range(size)]
    blank = tokenizer.pad_token_id
    if blank is None or not 0 <= blank < size:
        raise ModelLoadError(f"Model '{name}' has no usable CTC blank (pad) token.")
    return vocab, blank


def prepare_load(spec: ModelSpec) -> dict[str, Any]:
    """Cheap checks before a load (files present, hub reachable); from_pretrained options."""
    if spec.source != "hub":
        _check_local_folder(spec)
    return _load_kwargs(spec)


def load_checkpoint(
    spec: ModelSpec, device: str, dtype: str = "float32", kwargs: dict[str, Any] | None = None
) -> LoadedModel:
    """Load ``spec`` from scratch: one ``from_pretrained``, one ``.to(device)``. Uncached."""
    import torch
    import transformers

    _register_custom_architectures()
    if kwargs is None:
        kwargs = prepare_load(spec)
    start = time.perf_counter()
    try:
        processor = transformers.AutoProcessor.from_pretrained(
            spec.path_or_id, trust_remote_code=False, **kwargs
        )
        model = transformers.AutoModelForCTC.from_pretrained(
            spec.path_or_id, trust_remote_code=False, **kwargs
        )
    except OSError as exc:
        if spec.source == "hub" and kwargs.get("local_files_only") and not hub_reachable():
            raise ModelLoadError(offline_message(spec.path_or_id)) from exc
        raise ModelLoadError(f"Could not read model '{spec.name}': {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"'{spec.name}' is not a CTC speech recognizer this app can load: {exc}"
        ) from exc
    vocab, blank_id = _vocabulary(processor, model, spec.name)
    output_kind = detect_output_kind(vocab)
    notes: list[str] = []
    torch_dtype = _torch_dtype(dtype)
    model.eval()
    try:
        model.to(device=device, dtype=torch_dtype)
    except (RuntimeError, torch.OutOfMemoryError) as exc:
        if device == "cpu" or not _is_out_of_memory(exc):
            raise ModelLoadError(f"Could not move '{spec.name}' to {device}: {exc}") from exc
        model.to(device="cpu", dtype=torch_dtype)
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        notes.append(f"Not enough memory on {device} for '{spec.name}'; running on CPU instead.")
        device = "cpu"
    return LoadedModel(
        name=spec.name, source=spec.source, path_or_id=spec.path_or_id, processor=processor,
        model=model, device=device, dtype=torch_dtype, output_kind=output_kind, vocab=vocab,
        blank_id=blank_id, load_seconds=time.perf_counter() - start, notes=notes,
    )


CacheKey = tuple[str, str, str]


class ModelCache:
    """Thread-safe, process-wide store of loaded models keyed by (model, device, dtype)."""

    def __init__(self, max_entries: int = 1) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, LoadedModel] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: CacheKey) -> LoadedModel | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: CacheKey, loaded: LoadedModel) -> None:
        with self._lock:
            self._entries[key] = loaded
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def pop(self, key: CacheKey) -> LoadedModel | None:
        with self._lock:
            return self._entries.pop(key, None)

    def keys(self) -> list[CacheKey]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _process_rss_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class ASRModelManager:
    """The one place that decides whether a model must be loaded. Thread-safe."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.warnings: list[str] = []  # bad settings replaced by safe defaults, said plainly
        if settings is None:
            try:
                settings = get_settings()
            except ValueError as exc:
                self.warnings.append(f"{exc} Using the defaults instead.")
                settings = Settings(model=os.environ.get("ACCENT_COACH_MODEL", "").strip()
                                    or DEFAULT_MODEL)
        self.settings = settings
        try:
            self.device, note = choose_device(settings.device)
        except ModelLoadError as exc:
            self.device, note = "cpu", f"{exc} Using CPU."
        if note:
            self.warnings.append(note)
        self.dtype = self.settings.dtype
        self.cache = ModelCache(self.settings.max_loaded_models)
        self.events: list[LoadEvent] = []
        self._current: LoadedModel | None = None
        self._selected: str | None = None
        self.last_error: tuple[str, str] | None = None  # (requested name, message)
        self.unloaded = False  # True after unload() until the next load: don't preload
        self._lock = threading.RLock()
        # Transcribers (kind "transcriber"): one current model, same lock, events, unload.
        self._transcriber: LoadedTranscriber | None = None
        self._transcriber_selected: str | None = None
        self.transcriber_events: list[LoadEvent] = []
        self.transcriber_error: tuple[str, str] | None = None

    @property
    def current(self) -> LoadedModel | None:
        """The model in use, or None before the first load / after ``unload``."""
        return self._current

    @property
    def selected_name(self) -> str:
        """What ``load_model(None)`` loads: the last model chosen, else the configured one."""
        return self._selected or self.settings.model

    def _key(self, spec: ModelSpec) -> CacheKey:
        return (spec.path_or_id, self.device, self.dtype)

    def is_loaded(self, name: str | None = None) -> bool:
        """Whether ``load_model(name)`` would return at once, without loading."""
        return self._matches(self._current, name)

    def _matches(self, current: LoadedModel | None, name: str | None) -> bool:
        if current is None:
            return False
        name = name or self.selected_name
        if name == current.name:
            return True
        try:
            return resolve_model(name).name == current.name
        except ModelLoadError:
            return False

    def load_model(self, name: str | None = None, on_load: LoadHook | None = None) -> LoadedModel:
        """Return the model ``name`` (None = the selected one), loading it only if needed.

        Same name as the current model → immediate return. Otherwise the model
        is taken from the process cache or loaded once; ``on_load(spec)`` is
        entered only around a real load (and ``current`` is already the new
        model when its block exits). On failure the previous model stays current.
        """
        current = self._current  # fast path without the lock: a load elsewhere never blocks it
        if self._matches(current, name):
            assert current is not None
            return current
        with self._lock:
            if self.is_loaded(name):  # another thread may have loaded it meanwhile
                assert self._current is not None
                return self._current
            requested = name or self.selected_name
            try:
                loaded = self._get_or_load(resolve_model(requested), on_load)
            except ModelLoadError as exc:
                self.last_error = (requested, str(exc))
                raise
            self.last_error = None
            self.unloaded = False
            self._current = loaded
            self._selected = loaded.name
            return loaded

    def _get_or_load(self, spec: ModelSpec, on_load: LoadHook | None) -> LoadedModel:
        key = self._key(spec)
        loaded = self.cache.get(key)
        if loaded is not None:
            return loaded
        kwargs = prepare_load(spec)  # fails fast, before any spinner
        with on_load(spec) if on_load else contextlib.nullcontext():
            loaded = load_checkpoint(spec, self.device, self.dtype, kwargs)
            self.cache.put(key, loaded)
            self._current = loaded
            event = LoadEvent(spec.name, loaded.device, loaded.load_seconds, time.time())
            self.events.append(event)
        return loaded

    def failed(self, name: str | None = None) -> str | None:
        """The error message of the last attempt at ``name`` if that attempt failed."""
        if self.last_error and self.last_error[0] == (name or self.selected_name):
            return self.last_error[1]
        return None

    def unload(self) -> None:
        """Drop the current models (both kinds); the selections are kept for the next load."""
        with self._lock:
            self._transcriber = None
            if self._current is not None:
                for key in self.cache.keys():
                    if self.cache.get(key) is self._current:
                        self.cache.pop(key)
            self._current = None
            self.unloaded = True
            _free_memory()

    # --- transcribers ---------------------------------------------------------------

    @property
    def transcriber(self) -> LoadedTranscriber | None:
        """The speech-to-text model in use, or None before its first load / after unload."""
        return self._transcriber

    @property
    def selected_transcriber(self) -> str:
        return self._transcriber_selected or self.settings.transcriber

    def transcriber_loaded(self, name: str | None = None) -> bool:
        current = self._transcriber
        if current is None:
            return False
        name = name or self.selected_transcriber
        if name == current.name:
            return True
        try:
            return resolve_transcriber(name).name == current.name
        except ModelLoadError:
            return False

    def load_transcriber(
        self, name: str | None = None, on_load: LoadHook | None = None
    ) -> LoadedTranscriber:
        """Like :meth:`load_model` for speech-to-text: at once if current, else loaded once."""
        current = self._transcriber
        if current is not None and self.transcriber_loaded(name):
            return current
        with self._lock:
            if self.transcriber_loaded(name):
                assert self._transcriber is not None
                return self._transcriber
            requested = name or self.selected_transcriber
            try:
                spec = resolve_transcriber(requested)
                with on_load(spec) if on_load else contextlib.nullcontext():
                    loaded = load_transcriber(spec, self.device)
                    previous, self._transcriber = self._transcriber, loaded
                    self.transcriber_events.append(
                        LoadEvent(spec.name, loaded.device, loaded.load_seconds, time.time())
                    )
            except ModelLoadError as exc:
                self.transcriber_error = (requested, str(exc))
                raise
            self.transcriber_error = None
            self._transcriber_selected = loaded.name
            del previous
            _free_memory()
            return loaded

    def unload_transcriber(self) -> None:
        with self._lock:
            self._transcriber = None
            _free_memory()

    def status(self) -> dict[str, Any]:
        """What is loaded where, and how much memory it takes."""
        import torch

        with self._lock:
            current = self._current
            info: dict[str, Any] = {
                "selected": self.selected_name,
                "device": self.device,
                "warnings": list(self.warnings),
                "dtype": self.dtype,
                "embedded_installed": embedded_installed(),
                "loads": len(self.events),
                "cached": [key[0] for key in self.cache.keys()],
                "process_rss_bytes": _process_rss_bytes(),
                "current": None,
            }
            if current is not None:
                info["current"] = {
                    "name": current.name,
                    "kind": "recognizer",
                    "source": current.source,
                    "path_or_id": current.path_or_id,
                    "device": current.device,
                    "dtype": str(current.dtype).removeprefix("torch."),
                    "output_kind": current.output_kind,
                    "vocab_size": len(current.vocab),
                    "parameters": current.parameters,
                    "memory_bytes": current.memory_bytes,
                    "load_seconds": round(current.load_seconds, 3),
                    "notes": list(current.notes),
                }
            info["transcriber_selected"] = self.selected_transcriber
            info["transcriber_loads"] = len(self.transcriber_events)
            info["transcriber"] = None
            if self._transcriber is not None:
                t = self._transcriber
                info["transcriber"] = {
                    "name": t.name, "kind": t.kind, "source": t.source,
                    "path_or_id": t.path_or_id, "device": t.device,
                    "compute_type": t.compute_type, "memory_bytes": t.memory_bytes,
                    "load_seconds": round(t.load_seconds, 3), "notes": list(t.notes),
                }
            if self.device.startswith("cuda") and torch.cuda.is_available():
                info["cuda_allocated_bytes"] = torch.cuda.memory_allocated()
            return info


_manager: ASRModelManager | None = None
_manager_lock = threading.Lock()


def get_manager() -> ASRModelManager:
    """The process-wide manager shared by pages, CLI and API."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = ASRModelManager()
        return _manager


def reset_manager() -> None:
    """Forget the process-wide manager (tests, or after changing settings)."""
    global _manager
    with _manager_lock:
        if _manager is not None:
            _manager.unload()
        _manager = None


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars during loads (CLI and benchmarks)."""
    import transformers

    previous = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers.logging.set_verbosity(previous)
        transformers.logging.enable_progress_bar()
