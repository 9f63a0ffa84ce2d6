"""Serving the engine: the result cache (and, as they land, the REST API and batch jobs).

Imports the engine, speech and config; never practice, tutor or Streamlit.
"""
