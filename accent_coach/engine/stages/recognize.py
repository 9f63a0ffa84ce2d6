"""Stage 2, recognize: frame posteriors of the take, and the expected sounds in the
recognizer's own vocabulary.

Speech after the reading that the text does not need (a partial repeat, a comment)
is cut off here, so no later stage scores it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from accent_coach.engine import verification
from accent_coach.engine.alignment import forced_align, greedy_decode
from accent_coach.engine.g2p import RefWord, to_inventory
from accent_coach.engine.result_warnings import ResultWarning, add_warning
from accent_coach.engine.take import Prepared, Recognition, Target
from accent_coach.speech.posteriors import Posteriors, posteriors


def _position(k: int, n: int) -> str:
    if n == 1:
        return "S"
    return "B" if k == 0 else "E" if k == n - 1 else "I"


def targets_of(refs: list[RefWord], post: Posteriors) -> tuple[list[Target], list[ResultWarning]]:
    """The reference tokens the recognizer can hear, and a warning naming the others."""
    index = {tok: i for i, tok in enumerate(post.vocab)}
    targets, missing = [], []
    for w, ref in enumerate(refs):
        kept = []
        for ipa, stress in zip(ref.tokens, ref.stress):
            tok = to_inventory(ipa, post.vocab, post.output_kind)
            if tok is None:
                missing.append(ipa)
            else:
                kept.append((ipa, index[tok], stress))
        targets += [
            Target(w, ipa, tid, stress, _position(k, len(kept)))
            for k, (ipa, tid, stress) in enumerate(kept)
        ]
    warnings: list[ResultWarning] = []
    if missing:
        add_warning(
            warnings, "sounds_not_scored",
            "the model cannot hear these sounds, so they are not scored: "
            + " ".join(sorted(set(missing))),
        )
    return targets, warnings


def without_trailing_speech(post: Posteriors, ids: list[int]) -> tuple[Posteriors, float | None]:
    """Posteriors up to the end of the reading (see verification.reading_end), and the
    time cut at (None when the whole take is the reading)."""
    heard = greedy_decode(post.logp, post.blank_id)
    end = verification.reading_end(
        post.logp, heard, len(ids), post.frame_seconds,
        lambda logp: forced_align(logp, ids, post.blank_id).score,
    )
    if end >= len(post.logp):
        return post, None
    states = None if post.states is None else post.states[:end]
    return replace(post, logp=post.logp[:end], states=states), end * post.frame_seconds


def recognize(
    prepared: Prepared, loaded: Any, precomputed: Posteriors | None = None,
    states: bool = False,
) -> Recognition:
    """``precomputed`` reuses this clip's posteriors (one clip scored against several
    texts); otherwise the loaded recognizer runs on the clip. ``states``: keep its hidden
    states too (a learned scorer that reads them)."""
    post = precomputed if precomputed is not None else posteriors(
        loaded, prepared.clip.samples, states=states
    )
    if post.output_kind == "chars":  # letters, not phones: the word fallback needs no targets
        return Recognition(post, [], None)
    targets, warnings = targets_of(prepared.refs, post)
    post, trimmed = without_trailing_speech(post, [t.token_id for t in targets])
    if trimmed is not None:
        add_warning(warnings, "trailing_speech",
                    f"speech after {trimmed:.1f} s is not part of the sentence; not scored")
    return Recognition(post, targets, trimmed, warnings)
