"""Settings: models (what is loaded where, load/unload), result cache, configuration."""

from __future__ import annotations

import streamlit as st

from accent_coach.speech.manager import ModelManager
from accent_coach.speech.registry import (
    EMBEDDED,
    KNOWN_MODELS,
    ModelLoadError,
    embedded_installed,
    hub_cached,
    resolve_model,
)
from ui.models import app_manager, load_with_feedback
from ui.settings import render_cache, render_configuration, render_models

SOURCES = {
    "embedded": "Embedded (ships with the app)",
    "known": "Known Hugging Face model",
    "hub": "Other Hugging Face id",
    "local": "Local folder",
}


def selected_source(manager: ModelManager) -> tuple[str, str]:
    """(picker source, name) of the model in use, so the picker opens on it."""
    name = manager.selected_name
    try:
        spec = resolve_model(name)
    except ModelLoadError:
        return "embedded", EMBEDDED
    if spec.source == "hub":
        return ("known" if spec.name in KNOWN_MODELS else "hub"), spec.name
    return spec.source, spec.name


def choose_model(manager: ModelManager) -> str | None:
    """The model named by the source picker, or None while nothing is entered."""
    current_source, current_name = selected_source(manager)
    source = st.radio(
        "Source", list(SOURCES), index=list(SOURCES).index(current_source),
        format_func=SOURCES.get, key="settings_source",
    )
    if source == "embedded":
        if embedded_installed():
            st.caption("The trained Whisper-tiny IPA recognizer that ships inside the package.")
        else:
            st.warning("No trained model is installed yet, so the app shows no scores with it.")
        return EMBEDDED
    if source == "known":
        known = list(KNOWN_MODELS)
        name = st.selectbox(
            "Model",
            known,
            index=known.index(current_name) if current_name in KNOWN_MODELS else 0,
            format_func=lambda n: n + (" (recommended)" if KNOWN_MODELS[n].recommended else ""),
            key="settings_known",
        )
        spec = KNOWN_MODELS[name]
        st.caption(f"{spec.description} Outputs: {spec.output_kind}.")
        if not hub_cached(name):
            st.caption(f"Not downloaded yet. When online, run `accent-coach fetch {name}`.")
        return name
    label, hint = (
        ("Hugging Face id", "owner/model-name") if source == "hub" else ("Model folder", "/path")
    )
    value = current_name if source == current_source else ""
    entered = st.text_input(label, value=value, placeholder=hint, key=f"settings_{source}")
    return entered.strip() or None


st.title("Settings")
st.header("Models")
try:
    manager = app_manager()
except ModelLoadError as exc:
    st.error(str(exc))
    st.stop()

status_box = st.container()  # filled last, so it reflects this run's Load/Unload

st.subheader("Switch model")
choice = choose_model(manager)
load_col, unload_col = st.columns(2)
if load_col.button("Load", type="primary", disabled=choice is None, key="settings_load"):
    previous = manager.current
    if load_with_feedback(choice) is None and previous is not None:
        st.info(f"Still using **{previous.name}**.")

def _unload_all() -> None:
    """on_click: runs before the page is drawn, so the button shows the new state at once."""
    manager.unload_all()
    manager.unload_transcriber()
    st.session_state["settings.unloaded"] = True


unload_col.button(
    "Unload", disabled=not manager.loaded_models(), key="settings_unload", on_click=_unload_all
)
if st.session_state.pop("settings.unloaded", False):
    st.info("Models unloaded; they load again when needed.")

render_models(status_box, manager)

st.header("Result cache")
render_cache()

st.header("Configuration")
st.caption("Set these environment variables before starting the app; the values in force:")
render_configuration()
