"""The app's handle on the process-wide model manager, with load feedback.

The manager comes from ``st.cache_resource`` so every rerun and every browser
session gets the same object; spinner and toast are supplied as the manager's
``on_load`` hook, so they appear only when a model is really loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st

from accent_coach.speech.loaders.recognizer import LoadedModel
from accent_coach.speech.manager import ModelManager, get_manager
from accent_coach.speech.registry import ModelLoadError, ModelSpec


@st.cache_resource(show_spinner=False)
def app_manager() -> ModelManager:
    """The manager for all reruns and sessions of this server process."""
    return get_manager()


def _feedback(manager: ModelManager):
    @contextlib.contextmanager
    def on_load(spec: ModelSpec) -> Iterator[None]:
        with st.spinner(f"Loading speech model '{spec.name}' on {manager.device}…"):
            yield
        loaded = manager.current
        if loaded is not None:
            st.toast(f"Loaded '{loaded.name}' on {loaded.device} in {loaded.load_seconds:.1f} s")
            for note in loaded.notes:
                st.toast(note, icon="⚠️")

    return on_load


def _scorer_feedback(manager: ModelManager):
    @contextlib.contextmanager
    def on_load(spec: ModelSpec) -> Iterator[None]:
        with st.spinner(f"Loading scorer '{spec.name}'…"):
            yield
        st.toast(f"Loaded scorer '{spec.name}'")

    return on_load


def with_scorer(manager: ModelManager, loaded: LoadedModel) -> LoadedModel:
    """Make sure the learned scorer of ``loaded`` (if it has one) is in memory, with the
    same once-only feedback as the recognizer; a scorer that cannot be read leaves the
    hand-set scores (and a warning on the Settings page)."""
    manager.scorer_for(loaded, on_load=_scorer_feedback(manager))
    return loaded


def load_with_feedback(name: str | None = None) -> LoadedModel | None:
    """Load ``name`` (None = the selected model) with spinner/toast; show errors, never raise."""
    try:
        manager = app_manager()
        return with_scorer(manager, manager.load_model(name, on_load=_feedback(manager)))
    except ModelLoadError as exc:
        st.error(str(exc))
        return None


def active_model() -> LoadedModel | None:
    """The selected model, loading it once; None (with the reason shown) if unavailable.

    A model whose last attempt failed is not retried on every rerun: the reason
    is shown instead, and Settings offers a retry. After an explicit unload
    nothing is preloaded.
    """
    try:
        manager = app_manager()
    except ModelLoadError as exc:
        st.error(str(exc))
        return None
    if manager.is_loaded():
        return with_scorer(manager, manager.current)
    reason = manager.failed()
    if reason:
        st.warning(reason)
        return None
    if manager.unloaded:  # the user freed the memory; the next analysis loads it
        return None
    return load_with_feedback()


def model_sidebar() -> None:
    """Sidebar line saying which speech model is in use, or why none is."""
    from ui.warmup import warming

    if warming() is not None:  # never block the page on the background load
        _warm_up_status()
        return
    _model_caption()


def _model_caption() -> None:
    loaded = active_model()
    if loaded is not None:
        st.caption(f"Speech model: **{loaded.name}** ({loaded.output_kind}) on {loaded.device}")
    else:
        st.caption("Speech model: none loaded. No scores are shown until one is.")


@st.fragment(run_every=1.0)
def _warm_up_status() -> None:
    """The warm-up's stage, refreshed each second, then the loaded model — inside the
    fragment: a full rerun when the warm-up ends could land while the browser is
    uploading the learner's first recording and leave it stuck."""
    from ui.warmup import warming

    busy = warming()
    if busy is None:
        _model_caption()
        return
    st.caption(f"Speech model: getting ready in the background ({busy.stage}…)")
