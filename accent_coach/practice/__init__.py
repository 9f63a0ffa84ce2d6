"""Reading practice: the sentence library, a take's cached analysis, and what to drill next.

Imports the engine, speech, the service's result cache and config; no Streamlit (the
page glue is in ``ui/``).
"""
