"""Stage 4, featurize: every measurement a scorer reads, per expected sound and per take.

Per expected sound (a row of ``Features.phone``, layout ``phone_layout(V)``):

* GOP margins: LL(expected) − LL(x) of the local CTC sequence for every sound x of the
  recognizer's inventory and for leaving the sound out (scoring.phone_gops) — how much
  better the expected sound explains the audio than each alternative (GOPT's LPR
  vector, computed the CTC way);
* the mean posterior of every sound over the phone's region (blank removed);
* the hand-set GOP score, its log-posterior ratio, the duration (absolute and relative
  to the take's mean), whether free recognition heard it / another sound / nothing,
  its place in the word, its lexical stress, vowel or consonant.

Per take (``Features.utterance``, names ``UTTERANCE_FEATURES``): reading time, rate,
pauses, hesitations, inserted sounds, completeness, how well the speech matches the
text, recognizer certainty, pitch and energy against a reference reading, stress
placement, pitch range, and the hand-set sentence scores.

The hand-set measures (``rule_*``) are themselves features: the rules scorer reports
them as they are, the learned scorer reads them with everything else. Training runs
this same function on the corpus (``training/scorer.py``), so the learned scorer's
inputs at training and run time are computed by one piece of code.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from accent_coach.engine import articulation, prosody, scoring
from accent_coach.engine.audio import SAMPLE_RATE, Audio
from accent_coach.engine.g2p import spoken_text, to_ipa
from accent_coach.engine.result_warnings import ResultWarning, add_warning
from accent_coach.engine.take import Alignment, Features, Prepared, Recognition, Target
from accent_coach.speech.posteriors import Posteriors

FEATURES_VERSION = "1"  # bump when a feature's meaning or order changes
OMISSION_SHARE = 0.5  # a word is omitted when at least half its phones were deleted
MARGIN_CLIP = 30.0  # nats: beyond this an alternative is simply impossible
N_ALTERNATIVES = 3
_SCALARS = (
    "lpr", "rule_score", "log_seconds", "log_relative_duration", "heard_same",
    "heard_other", "heard_nothing", "pos_B", "pos_I", "pos_E", "pos_S", "stress_0",
    "stress_1", "stress_2", "vowel", "canonical_posterior", "aligned", "mismatch",
)
UTTERANCE_FEATURES = (
    "duration", "reading_seconds", "n_words", "n_phones", "rate", "articulation_rate",
    "pauses_per_10s", "pause_share", "longest_pause", "hesitations", "inserted_per_phone",
    "completeness", "heard_share", "gap_per_phone", "certainty", "trimmed", "lead_silence",
    "trail_silence", "pitch_similarity", "energy_similarity", "stress_match",
    "stress_judged", "pitch_range", "voiced_share", "prosody_measured", "rule_accuracy",
    "rule_fluency", "rule_prosody", "mean_lpr", "rule_error_share",
)


def phone_layout(vocab_size: int) -> list[str]:
    """Column names of ``Features.phone`` for a vocabulary of ``vocab_size`` tokens."""
    return (
        [f"margin_{i}" for i in range(vocab_size)] + ["margin_deletion"]
        + [f"posterior_{i}" for i in range(vocab_size)] + list(_SCALARS)
    )


def candidates(post: Posteriors) -> list[int]:
    """Token ids that are phones (no blank, no <special>, no word delimiter)."""
    out = []
    for i, tok in enumerate(post.vocab):
        if i == post.blank_id or not tok or tok.startswith("<") or tok.strip() in ("", "|"):
            continue
        out.append(i)
    return out


def accepted_variants(post: Posteriors, ids: list[int]) -> dict[int, set[int]]:
    """Per reference token id, the ids of its accent variants in this vocabulary."""
    index = {to_ipa(tok, post.output_kind): i for i, tok in enumerate(post.vocab)}
    out = {}
    for i in set(ids):
        ipa = to_ipa(post.vocab[i], post.output_kind)
        out[i] = {index[v] for v in articulation.variants(ipa) if v in index and index[v] != i}
    return out


def featurize(
    prepared: Prepared,
    recognition: Recognition,
    alignment: Alignment,
    *,
    with_prosody: bool = True,
    reference_audio: Any = None,
    warnings: list[ResultWarning] | None = None,
) -> Features:
    post, targets = recognition.post, recognition.targets
    ids = [t.token_id for t in targets]
    cands = candidates(post)
    accepted = accepted_variants(post, ids)
    gops = scoring.phone_gops(
        post.logp, ids, alignment.fa, cands, post.blank_id, accepted,
        matches=[h == "" for h in alignment.heard_at],
    )
    rule_errors = [_rule_error(g, h) for g, h in zip(gops, alignment.heard_at)]
    n_words = len(prepared.refs)
    omitted = _omitted(targets, gops, rule_errors, alignment.heard_at, n_words)
    produced = [w for w in range(n_words) if not omitted[w]]
    if alignment.match.mismatch:  # forced alignment always "finds" every word
        heard = _heard_words(targets, alignment.heard_at, n_words)
        produced = [w for w in produced if heard[w]]
    times = _word_times(targets, alignment.times, n_words)
    produced_times = [times[w] for w in produced if times[w] is not None]
    hesitations = sum(1 for ins in alignment.insertions if ins.kind == "word")
    n_produced_phones = sum(1 for t in targets if t.word in set(produced))
    flu, flu_details = scoring.fluency(produced_times, n_produced_phones, hesitations)
    complete = scoring.completeness(n_words, n_words - len(produced))
    rule = {
        "accuracy": float(np.mean([g.score for g in gops])) if gops else 0.0,
        "completeness": complete,
        "fluency": flu * complete / 100,
    }
    clip = prepared.clip
    details: dict[str, Any] = {
        "fluency": flu_details,
        "speech": {"start": round(clip.speech_start, 3), "end": round(clip.speech_end, 3)},
    }
    prosodic = _prosody(prepared, targets, alignment, post, times, omitted, reference_audio,
                        warnings) if with_prosody else None
    rule["prosody"] = None if prosodic is None else prosodic["score"]
    if prosodic is not None:
        details["prosody"] = {k: prosodic[k] for k in
                              ("pitch_similarity", "energy_similarity", "stress_match")}
    regions = _regions(targets, alignment)
    phone = _phone_matrix(post, targets, alignment, gops, cands, regions)
    utterance = _utterance_vector(
        prepared, recognition, alignment, gops, rule, rule_errors, flu_details,
        produced_times, prosodic, n_produced_phones,
    )
    return Features(
        phone=phone, utterance=utterance, lpr=[g.lpr for g in gops],
        best_alt=[g.best_alt for g in gops],
        alternatives=[_alternatives(g, t, cands, accepted, post) for g, t in zip(gops, targets)],
        rule_phone=[g.score for g in gops], omitted=omitted, produced_times=produced_times,
        hesitations=hesitations, rule=rule, details=details,
        states=_pooled_states(post, regions),
    )


def _rule_error(g: scoring.PhoneGOP, other: str | None) -> bool:
    """The hand-set verdict: a low GOP score, or another sound heard where GOP agrees."""
    return g.score < scoring.PHONE_ERROR_BELOW or bool(other and g.lpr < 0)


def is_deletion(bad: bool, heard: str | None, best_alt: int | None) -> bool:
    """A wrong sound is a deletion when nothing else was heard in its place and leaving it
    out explains the audio best."""
    return bad and not heard and best_alt is None


def _omitted(targets: list[Target], gops, rule_errors, heard_at, n_words: int) -> list[bool]:
    """Per word: no sound of it can be scored, or at least half its sounds were deleted
    and its hand-set word score is low (scoring.word_score)."""
    scores: list[list[float]] = [[] for _ in range(n_words)]
    deleted = [0] * n_words
    for t, g, bad, heard in zip(targets, gops, rule_errors, heard_at):
        scores[t.word].append(g.score)
        deleted[t.word] += is_deletion(bad, heard, g.best_alt)
    out = []
    for w in range(n_words):
        if not scores[w]:
            out.append(True)
            continue
        low = scoring.word_score(scores[w]) < scoring.WORD_ERROR_BELOW
        out.append(low and deleted[w] >= OMISSION_SHARE * len(scores[w]))
    return out


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


def _word_times(targets, times, n_words: int) -> list[tuple[float, float] | None]:
    starts: list[list[float]] = [[] for _ in range(n_words)]
    ends: list[list[float]] = [[] for _ in range(n_words)]
    for t, (s, e) in zip(targets, times):
        if s is not None:
            starts[t.word].append(round(s, 3))
        if e is not None:
            ends[t.word].append(round(e, 3))
    return [(min(s), max(e)) if s and e else None for s, e in zip(starts, ends)]


def _regions(targets, alignment) -> list[tuple[int, int] | None]:
    """Frames of each sound: from its CTC spike to the next sound's (or its own end)."""
    out: list[tuple[int, int] | None] = []
    spans = alignment.fa.spans
    for k in range(len(targets)):
        span = spans[k]
        if span is None:
            out.append(None)
            continue
        nxt = spans[k + 1] if k + 1 < len(targets) else None
        hi = max(span.end, nxt.start) if nxt is not None else span.end
        out.append((span.start, max(span.start + 1, hi)))
    return out


def _pooled_states(post, regions) -> np.ndarray | None:
    """Mean recognizer state over each sound's frames (zeros where it was not aligned)."""
    if post.states is None:
        return None
    out = np.zeros((len(regions), post.states.shape[1]), dtype=np.float32)
    for k, region in enumerate(regions):
        if region is not None and region[0] < len(post.states):
            out[k] = post.states[region[0] : region[1]].mean(axis=0)
    return out


def _phone_matrix(post, targets, alignment, gops, cands, regions) -> np.ndarray:
    vocab = len(post.vocab)
    layout = phone_layout(vocab)
    out = np.zeros((len(targets), len(layout)), dtype=np.float32)
    if not targets:
        return out
    fs = post.frame_seconds
    probs = np.exp(post.logp)
    durations = [max(fs, e - s) if s is not None and e is not None else fs
                 for s, e in alignment.times]
    mean_duration = float(np.mean(durations))
    base = 2 * vocab + 1
    col = {name: base + k for k, name in enumerate(_SCALARS)}
    cand_cols = np.asarray(cands, dtype=np.int64)
    for k, (t, g) in enumerate(zip(targets, gops)):
        row = out[k]
        if g.margins is not None:
            m = np.clip(g.margins, -MARGIN_CLIP, MARGIN_CLIP) / 10.0
            row[cand_cols] = m[:-1]
            row[vocab] = m[-1]
        if regions[k] is not None:
            lo, hi = regions[k]
            region = probs[lo:hi].mean(axis=0)
            region[post.blank_id] = 0.0
            region /= max(float(region.sum()), 1e-6)
            row[vocab + 1 : vocab + 1 + vocab] = region
            row[col["canonical_posterior"]] = region[t.token_id]
            row[col["aligned"]] = 1.0
        heard = alignment.heard_at[k]
        row[col["lpr"]] = float(np.clip(g.lpr, -MARGIN_CLIP, MARGIN_CLIP)) / 10.0
        row[col["rule_score"]] = g.score / 100.0
        row[col["log_seconds"]] = float(np.log(durations[k]))
        row[col["log_relative_duration"]] = float(np.log(durations[k] / mean_duration))
        row[col["heard_same"]] = heard == ""
        row[col["heard_other"]] = bool(heard)
        row[col["heard_nothing"]] = heard is None
        row[col[f"pos_{t.position}"]] = 1.0
        row[col[f"stress_{t.stress}"]] = 1.0
        row[col["vowel"]] = articulation.is_vowel(t.ipa)
        row[col["mismatch"]] = alignment.match.mismatch
    return out


def _alternatives(g, target: Target, cands, accepted, post) -> list[tuple[str, float]]:
    """The likeliest other sounds in this place, with their share of the likelihood of
    all candidates (the expected sound and leaving it out included)."""
    if g.margins is None:
        return []
    ll = -g.margins.astype(np.float64)  # LL(x) − LL(expected)
    p = np.exp(ll - ll.max())
    p /= p.sum()
    same = {target.token_id, *accepted.get(target.token_id, set())}
    ranked = []
    for k in np.argsort(-p):
        if k == len(cands):
            ranked.append(("", float(p[k])))
        elif cands[k] not in same:
            ranked.append((to_ipa(post.vocab[cands[k]], post.output_kind), float(p[k])))
        if len(ranked) == N_ALTERNATIVES:
            break
    return ranked


def _prosody(prepared, targets, alignment, post, times, omitted, reference_audio, warnings):
    """Pitch/energy contour vs. a reference reading + stress placement (prosody.py); None
    (with a warning) when it cannot be measured — prosody never costs the other scores."""
    try:
        clip = prepared.clip
        full = prosody.contours(clip.samples)
        hop = prosody.HOP / SAMPLE_RATE
        start, end = _reading_span(times, omitted, clip)
        learner = prosody.renormalized(full[int(start / hop) : max(1, int(end / hop))])
        text = spoken_text(prepared.text or " ".join(r.text for r in prepared.refs))
        if reference_audio is None:
            ref = espeak_reference_contour(text, prepared.accent)
        else:
            ref = prosody.contours(*_reference_wav(reference_audio))
        pitch_sim, energy_sim = prosody.contour_similarity(learner, ref)
        stress = prosody.stress_match(
            _vowel_prominence(targets, alignment.fa, post, full, len(prepared.refs))
        )
        voiced = np.isfinite(learner[:, 0])
        return {
            "score": prosody.prosody_score(pitch_sim, energy_sim, stress),
            "pitch_similarity": round(pitch_sim, 3),
            "energy_similarity": round(energy_sim, 3),
            "stress_match": None if stress is None else round(stress, 3),
            "pitch_range": float(np.nanstd(learner[voiced, 0])) if voiced.sum() > 2 else 0.0,
            "voiced_share": float(voiced.mean()) if len(voiced) else 0.0,
        }
    except Exception as exc:  # noqa: BLE001 - prosody is optional; never lose the rest
        if warnings is not None:
            add_warning(warnings, "prosody_unavailable", f"prosody could not be measured: {exc}")
        return None


def _reading_span(times, omitted, clip: Audio) -> tuple[float, float]:
    """From the first to the last produced word (within the voiced region): leading
    silence, room noise and trailing extra speech must not move the prosody score."""
    spans = [t for t, gone in zip(times, omitted) if t is not None and not gone]
    if not spans:
        return clip.speech_start, clip.speech_end
    return max(clip.speech_start, spans[0][0]), min(clip.speech_end, max(e for _, e in spans))


@functools.lru_cache(maxsize=64)
def espeak_reference_contour(text: str, accent: str) -> np.ndarray:
    """Contours of espeak's reading of the normalized spoken text. Synthesis is
    deterministic (speech.espeak), so the cache only saves time: learners repeat the
    same sentence. The arrays are shared: read-only."""
    from accent_coach.speech.espeak import synthesize

    out = prosody.contours(*synthesize(text, voice=accent))
    out.flags.writeable = False
    return out


def _reference_wav(reference_audio: Any) -> tuple[np.ndarray, int]:
    from accent_coach.engine.audio import load_audio

    if isinstance(reference_audio, tuple):
        return np.asarray(reference_audio[0], dtype=np.float32), int(reference_audio[1])
    return load_audio(reference_audio).samples, SAMPLE_RATE


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


def _utterance_vector(prepared, recognition, alignment, gops, rule, rule_errors, flu,
                      produced_times, prosodic, n_phones) -> np.ndarray:
    clip = prepared.clip
    reading = (produced_times[-1][1] - produced_times[0][0]) if produced_times else 0.0
    gaps = [b[0] - a[1] for a, b in zip(produced_times, produced_times[1:])]
    per10 = 10.0 / max(10.0, reading)
    inserted = sum(len(ins.heard) for ins in alignment.insertions)
    n_targets = max(1, len(recognition.targets))
    p = prosodic or {}
    stress = p.get("stress_match")
    values = {
        "duration": clip.duration,
        "reading_seconds": reading,
        "n_words": len(prepared.refs),
        "n_phones": len(recognition.targets),
        "rate": n_phones / max(reading, 0.05),
        "articulation_rate": flu["rate"],
        "pauses_per_10s": flu["pauses"] * per10,
        "pause_share": flu["pause_seconds"] / max(reading, 0.05),
        "longest_pause": max(gaps, default=0.0),
        "hesitations": flu["hesitations"] * per10,
        "inserted_per_phone": inserted / n_targets,
        "completeness": rule["completeness"] / 100,
        "heard_share": alignment.match.heard_share,
        "gap_per_phone": min(alignment.match.gap_per_phone, 50.0),
        "certainty": alignment.certainty / 100,
        "trimmed": recognition.trimmed_at is not None,
        "lead_silence": clip.speech_start,
        "trail_silence": max(0.0, clip.duration - clip.speech_end),
        "pitch_similarity": p.get("pitch_similarity", 0.0),
        "energy_similarity": p.get("energy_similarity", 0.0),
        "stress_match": 0.0 if stress is None else stress,
        "stress_judged": stress is not None,
        "pitch_range": p.get("pitch_range", 0.0),
        "voiced_share": p.get("voiced_share", 0.0),
        "prosody_measured": prosodic is not None,
        "rule_accuracy": rule["accuracy"] / 100,
        "rule_fluency": rule["fluency"] / 100,
        "rule_prosody": (rule["prosody"] or 0.0) / 100,
        "mean_lpr": float(np.mean([np.clip(g.lpr, -MARGIN_CLIP, MARGIN_CLIP) for g in gops]))
        / 10 if gops else 0.0,
        "rule_error_share": sum(rule_errors) / n_targets,
    }
    vec = np.array([float(values[name]) for name in UTTERANCE_FEATURES], dtype=np.float32)
    return np.nan_to_num(vec, nan=0.0, posinf=50.0, neginf=-50.0)
