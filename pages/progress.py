"""Progress: past attempts and trends, once attempts are being saved."""

from __future__ import annotations

import streamlit as st

from accent_coach.config import get_settings

st.title("Progress")
st.info(
    "No attempts saved yet. Scores from the Practice page will appear here over time, "
    "stored on this computer only."
)
try:
    st.caption(f"Data folder: {get_settings().data_dir}")
except ValueError as exc:
    st.error(str(exc))
