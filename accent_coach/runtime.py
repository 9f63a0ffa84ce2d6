"""Process-start settings that keep memory flat; imported first by every entry point
(CLI, app, API) before torch loads.

Every recording has a new length, and oneDNN (torch's CPU kernels) compiles and caches
a primitive per input shape; with its default cache that grew RSS by hundreds of MB
over a few hundred takes. Capping the cache (``ONEDNN_PRIMITIVE_CACHE_CAPACITY``, read
by oneDNN when torch loads) keeps it flat; the cost is a recompile for a rare shape.
:func:`release_memory` hands freed heap pages back to the OS (glibc ``malloc_trim``).
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
