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
import ctypes
import functools
import gc
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from accent_coach.config import DEFAULT_MODEL, Settings, get_settings
from accent_coach.runtime import release_memory
from accent_coach.speech.quantization import is_quantized, quantize_int8, weight_tensors
from accent_coach.speech.registry import (
    EMBEDDED_REQUIRED_FILES,
    EXPERT_SCORER,
    SCORERS,
    TRANSCRIBERS,
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
from accent_coach.speech.scorer import LoadedScorer, ScorerConfig, file_sha256, load_scorer
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
    dtype: Any  # torch.dtype of the inputs and float weights
    output_kind: OutputKind
    vocab: list[str]  # CTC output index -> token
    blank_id: int  # CTC blank = tokenizer pad id
    load_seconds: float
    notes: list[str] = field(default_factory=list)  # e.g. a CPU fallback
    kind: str = "recognizer"  # model kind: idle-unload times and status are per kind

    @property
    def quantized(self) -> bool:
        """Linear layers in dynamic int8 (CPU)."""
        return is_quantized(self.model)

    @property
    def parameters(self) -> int:
        buffers = sum(b.numel() for b in self.model.buffers())
        return sum(t.numel() for t in weight_tensors(self.model)) - buffers

    @property
    def memory_bytes(self) -> int:
        """Bytes held by weights and buffers (int8 weights at one byte each)."""
        return sum(t.numel() * t.element_size() for t in weight_tensors(self.model))

    @property
    def weights_dtype(self) -> str:
        """What the status shows: ``int8`` for a quantized model, else the float dtype."""
        return "int8" if self.quantized else str(self.dtype).removeprefix("torch.")


@dataclass(frozen=True)
class LoadEvent:
    """One real load, recorded so status pages and tests can see what happened."""

    name: str
    device: str
    seconds: float
    at: float


@dataclass(frozen=True)
class MemoryEvent:
    """Process memory around one load or unload: proof that unloading frees memory."""

    action: str  # "load" | "unload"
    name: str
    reason: str  # "request", "idle", "lru", "preload"
    rss_before: int | None
    rss_after: int | None
    cuda_before: int | None
    cuda_after: int | None
    at: float


@dataclass
class Usage:
    """Lifecycle bookkeeping of one cached model: who uses it, since when."""

    kind: str
    loaded_at: float
    last_used: float
    refs: int = 0
    pending_unload: bool = False
    rss_delta: int | None = None  # process RSS growth caused by the load
    cuda_delta: int | None = None


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


def gpu_pressure_note(device: str, min_free_mb: int) -> str | None:
    """Why a load on ``device`` should go to the CPU instead (too little free GPU memory)."""
    if min_free_mb <= 0 or not device.startswith("cuda"):
        return None
    import torch

    try:
        free, _total = torch.cuda.mem_get_info(torch.device(device))
    except (RuntimeError, AssertionError) as exc:
        return f"Could not read free memory on {device} ({exc}); loading on CPU."
    if free < min_free_mb * 2**20:
        return (
            f"{device} has {free / 2**20:,.0f} MiB free, below ACCENT_COACH_GPU_MIN_FREE_MB="
            f"{min_free_mb}; loaded on CPU instead."
        )
    return None


def cuda_allocated() -> int | None:
    """Bytes PyTorch holds on the GPU, or None without CUDA."""
    import torch

    return int(torch.cuda.memory_allocated()) if torch.cuda.is_available() else None


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


def weights_plan(dtype: str, device: str, source: str) -> tuple[str, bool]:
    """(float dtype of the weights, whether linear layers go to dynamic int8).

    ``auto`` quantizes the embedded model on CPU only: that is where it was measured
    (no loss of dev PER, about 2× faster; see its model card). ``int8`` asks for it on any
    model; int8 kernels are CPU-only, so on a GPU the weights stay float32.
    """
    if dtype == "auto":
        return "float32", device == "cpu" and source == "embedded"
    if dtype == "int8":
        return "float32", device == "cpu"
    return dtype, False


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


_LIGHT = {"embedded": False}  # see prefer_light_loading


def prefer_light_loading(on: bool = True) -> None:
    """Build the embedded model without transformers from now on in this process.

    A one-shot ``accent-coach assess`` spends most of its time importing transformers
    (its lazy module tables and ``modeling_utils``: ~3 s of CPU) to load a network that
    is plain torch (:mod:`accent_coach.speech.whisper_ctc_net`). The CLI turns this on;
    the app, the API and training keep the Auto classes (long-lived processes, where the
    import is paid once, and where tests count ``from_pretrained`` calls).
    """
    _LIGHT["embedded"] = on


def _load_light(spec: ModelSpec, device: str, dtype: str) -> LoadedModel:
    """The embedded model through :func:`whisper_ctc_net.load_light`: same weights,
    features and vocabulary as ``from_pretrained``, without importing transformers (CPU
    only: no out-of-memory fallback to handle)."""
    from accent_coach.speech.whisper_ctc_net import load_light

    start = time.perf_counter()
    try:
        model, processor = load_light(spec.path_or_id)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"Could not read model '{spec.name}': {exc}") from exc
    vocab, blank_id = processor.tokens, processor.pad_token_id
    if not 0 <= blank_id < len(vocab):
        raise ModelLoadError(f"Model '{spec.name}' has no usable CTC blank (pad) token.")
    float_dtype, int8 = weights_plan(dtype, device, spec.source)
    torch_dtype = _torch_dtype(float_dtype)
    model.to(device=device, dtype=torch_dtype)
    if int8:
        model = quantize_int8(model)
    return LoadedModel(
        name=spec.name, source=spec.source, path_or_id=spec.path_or_id, processor=processor,
        model=model, device=device, dtype=torch_dtype, output_kind=detect_output_kind(vocab),
        vocab=vocab, blank_id=blank_id, load_seconds=time.perf_counter() - start,
    )


def load_checkpoint(
    spec: ModelSpec, device: str, dtype: str = "float32", kwargs: dict[str, Any] | None = None
) -> LoadedModel:
    """Load ``spec`` from scratch: one ``from_pretrained``, one ``.to(device)``. Uncached.
    The embedded model is built without transformers after :func:`prefer_light_loading`."""
    if kwargs is None:
        kwargs = prepare_load(spec)
    if _LIGHT["embedded"] and spec.source == "embedded" and device == "cpu":
        from accent_coach.speech.whisper_ctc_net import is_light_loadable

        if is_light_loadable(spec.path_or_id):
            return _load_light(spec, device, dtype)
    import torch
    import transformers

    _register_custom_architectures()
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
    float_dtype, _ = weights_plan(dtype, device, spec.source)
    torch_dtype = _torch_dtype(float_dtype)
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
    if weights_plan(dtype, device, spec.source)[1]:
        model = quantize_int8(model)
    elif dtype == "int8":
        notes.append(f"int8 runs on CPU only; '{spec.name}' runs in float32 on {device}.")
    return LoadedModel(
        name=spec.name, source=spec.source, path_or_id=spec.path_or_id, processor=processor,
        model=model, device=device, dtype=torch_dtype, output_kind=output_kind, vocab=vocab,
        blank_id=blank_id, load_seconds=time.perf_counter() - start, notes=notes,
    )


CacheKey = tuple[str, str, str]


class ModelCache:
    """Thread-safe, process-wide store of loaded models keyed by (model, device, dtype)."""

    def __init__(
        self, max_entries: int = 1, busy: Callable[[CacheKey], bool] | None = None
    ) -> None:
        self.max_entries = max_entries
        self.busy = busy or (lambda key: False)  # models in use are never evicted
        self._entries: OrderedDict[CacheKey, LoadedModel] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: CacheKey) -> LoadedModel | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: CacheKey, loaded: LoadedModel) -> list[CacheKey]:
        """Store ``loaded``; evict least recently used idle models beyond the limit."""
        with self._lock:
            self._entries[key] = loaded
            self._entries.move_to_end(key)
            return self.trim(keep=key)

    def trim(self, keep: CacheKey | None = None) -> list[CacheKey]:
        """Evict idle models, oldest first, until at most ``max_entries`` of each kind
        remain (a recognizer never pushes out the scorer that reads it, or vice versa)."""
        evicted: list[CacheKey] = []
        with self._lock:
            kinds = {k: getattr(v, "kind", "recognizer") for k, v in self._entries.items()}
            for old in list(self._entries):
                same = [k for k in self._entries if kinds[k] == kinds[old]]
                if len(same) <= self.max_entries:
                    continue
                if old != keep and not self.busy(old):
                    del self._entries[old]
                    evicted.append(old)
        return evicted

    def peek(self, key: CacheKey) -> LoadedModel | None:
        """The entry without marking it used (status pages must not change the LRU order)."""
        with self._lock:
            return self._entries.get(key)

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
    """Collect, give freed heap pages back to the OS (glibc), empty the CUDA cache."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    release_memory()


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
LARGE_ALLOCATION = 512 << 10


@functools.cache
def return_large_allocations_to_os() -> bool:
    """Serve allocations ≥ 512 KiB (weight matrices) from mmap, so freeing them shrinks RSS.

    glibc raises its mmap threshold after the first large free, so later weights land on
    the heap and an unload returned only 12–36 of the embedded model's 44 MB; with a fixed
    threshold each unload returns all of it (measured in benchmarks/api.py). Linux only.
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, LARGE_ALLOCATION))
    except (OSError, AttributeError):
        return False


def _proc_status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def process_rss_bytes() -> int | None:
    """Resident memory of this process (Linux; None elsewhere)."""
    return _proc_status("VmRSS")


def process_anon_bytes() -> int | None:
    """Resident anonymous memory (heap, tensors): RSS without mapped files and libraries,
    so page-cache noise does not hide what a load or unload did."""
    return _proc_status("RssAnon")


def load_scorer_spec(
    spec: ModelSpec, device: str, dtype: str = "float32", kwargs: dict[str, Any] | None = None
) -> LoadedScorer:
    """A learned scorer folder (safetensors + config.json); tiny, so always on the CPU."""
    try:
        return load_scorer(Path(spec.path_or_id), name=spec.name)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"Could not read scorer '{spec.name}': {exc}") from exc


LOADERS: dict[str, Callable[..., Any]] = {  # kind -> loader
    "recognizer": load_checkpoint, "scorer": load_scorer_spec,
}


@functools.cache
def _scorer_recognizer(folder: str) -> str:
    """The checksum of the recognizer a scorer folder was trained on ("" if none)."""
    try:
        return ScorerConfig.read(Path(folder)).recognizer_sha256
    except (OSError, ValueError, TypeError):
        return ""


@functools.cache
def _weights_sha256(folder: str) -> str:
    """Checksum of a recognizer folder's weights (once per folder and process)."""
    path = Path(folder) / "model.safetensors" if folder else None
    return file_sha256(path) if path is not None and path.is_file() else ""


def spec_kind(spec: ModelSpec) -> str:
    """The model kind of a registry entry (recognizers unless the spec says otherwise)."""
    return str(getattr(spec, "kind", None) or "recognizer")


class ASRModelManager:
    """The one place that decides whether a model must be loaded. Thread-safe.

    Lifecycle, for every model kind: optional preload, lazy load on first use, explicit
    load/unload, idle unload per kind, at most ``max_loaded_models`` kept (LRU), and
    ``lease()`` reference counts so an unload waits for the analyses using the model.
    """

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
        return_large_allocations_to_os()
        self._usage: dict[CacheKey, Usage] = {}
        self._usage_lock = threading.Lock()  # guards ref counts; never held during a load
        self.cache = ModelCache(self.settings.max_loaded_models, busy=self._busy)
        self.events: list[LoadEvent] = []
        self.memory_events: list[MemoryEvent] = []
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
        self._transcriber_used = 0.0
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        if any(seconds > 0 for _, seconds in settings.idle_unload):
            self._start_reaper()

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

    def _key_of(self, loaded: LoadedModel) -> CacheKey | None:
        for key in self.cache.keys():
            if self.cache.peek(key) is loaded:
                return key
        return None

    def _busy(self, key: CacheKey) -> bool:
        usage = self._usage.get(key)
        return usage is not None and usage.refs > 0

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
            self._touch(current)
            return current
        with self._lock:
            if self.is_loaded(name):  # another thread may have loaded it meanwhile
                assert self._current is not None
                return self._current
            requested = name or self.selected_name
            try:
                spec = resolve_model(requested)
                if spec_kind(spec) != "recognizer":  # a scorer never becomes the recognizer
                    loaded = self._get_or_load(spec, on_load)
                    self._touch(loaded)
                    return loaded
                loaded = self._get_or_load(spec, on_load)
            except ModelLoadError as exc:
                self.last_error = (requested, str(exc))
                raise
            self.last_error = None
            self.unloaded = False
            self._current = loaded
            self._selected = loaded.name
            self._touch(loaded)
            return loaded

    def _touch(self, loaded: LoadedModel) -> None:
        key = self._key_of(loaded)
        usage = self._usage.get(key) if key else None
        if usage is not None:
            usage.last_used = time.time()

    def _get_or_load(self, spec: ModelSpec, on_load: LoadHook | None) -> LoadedModel:
        key = self._key(spec)
        loaded = self.cache.get(key)
        if loaded is not None:
            return loaded
        kwargs = prepare_load(spec)  # fails fast, before any spinner
        kind = spec_kind(spec)
        pressure = gpu_pressure_note(self.device, self.settings.gpu_min_free_mb)
        device = "cpu" if pressure else self.device
        with on_load(spec) if on_load else contextlib.nullcontext():
            rss0, cuda0 = process_rss_bytes(), cuda_allocated()
            loaded = LOADERS[kind](spec, device, self.dtype, kwargs)
            loaded.kind = kind
            if pressure:
                loaded.notes.append(pressure)
            rss1, cuda1 = process_rss_bytes(), cuda_allocated()
            now = time.time()
            with self._usage_lock:
                self._usage[key] = Usage(
                    kind, now, now,
                    rss_delta=None if rss0 is None or rss1 is None else rss1 - rss0,
                    cuda_delta=None if cuda0 is None or cuda1 is None else cuda1 - cuda0,
                )
            evicted = self.cache.put(key, loaded)
            if kind == "recognizer":  # other kinds never replace the recognizer in use
                self._current = loaded
            self.events.append(LoadEvent(spec.name, loaded.device, loaded.load_seconds, now))
            self.memory_events.append(
                MemoryEvent("load", spec.name, "request", rss0, rss1, cuda0, cuda1, now)
            )
        for old in evicted:
            self._forget_evicted(old)
        return loaded

    def acquire(self, name: str | None = None, on_load: LoadHook | None = None) -> LoadedModel:
        """Model ``name`` of any kind, loaded if needed; a recognizer also becomes current."""
        try:
            spec = resolve_model(name or self.selected_name)
        except ModelLoadError:
            spec = None  # load_model raises it and records it as the last error
        if spec is None or spec_kind(spec) == "recognizer":
            return self.load_model(name, on_load)
        with self._lock:
            loaded = self._get_or_load(spec, on_load)
            self._touch(loaded)
            return loaded

    @contextlib.contextmanager
    def lease(self, name: str | None = None, on_load: LoadHook | None = None) -> Iterator[
        LoadedModel
    ]:
        """Use model ``name`` for one analysis: it is not unloaded until the block ends."""
        while True:
            loaded = self.acquire(name, on_load)
            with self._usage_lock:
                key = self._key_of(loaded)
                if key is not None and key in self._usage:  # not dropped in between
                    usage = self._usage[key]
                    usage.refs += 1
                    break
        try:
            yield loaded
        finally:
            with self._usage_lock:
                usage.refs -= 1
                usage.last_used = time.time()
                due = usage.refs == 0 and usage.pending_unload
            if due:
                self._forget(key, loaded, "request")
            for old in self.cache.trim(keep=self._key_of(self._current) if self._current else None):
                self._forget_evicted(old)

    def scorer_for(
        self, recognizer: Any, on_load: LoadHook | None = None
    ) -> LoadedScorer | None:
        """The learned scorer trained on ``recognizer``'s outputs, loaded once (like every
        model: cached, leased, unloadable; ``on_load`` as in :meth:`load_model`); None
        when there is none for it, or it cannot be read — the engine then scores with its
        hand-set rules."""
        spec = SCORERS[EXPERT_SCORER]
        wanted = _scorer_recognizer(spec.path_or_id)
        if not wanted or _weights_sha256(getattr(recognizer, "path_or_id", "")) != wanted:
            return None
        try:
            return self.acquire(EXPERT_SCORER, on_load)
        except ModelLoadError as exc:
            if str(exc) not in self.warnings:
                self.warnings.append(str(exc))
            return None

    def failed(self, name: str | None = None) -> str | None:
        """The error message of the last attempt at ``name`` if that attempt failed."""
        if self.last_error and self.last_error[0] == (name or self.selected_name):
            return self.last_error[1]
        return None

    def unload(self, name: str | None = None, reason: str = "request") -> bool:
        """Drop a model (default: the current one) from memory; the selection is kept.

        A model in use by a ``lease`` is unloaded when its last user finishes; returns
        False in that case (and when ``name`` is not loaded), True when freed now.
        """
        with self._lock:
            if name is None:  # "unload" frees both kinds (the tutor's transcriber too)
                self.unload_transcriber()
                target = self._current
                self.unloaded = True
            elif self._transcriber is not None and self.transcriber_loaded(name):
                self.unload_transcriber()
                return True
            else:
                target = self._find(name)
            if target is None:
                return False
            key = self._key_of(target)
            if key is None:
                return False
            with self._usage_lock:
                usage = self._usage.get(key)
                if usage is not None and usage.refs > 0:
                    usage.pending_unload = True
                    return False
            del target
            return self._forget(key, None, reason)

    def unload_all(self) -> None:
        """Unload every idle model (busy ones follow when their users finish)."""
        for key in self.cache.keys():
            loaded = self.cache.peek(key)
            if loaded is not None:
                name = loaded.name
                del loaded
                self.unload(name)

    def _find(self, name: str) -> LoadedModel | None:
        try:
            wanted = resolve_model(name).name
        except ModelLoadError:
            wanted = name
        for key in self.cache.keys():
            loaded = self.cache.peek(key)
            if loaded is not None and loaded.name in (name, wanted):
                return loaded
        return None

    def _forget_evicted(self, key: CacheKey) -> None:
        """Free a model the LRU already took out of the cache."""
        with self._usage_lock:
            self._usage.pop(key, None)
        _free_memory()
        now = time.time()
        self.memory_events.append(MemoryEvent(
            "unload", key[0], "lru", None, process_rss_bytes(), None, cuda_allocated(), now
        ))

    def _forget(self, key: CacheKey, loaded: LoadedModel | None, reason: str) -> bool:
        """Remove ``key`` from the cache and the books, free its memory, log RSS around it."""
        with self._lock:
            rss0, cuda0 = process_rss_bytes(), cuda_allocated()
            popped = self.cache.pop(key)
            with self._usage_lock:
                self._usage.pop(key, None)
            if popped is None:
                return False
            name = popped.name
            if self._current is popped:
                self._current = None
                self.unloaded = True
            del popped, loaded
            _free_memory()
            self.memory_events.append(MemoryEvent(
                "unload", name, reason, rss0, process_rss_bytes(), cuda0, cuda_allocated(),
                time.time(),
            ))
            return True

    # --- idle unload and preload ---------------------------------------------------

    def _start_reaper(self) -> None:
        ttls = [seconds for _, seconds in self.settings.idle_unload if seconds > 0]
        interval = min(5.0, max(0.1, min(ttls) / 4))

        def run() -> None:
            while not self._stop.wait(interval):
                self.unload_idle()

        self._reaper = threading.Thread(target=run, name="model-idle-unload", daemon=True)
        self._reaper.start()

    def idle_deadline(self, key: CacheKey) -> float | None:
        """When the model under ``key`` is unloaded if nobody uses it (None = never)."""
        usage = self._usage.get(key)
        if usage is None:
            return None
        ttl = self.settings.idle_seconds(usage.kind)
        return None if ttl <= 0 else usage.last_used + ttl

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload every model unused for its kind's idle time; returns their names."""
        now = time.time() if now is None else now
        freed = []
        for key in self.cache.keys():
            deadline = self.idle_deadline(key)
            if deadline is None or now < deadline or self._busy(key):
                continue
            loaded = self.cache.peek(key)
            name = loaded.name if loaded else key[0]
            del loaded
            if self._forget(key, None, "idle"):
                freed.append(name)
                log.info("unloaded idle model %s", name)
        if self._transcriber_idle(now):
            name = self._transcriber.name if self._transcriber else "transcriber"
            self.unload_transcriber()
            freed.append(name)
            log.info("unloaded idle transcriber %s", name)
        return freed

    def preload(self) -> list[str]:
        """Load what ACCENT_COACH_PRELOAD names (1 = the selected model); failures are warnings."""
        names = self.settings.preload_models or (
            (self.selected_name,) if self.settings.preload else ())
        done = []
        for name in names:
            try:
                if name in TRANSCRIBERS:
                    done.append(self.load_transcriber(name).name)
                else:
                    done.append(self.load_model(name).name)
            except ModelLoadError as exc:
                self.warnings.append(f"Preloading '{name}' failed: {exc}")
        return done

    def close(self) -> None:
        """Stop the idle-unload thread and free every model."""
        self._stop.set()
        for key in self.cache.keys():
            self._forget(key, None, "request")
        self._current = None

    # --- status --------------------------------------------------------------------

    def loaded_models(self) -> list[dict[str, Any]]:
        """Every model in memory with kind, device, memory, load time, last use, idle countdown."""
        now = time.time()
        rows = []
        for key in self.cache.keys():
            loaded, usage = self.cache.peek(key), self._usage.get(key)
            if loaded is None or usage is None:
                continue
            deadline = self.idle_deadline(key)
            rows.append({
                "id": loaded.name, "kind": usage.kind, "device": loaded.device,
                "dtype": loaded.weights_dtype,
                "parameters": loaded.parameters, "memory_bytes": loaded.memory_bytes,
                "rss_delta_bytes": usage.rss_delta, "cuda_delta_bytes": usage.cuda_delta,
                "load_seconds": round(loaded.load_seconds, 3), "loaded_at": usage.loaded_at,
                "last_used": usage.last_used, "in_use": usage.refs,
                "idle_unload_in": None if deadline is None else max(0.0, deadline - now),
                "current": loaded is self._current, "notes": list(loaded.notes),
            })
        t = self._transcriber
        if t is not None:
            ttl = self.settings.idle_seconds("transcriber")
            rows.append({
                "id": t.name, "kind": t.kind, "device": t.device, "dtype": t.compute_type,
                "parameters": None, "memory_bytes": t.memory_bytes, "rss_delta_bytes": None,
                "cuda_delta_bytes": None, "load_seconds": round(t.load_seconds, 3),
                "loaded_at": self.transcriber_events[-1].at if self.transcriber_events else None,
                "last_used": self._transcriber_used, "in_use": 0,
                "idle_unload_in": None if ttl <= 0 else max(
                    0.0, self._transcriber_used + ttl - now),
                "current": True, "notes": list(t.notes),
            })
        return rows

    def catalog(self) -> list[dict[str, Any]]:
        """Every registered model (and any other loaded one) with whether it is loaded."""
        from accent_coach.speech.registry import registry, scorers, transcribers

        loaded = {row["id"]: row for row in self.loaded_models()}
        rows = []
        for spec in [*registry(), *transcribers(), *scorers()]:
            row = loaded.pop(spec.name, None)
            rows.append(_catalog_row(spec.name, spec_kind(spec), row))
        rows += [_catalog_row(name, row["kind"], row) for name, row in loaded.items()]
        return rows

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
        self._transcriber_used = time.time()
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
            if self._transcriber is None:
                return
            self._transcriber = None
            _free_memory()

    def _transcriber_idle(self, now: float) -> bool:
        ttl = self.settings.idle_seconds("transcriber")
        return (
            self._transcriber is not None and ttl > 0 and now >= self._transcriber_used + ttl
        )

    def status(self) -> dict[str, Any]:
        """What is loaded where, and how much memory it takes."""
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
                "process_rss_bytes": process_rss_bytes(),
                "max_models": self.cache.max_entries,
                "preload": list(self.settings.preload_models) or (
                    [self.selected_name] if self.settings.preload else []),
                "idle_unload": dict(self.settings.idle_unload),
                "gpu_min_free_mb": self.settings.gpu_min_free_mb,
                "models": self.loaded_models(),
                "memory_events": [asdict(e) for e in self.memory_events[-10:]],
                "current": None,
            }
            if current is not None:
                info["current"] = {
                    "name": current.name,
                    "kind": current.kind,
                    "source": current.source,
                    "path_or_id": current.path_or_id,
                    "device": current.device,
                    "dtype": current.weights_dtype,
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
            cuda = cuda_allocated()
            if self.device.startswith("cuda") and cuda is not None:
                info["cuda_allocated_bytes"] = cuda
            return info


def _catalog_row(name: str, kind: str, row: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": name, "kind": kind, "loaded": row is not None,
        "device": row["device"] if row else None,
        "memory_bytes": row["memory_bytes"] if row else None,
        "last_used": row["last_used"] if row else None,
        "idle_unload_in": row["idle_unload_in"] if row else None,
        "in_use": row["in_use"] if row else 0,
    }


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
            _manager.close()
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
