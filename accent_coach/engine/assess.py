"""Pronunciation assessment: audio + target text → phone, word and sentence scores.

Data flows one way: text → reference phones (g2p.reference) → frame
posteriors (speech.posteriors) → forced alignment + free recognition (alignment) →
GOP and sentence scores (scoring, prosody) → tips (feedback). Character-output
models get a clearly labelled word-level fallback instead of phone scores.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from accent_coach.engine import articulation, feedback, prosody, scoring, verification
from accent_coach.engine.alignment import align_sequences, forced_align, greedy_decode
from accent_coach.engine.audio import SAMPLE_RATE, Audio, load_audio
from accent_coach.engine.g2p import (
    RefWord,
    check_accent,
    reference,
    spoken_text,
    to_inventory,
    to_ipa,
)
from accent_coach.engine.result_warnings import ResultWarning, add_warning, warning
from accent_coach.runtime import release_memory
from accent_coach.speech.posteriors import Posteriors, posteriors

# Bumped when the result's shape or the scores of a given take change, so caches keyed
# on it never serve stale results (2: warnings are {code, message}; prosody reference
# deterministic and read from the normalized text).
ENGINE_VERSION = "2"
OMISSION_SHARE = 0.5  # a word is omitted when at least half its phones were deleted
SEVERE_PHONE_BELOW = 10.0  # one phone this bad marks its word mispronounced
WORD_TAIL_SECONDS = 0.1  # a word's last phone lasts at most this long past its CTC spike
WORD_ERRORS = ("none", "mispronunciation", "omission", "insertion")
PHONE_ERRORS = ("none", "substitution", "deletion", "insertion")
TEXT_MISMATCH_MESSAGE = (
    "This does not sound like the sentence — did you read the right text? "
    "The scores below assume you did."
)


@dataclass
class PhoneResult:
    expected: str | None  # IPA; None for an inserted sound
    heard: str | None  # IPA; None when the sound was not produced
    score: float | None
    error: str  # one of PHONE_ERRORS
    start: float | None
    end: float | None


@dataclass
class WordResult:
    text: str
    score: float | None  # None for inserted words (nothing to grade against)
    error: str  # one of WORD_ERRORS
    start: float | None
    end: float | None
    phones: list[PhoneResult] = field(default_factory=list)


@dataclass
class AssessmentResult:
    """Everything the UI, CLI and benchmarks need; ``to_dict`` is the JSON schema."""

    id: str | None
    model: str
    text: str
    accent: str
    duration: float
    elapsed_ms: float
    scores: dict[str, float]
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


def _round(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)


def loaded_model(model: str | None) -> Any:
    """The process-wide manager's model (loaded once), for callers that pass none."""
    from accent_coach.speech.manager import get_manager

    return get_manager().load_model(model)


def assess(
    audio: np.ndarray | str | os.PathLike | bytes,
    text: str,
    *,
    accent: str = "us",
    model: str | None = None,
    reference_audio: np.ndarray | str | os.PathLike | bytes | None = None,
    sample_rate: int = SAMPLE_RATE,
    loaded: Any = None,
    item_id: str | None = None,
    with_prosody: bool = True,
    precomputed: Posteriors | None = None,
    references: list[RefWord] | None = None,
) -> AssessmentResult:
    """Score ``audio`` read aloud against ``text``.

    Raises only ``AccentCoachError`` subclasses for bad arguments or input (see
    accent_coach.errors): TextError, AudioError, InputError (accent), ModelLoadError.
    ``sample_rate`` applies to array input only; ``loaded`` lets callers (batch,
    benchmarks) reuse an already loaded model; ``precomputed`` reuses this clip's
    posteriors when scoring it against several texts; ``references`` reuses
    ``g2p.reference(text, accent)`` when the caller already built it to check the text.
    """
    t0 = time.perf_counter()
    check_accent(accent)
    refs = references if references is not None else reference(text, accent)
    clip = load_audio(audio, sample_rate)
    loaded = loaded if loaded is not None else loaded_model(model)
    post = precomputed if precomputed is not None else posteriors(loaded, clip.samples)
    if post.output_kind == "chars":
        result = _assess_chars(post, refs, clip)
    else:
        result = _assess_phones(post, refs, clip, accent, reference_audio, with_prosody, text)
    result.id = item_id
    result.model = str(getattr(loaded, "name", "model"))
    result.text = text
    result.accent = accent
    result.warnings = clip.warnings + result.warnings
    _take_warnings(result, clip)
    del post, clip
    release_memory()  # every take has a new length: give its buffers back to the OS
    result.elapsed_ms = round((time.perf_counter() - t0) * 1000, 1)
    return result


NOT_SPEECH_HEARD = 0.25  # heard fewer sounds than this share of the expected ones
CUT_OFF_EDGE = 0.15  # s: speech this close to the end of the clip runs into the cut
CUT_OFF_MISSING = 0.25  # share of words at the end of the text that were not said
CUT_OFF_HEARD = 0.7  # ... or the recognizer heard less than this share of the sounds


def _take_warnings(result: AssessmentResult, clip: Audio) -> None:
    """``not_speech`` when the recognizer heard almost none of the expected sounds (noise,
    a tone, hum); ``cut_off`` when speech runs into the end of the clip and the text's last
    words are missing (or much of it was not heard: forced alignment squeezes the unsaid
    words into the last frames). The scores stand; the warning says why they are low."""
    graded = [w for w in result.words if w.error != "insertion"]
    expected = sum(1 for w in graded for p in w.phones if p.expected is not None)
    heard = len(result.recognized)
    if result.mode == "phone" and expected and heard < NOT_SPEECH_HEARD * expected:
        # Not speech at all: the more specific diagnosis replaces "wrong text".
        result.warnings = [w for w in result.warnings if w["code"] != "text_mismatch"]
        add_warning(
            result.warnings, "not_speech",
            "this does not sound like speech (the model heard almost none of the expected "
            "sounds); check the microphone and read the text aloud",
        )
        return
    missing_tail = 0
    for w in reversed(graded):
        if w.error != "omission":
            break
        missing_tail += 1
    runs_to_end = clip.duration - clip.speech_end <= CUT_OFF_EDGE
    short = missing_tail >= max(1, CUT_OFF_MISSING * len(graded)) or (
        result.mode == "phone" and heard < CUT_OFF_HEARD * expected
    )
    if graded and runs_to_end and short:
        add_warning(
            result.warnings, "cut_off",
            "the recording seems cut off: it stops mid-speech and part of the text is "
            "missing; record the whole text",
        )


# ---------------------------------------------------------------------------------------
# Phone models (IPA or ARPAbet)
# ---------------------------------------------------------------------------------------


@dataclass
class _Target:
    word: int
    ipa: str
    token_id: int
    stress: int


def _targets(refs: list[RefWord], post: Posteriors) -> tuple[list[_Target], list[str]]:
    index = {tok: i for i, tok in enumerate(post.vocab)}
    targets, missing = [], []
    for w, ref in enumerate(refs):
        for ipa, stress in zip(ref.tokens, ref.stress):
            tok = to_inventory(ipa, post.vocab, post.output_kind)
            if tok is None:
                missing.append(ipa)
                continue
            targets.append(_Target(w, ipa, index[tok], stress))
    warnings: list[ResultWarning] = []
    if missing:
        add_warning(
            warnings, "sounds_not_scored",
            "the model cannot hear these sounds, so they are not scored: "
            + " ".join(sorted(set(missing))),
        )
    return targets, warnings


def _accepted(post: Posteriors, ids: list[int]) -> dict[int, set[int]]:
    """Per reference token id, the ids of its accent variants in this vocabulary."""
    index = {to_ipa(tok, post.output_kind): i for i, tok in enumerate(post.vocab)}
    out = {}
    for i in set(ids):
        ipa = to_ipa(post.vocab[i], post.output_kind)
        out[i] = {index[v] for v in articulation.variants(ipa) if v in index and index[v] != i}
    return out


def _candidates(post: Posteriors) -> list[int]:
    """Token ids that are phones (no blank, no <special>, no word delimiter)."""
    out = []
    for i, tok in enumerate(post.vocab):
        if i == post.blank_id or not tok or tok.startswith("<") or tok.strip() in ("", "|"):
            continue
        out.append(i)
    return out


def _assess_phones(
    post: Posteriors,
    refs: list[RefWord],
    clip: Audio,
    accent: str,
    reference_audio: Any,
    with_prosody: bool,
    text: str = "",
) -> AssessmentResult:
    targets, warnings = _targets(refs, post)
    ids = [t.token_id for t in targets]
    post, trimmed = _without_trailing_speech(post, ids)
    if trimmed is not None:
        add_warning(warnings, "trailing_speech",
                    f"speech after {trimmed:.1f} s is not part of the sentence; not scored")
    fa = forced_align(post.logp, ids, post.blank_id)
    # <unk> and other <special> tokens are not sounds: never shown as heard
    heard = [h for h in greedy_decode(post.logp, post.blank_id)
             if not post.vocab[h[0]].startswith("<")]
    recognized = [to_ipa(post.vocab[tok], post.output_kind) for tok, _, _ in heard]
    pairs = _heard_vs_expected(targets, heard, recognized, fa)
    heard_at = heard_per_target(targets, recognized, pairs)
    gops = scoring.phone_gops(
        post.logp, ids, fa, _candidates(post), post.blank_id, _accepted(post, ids),
        matches=[h == "" for h in heard_at],
    )
    words = _phone_words(refs, targets, fa, gops, post, heard_at)
    match = verification.text_match(post.logp, fa.score, heard_at)
    hesitations = _add_insertions(words, targets, heard, recognized, post, fa, pairs)
    tips = _tips(words, refs)
    result = AssessmentResult(
        id=None, model="", text=text, accent=accent, duration=round(clip.duration, 3),
        elapsed_ms=0.0, scores={}, recognized=recognized, words=[], feedback=tips,
        warnings=warnings,
    )
    result.words = _ordered(words)
    result.details["text_match"] = match.to_dict()
    result.details["certainty"] = round(verification.certainty(post.logp, post.blank_id), 1)
    if match.mismatch:
        add_warning(result.warnings, "text_mismatch", TEXT_MISMATCH_MESSAGE)
    produced = _heard_words(targets, heard_at, len(refs)) if match.mismatch else None
    _sentence_scores(result, words, refs, targets, fa, post, clip, hesitations, produced)
    if with_prosody:
        _prosody(result, words, refs, targets, fa, post, clip, accent, reference_audio)
    else:
        result.scores["prosody"] = None
    result.scores["overall"] = _overall(result.scores)
    result.scores = {k: _round(v) for k, v in result.scores.items()}
    return result


def _without_trailing_speech(post: Posteriors, ids: list[int]) -> tuple[Posteriors, float | None]:
    """Posteriors up to the end of the reading (see verification.reading_end), and the
    time cut at (None when the whole take is the reading)."""
    heard = greedy_decode(post.logp, post.blank_id)
    end = verification.reading_end(
        post.logp, heard, len(ids), post.frame_seconds,
        lambda logp: forced_align(logp, ids, post.blank_id).score,
    )
    if end >= len(post.logp):
        return post, None
    return replace(post, logp=post.logp[:end]), end * post.frame_seconds


def heard_per_target(targets, recognized, pairs) -> list[str | None]:
    """Per reference token: "" if free recognition heard it (or an accent variant),
    the other IPA phone heard in its place, or None when nothing was heard there."""
    out: list[str | None] = [None] * len(targets)
    for i, j in pairs:
        if i is None or j is None:
            continue
        got, want = recognized[j], targets[i].ipa
        out[i] = "" if got == want or got in articulation.variants(want) else got
    return out


def _phone_words(refs, targets, fa, gops, post, heard_at) -> list[WordResult]:
    """Per-word phone results. A phone is an error when its score < PHONE_ERROR_BELOW, or
    when free recognition heard another sound in its place and GOP agrees (LPR < 0)."""
    words = [WordResult(r.text, None, "none", None, None, []) for r in refs]
    fs = post.frame_seconds
    for k, (t, g) in enumerate(zip(targets, gops)):
        span = fa.spans[k]
        start = end = None
        if span is not None:
            nxt = fa.spans[k + 1] if k + 1 < len(targets) else None
            same_word = nxt is not None and targets[k + 1].word == t.word
            start = span.start * fs
            if same_word and nxt is not None:
                end = nxt.start * fs
            else:  # CTC fires near a phone's onset: let the word's last phone ring on
                tail = span.end + int(round(WORD_TAIL_SECONDS / fs))
                end = min(tail, nxt.start if nxt is not None else len(post.logp)) * fs
        other = heard_at[k]  # free recognition heard another sound here
        if g.score >= scoring.PHONE_ERROR_BELOW and not (other and g.lpr < 0):
            error, heard = "none", t.ipa
        elif other:  # both free recognition and GOP prefer another sound: report it
            error, heard = "substitution", other
        elif g.best_alt is None:
            error, heard = "deletion", None
        else:
            error, heard = "substitution", to_ipa(post.vocab[g.best_alt], post.output_kind)
        words[t.word].phones.append(
            PhoneResult(t.ipa, heard, _round(g.score), error, _round(start, 3), _round(end, 3))
        )
    for w in words:
        _grade_word(w)
    return words


def _grade_word(w: WordResult) -> None:
    """Word score and error type from its phones (see scoring.word_score)."""
    scored = [p for p in w.phones if p.expected is not None and p.score is not None]
    if not scored:
        w.score, w.error = None, "omission"
        return
    w.score = _round(scoring.word_score([p.score for p in scored]))
    starts = [p.start for p in scored if p.start is not None]
    ends = [p.end for p in scored if p.end is not None]
    w.start = min(starts) if starts else None
    w.end = max(ends) if ends else None
    deleted = sum(p.error == "deletion" for p in scored)
    if deleted >= OMISSION_SHARE * len(scored) and w.score < scoring.WORD_ERROR_BELOW:
        w.error = "omission"
    elif w.score < scoring.WORD_ERROR_BELOW or min(p.score for p in scored) < SEVERE_PHONE_BELOW:
        w.error = "mispronunciation"
    else:
        w.error = "none"


INSERT_CONFIDENCE = 0.7  # an extra sound counts only if the recognizer was this sure
EPENTHESIS_GAP = 0.15  # s: a vowel this close after a final consonant is epenthetic


def _add_insertions(words, targets, heard, recognized, post, fa, pairs) -> int:
    """Sounds heard but not expected: inside a word, epenthesis, or extra words.

    Between words, a single confident vowel right after a word-final consonant is
    epenthesis (attached to that word); a run with a vowel, or two or more
    consonants, is an inserted word / hesitation; one stray consonant is ignored
    (co-articulation). Returns the number of hesitations for fluency.
    """
    conf = [float(np.exp(post.logp[s:e, tok].max())) for tok, s, e in heard]
    runs: list[tuple[int, list[int]]] = []  # (index of expected phone before, heard idx)
    last_i = -1
    for i, j in pairs:
        if i is not None:
            last_i = i
        elif j is not None and conf[j] >= INSERT_CONFIDENCE:
            if runs and runs[-1][0] == last_i:
                runs[-1][1].append(j)
            else:
                runs.append((last_i, [j]))
    fs = post.frame_seconds
    hesitations = 0
    for before, js in runs:
        phones = [
            PhoneResult(None, recognized[j], None, "insertion",
                        _round(heard[j][1] * fs, 3), _round(heard[j][2] * fs, 3))
            for j in js
        ]
        after = before + 1
        inside = (
            0 <= before and after < len(targets) and targets[before].word == targets[after].word
        )
        vowels = [articulation.is_vowel(recognized[j]) for j in js]
        if inside:
            words[targets[before].word].phones.extend(phones)
        elif _epenthetic(before, js, vowels, targets, heard, fa, fs):
            words[targets[before].word].phones.extend(phones)
        elif any(vowels) or len(js) >= 2:
            hesitations += 1
            words.append(
                WordResult("", None, "insertion", phones[0].start, phones[-1].end, phones)
            )
    return hesitations


def _epenthetic(before, js, vowels, targets, heard, fa, fs) -> bool:
    if before < 0 or len(js) != 1 or not vowels[0]:
        return False
    if not articulation.is_consonant(targets[before].ipa) or fa.spans[before] is None:
        return False
    return (heard[js[0]][1] - fa.spans[before].end) * fs <= EPENTHESIS_GAP


BLOCK_TOKENS = 40  # NW runs per block of reference tokens, so long clips stay linear


def _heard_vs_expected(targets, heard, recognized, fa) -> list[tuple[int | None, int | None]]:
    """NW alignment of heard vs. expected phones, block by block along the forced timing.

    A heard token goes to the block whose forced-aligned frames contain its start;
    within a block the alignment uses articulatory substitution costs.
    """
    bounds = []  # first frame of each block
    for b in range(0, len(targets), BLOCK_TOKENS):
        span = next((s for s in fa.spans[b : b + BLOCK_TOKENS] if s is not None), None)
        bounds.append(span.start if span is not None else 10**12)
    groups: list[list[int]] = [[] for _ in bounds]
    for j, (_, start, _) in enumerate(heard):
        k = max(0, int(np.searchsorted(bounds, start, side="right")) - 1)
        groups[k].append(j)
    pairs: list[tuple[int | None, int | None]] = []
    for k, js in enumerate(groups):
        lo = k * BLOCK_TOKENS
        expected = [t.ipa for t in targets[lo : lo + BLOCK_TOKENS]]
        local = align_sequences(expected, [recognized[j] for j in js], articulation.distance)
        pairs.extend(
            (None if i is None else lo + i, None if j is None else js[j]) for i, j in local
        )
    return pairs


def _ordered(words: list[WordResult]) -> list[WordResult]:
    """Reference words in order, inserted words placed by time."""
    out = [w for w in words if w.error != "insertion"]
    for w in (w for w in words if w.error == "insertion"):
        when = w.start if w.start is not None else float("inf")
        pos = sum(1 for r in out if r.start is not None and r.start < when)
        out.insert(pos, w)
    for w in out:  # phones in time order (insertions were appended)
        w.phones.sort(key=lambda p: (p.start is None, p.start or 0.0))
    return out


def _tips(words: list[WordResult], refs: list[RefWord]) -> list[feedback.Tip]:
    tips = []
    for w in words:
        if w.error == "insertion":
            heard = "".join(p.heard or "" for p in w.phones)
            tips.append(feedback.insertion_tip("", heard))
            continue
        expected_phones = [p for p in w.phones if p.expected is not None]
        for p in w.phones:
            if p.error == "substitution" and p.expected and p.heard:
                tips.append(feedback.substitution_tip(w.text, p.expected, p.heard))
            elif p.error == "deletion" and p.expected:
                final = bool(expected_phones) and p is expected_phones[-1]
                tips.append(feedback.deletion_tip(w.text, p.expected, final))
            elif p.error == "insertion" and p.heard:
                tips.append(feedback.insertion_tip(w.text, p.heard))
    return tips


def _heard_words(targets, heard_at, n_words: int) -> list[bool]:
    """Per reference word: did free recognition hear at least half of its phones? When the
    speech does not match the text, that (not the forced alignment, which always "finds"
    every word) says which words were really produced."""
    heard = [0] * n_words
    total = [0] * n_words
    for t, h in zip(targets, heard_at):
        total[t.word] += 1
        heard[t.word] += h == ""
    return [total[w] > 0 and 2 * heard[w] >= total[w] for w in range(n_words)]


def _sentence_scores(
    result, words, refs, targets, fa, post, clip, hesitations, heard: list[bool] | None = None
) -> None:
    """accuracy = mean phone score over all reference phones (an omitted word's phones
    count with their low scores); completeness as in scoring; fluency = scoring.fluency
    of the produced words × completeness/100 (skipping words is not fluent reading).
    ``heard`` (per reference word, given when the text does not match the speech) limits
    the produced words to those free recognition heard."""
    graded = [w for w in words if w.error != "insertion"]
    produced = [w for w in graded if w.error != "omission" and w.score is not None]
    if heard is not None:
        kept = {id(w) for w, ok in zip(graded, heard, strict=True) if ok}
        produced = [w for w in produced if id(w) in kept]
    scored = [p.score for w in graded for p in w.phones if p.expected is not None]
    accuracy = float(np.mean(scored)) if scored else 0.0
    phones = [p for w in produced for p in w.phones if p.expected is not None]
    times = [(w.start, w.end) for w in produced if w.start is not None and w.end is not None]
    flu, flu_details = scoring.fluency(times, len(phones), hesitations)
    complete = scoring.completeness(len(graded), len(graded) - len(produced))
    result.scores = {
        "accuracy": accuracy, "completeness": complete, "fluency": flu * complete / 100
    }
    result.details["fluency"] = flu_details
    result.details["speech"] = {
        "start": round(clip.speech_start, 3), "end": round(clip.speech_end, 3)
    }


def _prosody(result, words, refs, targets, fa, post, clip, accent, reference_audio) -> None:
    """Pitch/energy contour vs. reference reading + stress placement (see prosody.py)."""
    try:
        full = prosody.contours(clip.samples)
        hop = prosody.HOP / SAMPLE_RATE
        start, end = _reading_span(words, clip)
        learner = prosody.renormalized(full[int(start / hop) : max(1, int(end / hop))])
        text = spoken_text(result.text or " ".join(r.text for r in refs))
        if reference_audio is None:
            ref = _espeak_reference_contour(text, accent)
        else:
            ref = prosody.contours(*_reference_wav(text, accent, reference_audio))
        pitch_sim, energy_sim = prosody.contour_similarity(learner, ref)
        stress = prosody.stress_match(_vowel_prominence(targets, fa, post, full, len(refs)))
        result.scores["prosody"] = prosody.prosody_score(pitch_sim, energy_sim, stress)
        result.details["prosody"] = {
            "pitch_similarity": round(pitch_sim, 3),
            "energy_similarity": round(energy_sim, 3),
            "stress_match": None if stress is None else round(stress, 3),
        }
    except Exception as exc:  # noqa: BLE001 - prosody is optional; never lose the rest
        result.scores["prosody"] = None
        add_warning(result.warnings, "prosody_unavailable",
                    f"prosody could not be measured: {exc}")


def _reading_span(words: list[WordResult], clip: Audio) -> tuple[float, float]:
    """From the first to the last produced word (within the voiced region): leading
    silence, room noise and trailing extra speech must not move the prosody score."""
    times = [
        (w.start, w.end) for w in words
        if w.error not in ("insertion", "omission") and w.start is not None and w.end is not None
    ]
    if not times:
        return clip.speech_start, clip.speech_end
    return max(clip.speech_start, times[0][0]), min(clip.speech_end, max(e for _, e in times))


@functools.lru_cache(maxsize=64)
def _espeak_reference_contour(text: str, accent: str) -> np.ndarray:
    """Contours of espeak's reading of the normalized spoken text. Synthesis is
    deterministic (speech.espeak), so the cache only saves time: learners repeat the
    same sentence. The arrays are shared: read-only."""
    from accent_coach.speech.espeak import synthesize

    out = prosody.contours(*synthesize(text, voice=accent))
    out.flags.writeable = False
    return out


def _reference_wav(text: str, accent: str, reference_audio: Any) -> tuple[np.ndarray, int]:
    if isinstance(reference_audio, tuple):
        return np.asarray(reference_audio[0], dtype=np.float32), int(reference_audio[1])
    ref = load_audio(reference_audio)
    return ref.samples, SAMPLE_RATE


def _vowel_prominence(targets, fa, post, contour, n_words) -> list[list[tuple[int, float, float]]]:
    words: list[list[tuple[int, float, float]]] = [[] for _ in range(n_words)]
    hop = prosody.HOP / SAMPLE_RATE
    for t, span in zip(targets, fa.spans):
        if span is None or not articulation.is_vowel(t.ipa):
            continue
        a = int(span.start * post.frame_seconds / hop)
        b = max(a + 1, int(span.end * post.frame_seconds / hop))
        energy = float(contour[a:b, 1].mean()) if a < len(contour) else 0.0
        words[t.word].append((t.stress, (span.end - span.start) * post.frame_seconds, energy))
    return words


def _overall(scores: dict[str, float | None]) -> float:
    """Weighted mean (scoring.OVERALL_WEIGHTS) over the scores that could be measured."""
    got = {k: w for k, w in scoring.OVERALL_WEIGHTS.items() if scores.get(k) is not None}
    total = sum(got.values())
    return scoring.clamp100(sum(w * scores[k] for k, w in got.items()) / total)


# ---------------------------------------------------------------------------------------
# Character models: labelled word-level fallback (no fake phone scores)
# ---------------------------------------------------------------------------------------


def _assess_chars(post: Posteriors, refs: list[RefWord], clip: Audio) -> AssessmentResult:
    from accent_coach.engine.g2p import _levenshtein_pairs

    heard = greedy_decode(post.logp, post.blank_id)
    chars = [(post.vocab[t], s, e) for t, s, e in heard]
    hwords: list[tuple[str, int, int]] = []
    cur, start, end = "", 0, 0
    for ch, s, e in chars + [("|", 0, 0)]:
        if ch in ("|", " ", "▁"):
            if cur:
                hwords.append((cur, start, end))
            cur = ""
            continue
        if not cur:
            start = s
        cur, end = cur + ch.lower(), e
    targets = ["".join(c for c in r.text.lower() if c.isalnum() or c == "'") for r in refs]
    pairs = _levenshtein_pairs(targets, [w for w, _, _ in hwords])
    fs = post.frame_seconds
    words = []
    for i, j in pairs:
        if i is None:
            w, s, e = hwords[j]
            words.append(WordResult(w, None, "insertion", _round(s * fs, 3), _round(e * fs, 3)))
            continue
        if j is None:
            words.append(WordResult(refs[i].text, 0.0, "omission", None, None))
            continue
        w, s, e = hwords[j]
        dist = sum(1 for a, b in _levenshtein_pairs(list(targets[i]), list(w))
                   if a is None or b is None or targets[i][a] != w[b])
        score = 100.0 * max(0.0, 1 - dist / max(1, len(targets[i])))
        err = "none" if score >= 60 else "mispronunciation"
        words.append(
            WordResult(refs[i].text, _round(score), err, _round(s * fs, 3), _round(e * fs, 3))
        )
    graded = [w for w in words if w.error != "insertion"]
    produced = [w for w in graded if w.error != "omission"]
    times = [(w.start, w.end) for w in produced if w.start is not None]
    n_letters = sum(len(w.text) for w in produced)
    flu, _ = scoring.fluency(times, int(n_letters * 0.8), 0)
    scores = {
        "accuracy": float(np.mean([w.score for w in produced])) if produced else 0.0,
        "completeness": scoring.completeness(len(graded), len(graded) - len(produced)),
        "fluency": flu,
        "prosody": None,
    }
    scores["overall"] = _overall(scores)
    return AssessmentResult(
        id=None, model="", text="", accent="", duration=round(clip.duration, 3), elapsed_ms=0.0,
        scores={k: _round(v) for k, v in scores.items()},
        recognized=[c for c, _, _ in chars], words=words, mode="word-fallback",
        warnings=[warning(
            "word_fallback",
            "word-level fallback: this model outputs letters, not phones, so words are "
            "checked by spelling only (no phone scores, no prosody)",
        )],
    )
