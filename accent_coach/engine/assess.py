"""Pronunciation assessment: audio + target text → sound, word and sentence scores.

The stages (``engine.stages``, passing one ``take.Take`` along):

    prepare → recognize → align → featurize → score → explain

prepare checks the request and builds the reference phones; recognize runs the phone
recognizer; align finds each expected sound and what was heard; featurize measures
everything a scorer reads; score predicts what the experts would say (the learned
scorer) or applies the hand-set rules; explain writes the result a learner reads.
Character-output models get a clearly labelled word-level fallback (``engine.chars``).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from accent_coach.engine.audio import SAMPLE_RATE
from accent_coach.engine.chars import assess_chars
from accent_coach.engine.g2p import RefWord
from accent_coach.engine.result import (  # noqa: F401  (the schema, re-exported)
    ENGINE_VERSION,
    PHONE_ERRORS,
    TEXT_MISMATCH_MESSAGE,
    WORD_ERRORS,
    AssessmentResult,
    PhoneResult,
    WordResult,
)
from accent_coach.engine.result_warnings import ResultWarning
from accent_coach.engine.stages.align import align
from accent_coach.engine.stages.explain import explain, take_warnings
from accent_coach.engine.stages.featurize import featurize
from accent_coach.engine.stages.prepare import prepare
from accent_coach.engine.stages.recognize import recognize
from accent_coach.engine.stages.score import score
from accent_coach.engine.take import Prepared, Take
from accent_coach.runtime import release_memory
from accent_coach.speech.posteriors import Posteriors

AudioSource = np.ndarray | str | os.PathLike | bytes


def loaded_model(model: str | None) -> Any:
    """The process-wide manager's model (loaded once), for callers that pass none."""
    from accent_coach.speech.manager import get_manager

    return get_manager().load_model(model)


def scorer_for(loaded: Any, scorer: Any = "auto") -> Any:
    """The learned scorer to use with recognizer ``loaded``: ``"auto"`` = the one trained on
    this recognizer's outputs if there is one (loaded once by the model manager), else
    None; ``"rules"`` = None (the hand-set formulas); anything else is a loaded scorer."""
    if scorer == "rules" or scorer is None:
        return None
    if scorer != "auto":
        return scorer
    from accent_coach.speech.manager import get_manager

    return get_manager().scorer_for(loaded)


def measure(
    audio: AudioSource,
    text: str,
    *,
    loaded: Any,
    accent: str = "us",
    sample_rate: int = SAMPLE_RATE,
    references: list[RefWord] | None = None,
    **options: Any,
) -> Take:
    """The first four stages: a take with its features, ready for any scorer (this is
    what ``training/scorer.py`` runs on the corpus). ``options`` as in :func:`analyse`."""
    return analyse(prepare(audio, text, accent, sample_rate, references), loaded, **options)


def analyse(
    prepared: Prepared,
    loaded: Any,
    *,
    reference_audio: AudioSource | None = None,
    with_prosody: bool = True,
    precomputed: Posteriors | None = None,
    warnings: list[ResultWarning] | None = None,
    states: bool = False,
) -> Take:
    """Stages 2–4 (recognize, align, featurize) of a prepared take; ``states`` keeps the
    recognizer's hidden states per sound (for a learned scorer that reads them)."""
    take = Take(prepared)
    take.recognition = recognize(prepared, loaded, precomputed, states)
    if take.recognition.post.output_kind == "chars":
        return take
    take.alignment = align(take.recognition)
    take.features = featurize(
        prepared, take.recognition, take.alignment, with_prosody=with_prosody,
        reference_audio=reference_audio, warnings=warnings,
    )
    return take


def assess(
    audio: AudioSource,
    text: str,
    *,
    accent: str = "us",
    model: str | None = None,
    reference_audio: AudioSource | None = None,
    sample_rate: int = SAMPLE_RATE,
    loaded: Any = None,
    item_id: str | None = None,
    with_prosody: bool = True,
    precomputed: Posteriors | None = None,
    references: list[RefWord] | None = None,
    scorer: Any = "auto",
) -> AssessmentResult:
    """Score ``audio`` read aloud against ``text``.

    Raises only ``AccentCoachError`` subclasses for bad arguments or input (see
    accent_coach.errors): TextError, AudioError, InputError (accent), ModelLoadError.
    ``sample_rate`` applies to array input only; ``loaded`` lets callers (batch,
    benchmarks) reuse an already loaded model; ``precomputed`` reuses this clip's
    posteriors when scoring it against several texts; ``references`` reuses
    ``g2p.reference(text, accent)`` when the caller already built it to check the text;
    ``scorer`` picks the scorer (see :func:`scorer_for`).
    """
    t0 = time.perf_counter()
    prepared = prepare(audio, text, accent, sample_rate, references)  # before any model
    loaded = loaded if loaded is not None else loaded_model(model)
    chosen = scorer_for(loaded, scorer)
    warnings: list[ResultWarning] = []
    states = bool(chosen is not None and chosen.config.state_dim)
    if states and precomputed is not None and precomputed.states is None:
        precomputed = None  # the scorer reads hidden states these posteriors lack
    take = analyse(
        prepared, loaded, reference_audio=reference_audio, with_prosody=with_prosody,
        precomputed=precomputed, warnings=warnings, states=states,
    )
    recognition = take.recognition
    assert recognition is not None
    if take.features is None:  # a letters model
        result = assess_chars(recognition.post, prepared.refs, prepared.clip)
    else:
        take.scores = score(recognition, take.features, chosen)
        result = explain(take, recognition.warnings + warnings)
    result.id = item_id
    result.model = str(getattr(loaded, "name", "model"))
    result.text = text
    result.accent = accent
    result.warnings = prepared.clip.warnings + result.warnings
    take_warnings(result, prepared.clip)
    del take, recognition
    release_memory()  # every take has a new length: give its buffers back to the OS
    result.elapsed_ms = round((time.perf_counter() - t0) * 1000, 1)
    return result
