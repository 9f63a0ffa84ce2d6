"""Models that hear and speak: the model registry, the load-once manager, the embedded
Whisper-CTC recognizer and its files, CTC posteriors, and the offline voices.

Imports only :mod:`accent_coach.config`; never the engine, practice or anything above.
"""
