"""Stage 6, explain: the scores as a learner reads them.

Which sound was expected, which was heard instead (or nothing), the likeliest other
sounds, each word's verdict, extra sounds and words, tips on how to fix what went
wrong, and the warnings that say when to take the scores with caution.
"""

from __future__ import annotations

from accent_coach.engine import feedback
from accent_coach.engine.audio import Audio
from accent_coach.engine.g2p import to_ipa
from accent_coach.engine.result import (
    TEXT_MISMATCH_MESSAGE,
    Alternative,
    AssessmentResult,
    PhoneResult,
    WordResult,
    rounded,
)
from accent_coach.engine.result_warnings import ResultWarning, add_warning
from accent_coach.engine.stages.featurize import is_deletion
from accent_coach.engine.take import Take

SEVERE_PHONE_BELOW = 10.0  # rules: one phone this bad marks its word mispronounced
# Learned scorer: a sound that free recognition heard as another one *and* whose hand-set
# score is below this is flagged whatever the scorer predicts — a clear substitution in
# speech unlike the scorer's training takes (another L1, a synthetic voice: it passed
# "they" read for "day" at 85) must not pass. On the 125 cross-fitted speakers this
# moves flag precision 0.600 → 0.591 and recall 0.566 → 0.572 (out-of-fold predictions).
CLEAR_SUBSTITUTION_BELOW = 15.0
NOT_SPEECH_HEARD = 0.25  # heard fewer sounds than this share of the expected ones
CUT_OFF_EDGE = 0.15  # s: speech this close to the end of the clip runs into the cut
CUT_OFF_MISSING = 0.25  # share of words at the end of the text that were not said
CUT_OFF_HEARD = 0.7  # ... or the recognizer heard less than this share of the sounds


def explain(take: Take, warnings: list[ResultWarning]) -> AssessmentResult:
    prepared, rec, ali = take.prepared, take.recognition, take.alignment
    feats, scores = take.features, take.scores
    assert rec is not None and ali is not None and feats is not None and scores is not None
    post = rec.post
    words = [WordResult(r.text, None, "none", None, None, []) for r in prepared.refs]
    flagged = []
    for k, t in enumerate(rec.targets):
        score = scores.phone[k]
        other = ali.heard_at[k]
        if scores.flags.rules:
            bad = score < scores.flags.phone_below or bool(other and feats.lpr[k] < 0)
        else:  # the learned verdict, and a safety net for clear substitutions: see below
            bad = score < scores.flags.phone_below or bool(
                other and feats.rule_phone[k] < CLEAR_SUBSTITUTION_BELOW)
        flagged.append(bad)
        if not bad:
            error, heard = "none", t.ipa
        elif other:  # both free recognition and the scorer say another sound: report it
            error, heard = "substitution", other
        elif is_deletion(bad, other, feats.best_alt[k]):
            error, heard = "deletion", None
        else:
            error = "substitution"
            heard = to_ipa(post.vocab[feats.best_alt[k]], post.output_kind)
        start, end = ali.times[k]
        words[t.word].phones.append(PhoneResult(
            t.ipa, heard, rounded(score), error, rounded(start, 3), rounded(end, 3),
            alternatives=[Alternative(p, round(prob, 3)) for p, prob in feats.alternatives[k]],
        ))
    for w, word in enumerate(words):
        _grade_word(word, w, scores, feats.omitted[w])
    _insert_extra_sounds(words, take)
    result = AssessmentResult(
        id=None, model="", text=prepared.text, accent=prepared.accent,
        duration=round(prepared.clip.duration, 3), elapsed_ms=0.0, scores={},
        recognized=ali.recognized, words=_ordered(words), feedback=[], warnings=warnings,
    )
    result.feedback = tips(result.words)
    result.details["text_match"] = ali.match.to_dict()
    result.details["certainty"] = round(ali.certainty, 1)
    result.details.update(feats.details)
    result.details["scorer"] = scores.scorer
    if scores.fallback:
        result.details["scorer_fallback"] = scores.fallback
    if ali.match.mismatch:
        add_warning(result.warnings, "text_mismatch", TEXT_MISMATCH_MESSAGE)
    measured = feats.rule.get("prosody") is not None
    result.scores = {k: rounded(v) for k, v in scores.utterance.items()}
    if not measured:
        result.scores["prosody"] = None
    return result


def _grade_word(word: WordResult, w: int, scores, omitted: bool) -> None:
    scored = [p for p in word.phones if p.expected is not None and p.score is not None]
    if not scored:
        word.score, word.error = None, "omission"
        return
    word.score = rounded(scores.word[w])
    word.total = rounded(scores.word_total[w])
    word.stress_score = rounded(scores.word_stress[w])
    flags = scores.flags
    if word.stress_score is not None and flags.stress_below is not None:
        word.stress = "wrong" if word.stress_score < flags.stress_below else "ok"
    starts = [p.start for p in scored if p.start is not None]
    ends = [p.end for p in scored if p.end is not None]
    word.start = min(starts) if starts else None
    word.end = max(ends) if ends else None
    low = word.score is not None and word.score < flags.word_below
    if flags.rules:
        bad = low or min(p.score for p in scored) < SEVERE_PHONE_BELOW
    else:  # the experts' word verdict alone: one accented sound leaves a word "accented"
        bad = low  # (their 7–9), not mispronounced; the sound is still flagged in it
    word.error = "omission" if omitted else "mispronunciation" if bad else "none"


def _insert_extra_sounds(words: list[WordResult], take: Take) -> None:
    """Inside a word and epenthesis join that word; runs between words become words."""
    rec, ali = take.recognition, take.alignment
    fs = rec.post.frame_seconds
    for ins in ali.insertions:
        phones = [
            PhoneResult(None, ali.recognized[j], None, "insertion",
                        rounded(ali.heard[j][1] * fs, 3), rounded(ali.heard[j][2] * fs, 3))
            for j in ins.heard
        ]
        if ins.kind == "word":
            words.append(
                WordResult("", None, "insertion", phones[0].start, phones[-1].end, phones)
            )
        else:
            words[rec.targets[ins.before].word].phones.extend(phones)


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


def tips(words: list[WordResult]) -> list[feedback.Tip]:
    out = []
    for w in words:
        if w.error == "insertion":
            heard = "".join(p.heard or "" for p in w.phones)
            out.append(feedback.insertion_tip("", heard))
            continue
        expected_phones = [p for p in w.phones if p.expected is not None]
        for p in w.phones:
            if p.error == "substitution" and p.expected and p.heard:
                out.append(feedback.substitution_tip(w.text, p.expected, p.heard))
            elif p.error == "deletion" and p.expected:
                final = bool(expected_phones) and p is expected_phones[-1]
                out.append(feedback.deletion_tip(w.text, p.expected, final))
            elif p.error == "insertion" and p.heard:
                out.append(feedback.insertion_tip(w.text, p.heard))
    return out


def take_warnings(result: AssessmentResult, clip: Audio) -> None:
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
