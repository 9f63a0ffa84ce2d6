"""Streamlit entry point: navigation, then the speech-model status in the sidebar."""

from __future__ import annotations

import streamlit as st

import accent_coach.runtime  # noqa: F401 - memory caps, before anything loads torch
from ui.models import model_sidebar
from ui.profile import profile_sidebar
from ui.warmup import warming

st.set_page_config(page_title="Accent Coach", page_icon="🗣️", layout="wide")
warming()  # starts the background warm-up once per server process (ACCENT_COACH_PRELOAD)

page = st.navigation(
    [
        st.Page("pages/practice.py", title="Practice", icon="🎙️", default=True),
        st.Page("pages/tutor.py", title="Conversation Tutor", icon="💬"),
        st.Page("pages/progress.py", title="Progress", icon="📈"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️"),
    ]
)
page.run()

with st.sidebar:
    model_sidebar()
    profile_sidebar()
