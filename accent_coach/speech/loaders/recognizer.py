"""Loading a CTC phone recognizer: a transformers checkpoint on a device, in a dtype.

Why a module of its own: this is the one kind whose loading has many rules — our own
architecture registered with the Auto classes (never remote code), cache-only loads
unless a download is wanted, the CTC vocabulary and blank read from the tokenizer,
weights in float or dynamic int8 by device and source, a GPU that runs out of memory
falling back to the CPU, and the embedded model built without transformers when a
one-shot CLI run asks for it. :func:`load_checkpoint` does one real load, uncached; the
model manager decides when to call it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accent_coach.speech.devices import is_out_of_memory
from accent_coach.speech.quantization import is_quantized, quantize_int8, weight_tensors
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
)

log = logging.getLogger(__name__)


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
        if device == "cpu" or not is_out_of_memory(exc):
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


def prepare(spec: ModelSpec) -> dict[str, Any]:
    """The loader shape every kind has (see :mod:`accent_coach.speech.loaders`)."""
    return prepare_load(spec)


def load(
    spec: ModelSpec, device: str, dtype: str = "float32", options: dict[str, Any] | None = None
) -> LoadedModel:
    """The loader shape every kind has: :func:`load_checkpoint`."""
    return load_checkpoint(spec, device, dtype, options)
