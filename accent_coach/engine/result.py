"""The assessment result: what the UI, CLI, API and storage read (``to_dict`` is the JSON).

The schema only ever grows: fields are added, never renamed or removed, so stored
attempts and API clients keep working. ``ENGINE_VERSION`` is bumped when the result's
shape or the scores of a given take change, so caches keyed on it never serve stale
results.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from accent_coach.engine import feedback
from accent_coach.engine.result_warnings import ResultWarning

# 2: warnings are {code, message}; prosody reference deterministic and read from the
# normalized text. 3: scores predicted for the experts' rubric by a learned scorer, word
# total and stress, N-best alternatives per phone.
ENGINE_VERSION = "3"
WORD_ERRORS = ("none", "mispronunciation", "omission", "insertion")
PHONE_ERRORS = ("none", "substitution", "deletion", "insertion")
STRESS_VERDICTS = ("ok", "wrong")
TEXT_MISMATCH_MESSAGE = (
    "This does not sound like the sentence — did you read the right text? "
    "The scores below assume you did."
)


@dataclass
class Alternative:
    """Another sound the recognizer found likely in a phone's place."""

    phone: str  # IPA; "" = nothing (the phone left out)
    prob: float  # 0–1, among all candidates for that place (the expected one included)


@dataclass
class PhoneResult:
    expected: str | None  # IPA; None for an inserted sound
    heard: str | None  # IPA; None when the sound was not produced
    score: float | None  # 0–100 on the experts' scale: 100 = 2/2 (correct), 50 = 1/2
    error: str  # one of PHONE_ERRORS
    start: float | None
    end: float | None
    # the three likeliest other sounds for this place (N-best), most likely first
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass
class WordResult:
    text: str
    score: float | None  # word accuracy 0–100 (experts' 0–10 × 10); None for insertions
    error: str  # one of WORD_ERRORS
    start: float | None
    end: float | None
    phones: list[PhoneResult] = field(default_factory=list)
    total: float | None = None  # the word overall, 0–100 (experts' word total × 10)
    stress: str | None = None  # "ok" / "wrong" (lexical stress), None: not judged
    stress_score: float | None = None  # 0–100: how sure the stress is right


@dataclass
class AssessmentResult:
    """Everything the UI, CLI and benchmarks need; ``to_dict`` is the JSON schema."""

    id: str | None
    model: str
    text: str
    accent: str
    duration: float
    elapsed_ms: float
    scores: dict[str, float | None]
    recognized: list[str]
    words: list[WordResult]
    feedback: list[feedback.Tip] = field(default_factory=list)
    warnings: list[ResultWarning] = field(default_factory=list)  # [{"code", "message"}]
    mode: str = "phone"  # "phone" or "word-fallback" (character models)
    details: dict[str, Any] = field(default_factory=dict)
    error: dict[str, str] | None = None  # {"code", "message"} when the item failed

    def to_dict(self) -> dict:
        out = asdict(self)
        out["tips"] = out["feedback"]
        return out


def rounded(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)
