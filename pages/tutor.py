"""Conversation Tutor: not built yet; says so rather than pretending."""

from __future__ import annotations

import streamlit as st

st.title("Conversation Tutor")
st.info(
    "The conversation tutor is coming: free speaking practice with feedback on the "
    "sounds you use. It will talk to a local LLM set with ACCENT_COACH_LLM_URL."
)
