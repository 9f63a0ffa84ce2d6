"""Settings page glue: loaded models with their lifecycle, cache statistics, configuration."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from accent_coach.config import Variable, get_settings, in_force, variables
from accent_coach.service.result_cache import default_cache
from accent_coach.speech.manager import ModelManager


def mib(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:,.1f} MiB"


def _ago(at: float) -> str:
    return f"{max(0.0, time.time() - at):.0f} s ago"


def _countdown(seconds: float | None, in_use: int) -> str:
    if in_use:
        return f"in use ({in_use})"
    return "never" if seconds is None else f"in {seconds:.0f} s"


def render_models(box: DeltaGenerator, manager: ModelManager) -> None:
    """Every loaded model: kind, device, dtype, size, memory, load time, last use, idle."""
    status = manager.status()
    rows = status["models"]
    if rows:
        box.success(f"In use: **{status['current']['name']}** on **{status['current']['device']}**"
                    if status["current"] else f"{len(rows)} model(s) loaded.")
        box.table({
            "model": [r["id"] for r in rows], "kind": [r["kind"] for r in rows],
            "device": [r["device"] for r in rows], "dtype": [r["dtype"] for r in rows],
            "parameters": [f"{r['parameters']:,}" for r in rows],
            "weights": [mib(r["memory_bytes"]) for r in rows],
            "RAM used": [mib(r["rss_delta_bytes"]) for r in rows],
            "VRAM used": [mib(r["cuda_delta_bytes"]) for r in rows],
            "load time": [f"{r['load_seconds']:.2f} s" for r in rows],
            "last use": [_ago(r["last_used"]) for r in rows],
            "idle unload": [_countdown(r["idle_unload_in"], r["in_use"]) for r in rows],
        })
        for row in rows:
            for note in row["notes"]:
                box.warning(note)
    else:
        box.info(f"No speech model is loaded. Selected: **{status['selected']}**.")
    for warning in status["warnings"]:
        box.warning(warning)
    gpu = status.get("cuda_allocated_bytes")
    idle = ", ".join(f"{k}: {v:g} s" for k, v in status["idle_unload"].items()) or "never"
    box.caption(
        f"Device for new loads: {status['device']} · dtype {status['dtype']} · "
        f"process memory {mib(status['process_rss_bytes'])}"
        + (f" · GPU allocated {mib(gpu)}" if gpu is not None else "")
        + f" · keeps at most {status['max_models']} model(s) · idle unload: {idle} · "
        f"preload: {', '.join(status['preload']) or 'none'}"
    )
    events = status["memory_events"][-4:]
    if events:
        box.caption("Recent loads/unloads (process RSS before → after): " + "; ".join(
            f"{e['action']} {e['name'].rsplit('/', 1)[-1]} ({e['reason']}) "
            f"{mib(e['rss_before'])} → {mib(e['rss_after'])}" for e in events))


def render_cache() -> None:
    """Result-cache statistics and a clear button."""
    cache = default_cache()
    stats = cache.stats()
    rate = "–" if stats["hit_rate"] is None else f"{stats['hit_rate']:.0%}"
    cols = st.columns(4)
    cols[0].metric("Hits", stats["hits"])
    cols[1].metric("Misses", stats["misses"])
    cols[2].metric("Hit rate", rate)
    cols[3].metric("Stored results", stats["disk_items"])
    ttl = stats["ttl_seconds"]
    st.caption(f"{stats['memory_items']} in memory, {mib(stats['disk_bytes'])} on disk in "
               f"{stats['directory']} · TTL {'none' if not ttl else f'{ttl:g} s'} · engine "
               f"{stats['engine_version']}")
    if st.button("Clear cached results", disabled=not (stats["disk_items"] or
                                                       stats["memory_items"]),
                 key="settings_clear_cache"):
        st.info(f"Removed {cache.clear()} cached results.")


def render_configuration() -> None:
    """Every declared variable with the value in force (not just the default), by group."""
    try:
        values = in_force(get_settings())
    except ValueError as exc:
        st.error(f"{exc} The defaults are used instead.")
        values = {}
    groups: dict[str, list[Variable]] = {}
    for variable in variables():
        groups.setdefault(variable.group, []).append(variable)
    for group, declared in groups.items():
        st.markdown(f"**{group}**")
        st.table({
            "variable": [v.name for v in declared],
            "value in force": [values.get(v.name, v.default) for v in declared],
            "default": [v.default for v in declared],
            "meaning": [v.field.description or "" for v in declared],
        })
