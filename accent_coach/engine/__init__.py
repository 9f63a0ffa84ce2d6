"""Pronunciation assessment: audio decoding, G2P and reference phones, alignment, GOP
scoring, prosody, articulation, feedback, and :func:`accent_coach.engine.assess.assess`.

Imports :mod:`accent_coach.speech` and :mod:`accent_coach.config`; never practice,
tutor, storage, service or Streamlit.
"""
