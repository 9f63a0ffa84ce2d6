"""Streamlit glue shared by ``app.py`` and ``pages/``; the core stays in ``accent_coach``."""
