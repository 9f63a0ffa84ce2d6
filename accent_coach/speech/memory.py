"""How much memory the process and the GPU hold, and how to give freed model memory back.

Why a module of its own: unloading a model is only worth something if the memory really
leaves the process, and proving that needs figures around every load and unload (the
model manager's memory events, the API's load/unload answers, the benchmarks). The
figures come from Linux's ``/proc/self/status`` and from PyTorch's CUDA allocator; the
freeing itself is Python's collector, PyTorch's CUDA cache and glibc's ``malloc_trim``,
which lives, with the other glibc setting, in :mod:`accent_coach.runtime`.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

from accent_coach.runtime import release_memory, return_large_allocations_to_os

__all__ = [
    "MemoryReading",
    "cuda_allocated",
    "free_memory",
    "process_anon_bytes",
    "process_rss_bytes",
    "return_large_allocations_to_os",
]


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


def cuda_allocated() -> int | None:
    """Bytes PyTorch holds on the GPU, or None without CUDA."""
    import torch

    return int(torch.cuda.memory_allocated()) if torch.cuda.is_available() else None


def free_memory() -> None:
    """Collect, empty the CUDA cache, give freed heap pages back to the OS (glibc)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    release_memory()


@dataclass(frozen=True)
class MemoryReading:
    """Process RSS and CUDA bytes at one moment; two of them bracket a load or unload."""

    rss: int | None
    cuda: int | None

    @classmethod
    def now(cls) -> MemoryReading:
        return cls(process_rss_bytes(), cuda_allocated())

    def growth_since(self, before: MemoryReading) -> tuple[int | None, int | None]:
        """(RSS, CUDA) bytes gained since ``before``; None where a figure is unknown."""
        rss = None if self.rss is None or before.rss is None else self.rss - before.rss
        cuda = None if self.cuda is None or before.cuda is None else self.cuda - before.cuda
        return rss, cuda
