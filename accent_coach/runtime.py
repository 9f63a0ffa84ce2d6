"""Process-start settings that keep memory flat; imported first by every entry point
(CLI, app, API) before torch loads.

Every recording has a new length, and oneDNN (torch's CPU kernels) compiles and caches
a primitive per input shape; with its default cache that grew RSS by hundreds of MB
over a few hundred takes. Capping the cache (``ONEDNN_PRIMITIVE_CACHE_CAPACITY``, read
by oneDNN when torch loads) keeps it flat; the cost is a recompile for a rare shape.
:func:`release_memory` hands freed heap pages back to the OS (glibc ``malloc_trim``), and
:func:`return_large_allocations_to_os` makes freed model weights leave the process.
These two are the only glibc calls of the project.
Nothing here is an ``ACCENT_COACH_*`` setting; a value already in the environment wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")
os.environ.setdefault("DNNL_PRIMITIVE_CACHE_CAPACITY", "64")  # older oneDNN name


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return lib if lib is not None and hasattr(lib, "malloc_trim") else None


def release_memory() -> None:
    """Return free heap pages to the OS (glibc only; elsewhere a no-op)."""
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
LARGE_ALLOCATION = 512 << 10


@functools.cache
def return_large_allocations_to_os() -> bool:
    """Serve allocations ≥ 512 KiB (weight matrices) from mmap, so freeing them shrinks RSS.

    glibc raises its mmap threshold after the first large free, so later weights land on
    the heap and an unload returned only 12–36 of the embedded model's 44 MB; with a fixed
    threshold each unload returns all of it (measured in benchmarks/api.py). glibc only;
    elsewhere False. Called once by the model manager, before the first load.
    """
    lib = _libc()
    try:
        return bool(lib is not None and lib.mallopt(M_MMAP_THRESHOLD, LARGE_ALLOCATION))
    except AttributeError:
        return False
