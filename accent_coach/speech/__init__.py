"""Models that hear and speak: the model registry, the load-once manager (``manager``,
with one lifecycle for every kind in ``lifecycle``, a loader per kind in ``loaders``,
device choice in ``devices``, memory figures in ``memory``), the embedded Whisper-CTC
recognizer and its files, CTC posteriors, and the offline voices.

Imports only :mod:`accent_coach.config`; never the engine, practice or anything above.
"""

# The one sample rate of the product: every model here hears 16 kHz mono (Whisper,
# wav2vec2), so audio is decoded and resampled to it once, in the engine.
SAMPLE_RATE = 16_000
