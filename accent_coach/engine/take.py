"""The take: one recording of one text, as it moves through the assessment stages.

    prepare → recognize → align → featurize → score → explain

Each stage reads what the earlier ones put on the take and adds its own part; no stage
reaches back into another's internals, so each reads (and can be tested) on its own.
Training (``training/scorer.py``) runs the same stages up to ``featurize``, which is
what keeps the learned scorer's inputs identical at training and run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accent_coach.engine.alignment import ForcedAlignment
from accent_coach.engine.audio import Audio
from accent_coach.engine.g2p import RefWord
from accent_coach.engine.result_warnings import ResultWarning
from accent_coach.engine.verification import TextMatch
from accent_coach.speech.posteriors import Posteriors


@dataclass
class Target:
    """One expected sound: a recognizer token of a reference word."""

    word: int  # index into the reference words
    ipa: str
    token_id: int  # in the recognizer's vocabulary
    stress: int  # 1 primary, 2 secondary, 0 unstressed (of the syllable it belongs to)
    position: str  # in the word: "B" first, "I" inside, "E" last, "S" the only one


@dataclass
class Prepared:
    text: str
    accent: str
    refs: list[RefWord]
    clip: Audio


@dataclass
class Recognition:
    post: Posteriors  # up to the end of the reading (trailing speech cut off)
    targets: list[Target]
    trimmed_at: float | None  # s where trailing speech was cut, None if nothing was
    warnings: list[ResultWarning] = field(default_factory=list)


@dataclass
class Insertion:
    """A run of confidently heard sounds that the text does not have."""

    before: int  # index of the expected token before it (-1: before the first)
    heard: list[int]  # indices into Alignment.heard
    kind: str  # "inside" a word, "epenthesis" after a final consonant, or "word"


@dataclass
class Alignment:
    fa: ForcedAlignment  # Viterbi path of the expected tokens
    heard: list[tuple[int, int, int]]  # free recognition: (token id, start, end frame)
    recognized: list[str]  # IPA of each heard token
    pairs: list[tuple[int | None, int | None]]  # expected index ↔ heard index
    heard_at: list[str | None]  # per target: "" heard it, other IPA, None nothing
    times: list[tuple[float | None, float | None]]  # per target: start, end (s)
    insertions: list[Insertion]
    match: TextMatch
    certainty: float  # 0–100


@dataclass
class Features:
    """Per-target and per-take measurements, the inputs of every scorer."""

    phone: np.ndarray  # [targets, PHONE_DIM] float32 (see featurize.PHONE_FEATURES)
    utterance: np.ndarray  # [UTTERANCE_DIM] float32 (see featurize.UTTERANCE_FEATURES)
    lpr: list[float]  # GOP log-posterior ratio per target
    best_alt: list[int | None]  # token id of the best competitor (None: deletion)
    alternatives: list[list[tuple[str, float]]]  # per target: top other sounds + prob
    rule_phone: list[float]  # hand-set GOP phone score 0–100 (scoring.calibrate)
    omitted: list[bool]  # per reference word: left out (deleted phones, low score)
    produced_times: list[tuple[float, float]]  # (start, end) of the words read
    hesitations: int
    rule: dict[str, float | None]  # hand-set sentence scores (scoring, prosody)
    details: dict[str, Any] = field(default_factory=dict)  # fluency/prosody/speech
    states: np.ndarray | None = None  # [targets, D] recognizer states per sound, if kept


@dataclass
class Scores:
    """What a scorer says, on the experts' scales mapped to 0–100."""

    phone: list[float]  # per target
    word: list[float | None]  # accuracy per reference word
    word_total: list[float | None]
    word_stress: list[float | None]  # 100 = stress right; None: not judged
    utterance: dict[str, float | None]  # accuracy, completeness, fluency, prosody, overall
    flags: Any  # the scorer's operating points (scoring.Flags)
    scorer: str  # "rules" or the learned scorer's name
    fallback: str | None = None  # why the rules scored a take the learned scorer could not


@dataclass
class Take:
    prepared: Prepared
    recognition: Recognition | None = None
    alignment: Alignment | None = None
    features: Features | None = None
    scores: Scores | None = None
