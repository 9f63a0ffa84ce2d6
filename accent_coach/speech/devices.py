"""Where models run: CUDA, then Apple's MPS, then the CPU, unless a setting says otherwise.

Why a module of its own: every model kind (recognizer, transcriber, scorer) is placed
by the same rules, and the rules have their own failure modes to say plainly — a GPU
named in ``ACCENT_COACH_DEVICE`` that is not there, too little free GPU memory
(``ACCENT_COACH_GPU_MIN_FREE_MB``), a GPU that runs out of memory mid-load. Each of
those falls back to the CPU with a note the status page shows, never a crash.
"""

from __future__ import annotations

import re

from accent_coach.speech.registry import ModelLoadError


def mps_available() -> bool:
    """Whether Apple's Metal backend is usable in this PyTorch build and machine."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def choose_device(requested: str = "auto") -> tuple[str, str | None]:
    """CUDA, then MPS, then CPU; ``requested`` overrides. Returns (device, note)."""
    import torch

    req = (requested or "auto").strip().lower()
    cuda_ok = torch.cuda.is_available()
    if req == "auto":
        return ("cuda" if cuda_ok else "mps" if mps_available() else "cpu"), None
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
        if not mps_available():
            return "cpu", f"ACCENT_COACH_DEVICE={requested} but MPS is not available; using CPU."
        return "mps", None
    raise ModelLoadError(
        f"ACCENT_COACH_DEVICE={requested!r} is not one of auto, cpu, cuda, cuda:N, mps."
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says the device ran out of memory (then the CPU takes the model)."""
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
