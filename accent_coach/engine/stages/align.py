"""Stage 3, align: where each expected sound is in the take, and what was really heard.

Two views of the same posteriors: the forced (Viterbi) path of the expected tokens
says *where* each one is; free (greedy) recognition says *what* was heard, and an
alignment of heard against expected sounds with articulatory costs says which expected
sound each heard one stands for. Sounds heard with confidence that the text does not
have become insertions (inside a word, epenthesis, or extra words).
"""

from __future__ import annotations

import numpy as np

from accent_coach.engine import articulation, verification
from accent_coach.engine.alignment import align_sequences, forced_align, greedy_decode
from accent_coach.engine.g2p import to_ipa
from accent_coach.engine.take import Alignment, Insertion, Recognition, Target

WORD_TAIL_SECONDS = 0.1  # a word's last phone lasts at most this long past its CTC spike
INSERT_CONFIDENCE = 0.7  # an extra sound counts only if the recognizer was this sure
EPENTHESIS_GAP = 0.15  # s: a vowel this close after a final consonant is epenthetic
BLOCK_TOKENS = 40  # NW runs per block of reference tokens, so long clips stay linear


def align(recognition: Recognition) -> Alignment:
    post, targets = recognition.post, recognition.targets
    ids = [t.token_id for t in targets]
    fa = forced_align(post.logp, ids, post.blank_id)
    # <unk> and other <special> tokens are not sounds: never shown as heard
    heard = [h for h in greedy_decode(post.logp, post.blank_id)
             if not post.vocab[h[0]].startswith("<")]
    recognized = [to_ipa(post.vocab[tok], post.output_kind) for tok, _, _ in heard]
    pairs = heard_vs_expected(targets, heard, recognized, fa)
    heard_at = heard_per_target(targets, recognized, pairs)
    return Alignment(
        fa=fa, heard=heard, recognized=recognized, pairs=pairs, heard_at=heard_at,
        times=_times(targets, fa, post.frame_seconds, len(post.logp)),
        insertions=_insertions(targets, heard, recognized, post.logp, fa, pairs,
                               post.frame_seconds),
        match=verification.text_match(post.logp, fa.score, heard_at),
        certainty=verification.certainty(post.logp, post.blank_id),
    )


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


def heard_vs_expected(targets, heard, recognized, fa) -> list[tuple[int | None, int | None]]:
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


def _times(targets: list[Target], fa, fs: float, n_frames: int):
    """Per target (start, end) in seconds: a phone lasts until the next one of its word
    starts; CTC fires near a phone's onset, so a word's last phone rings on a little."""
    out: list[tuple[float | None, float | None]] = []
    for k, t in enumerate(targets):
        span = fa.spans[k]
        if span is None:
            out.append((None, None))
            continue
        nxt = fa.spans[k + 1] if k + 1 < len(targets) else None
        if nxt is not None and targets[k + 1].word == t.word:
            end = nxt.start * fs
        else:
            tail = span.end + int(round(WORD_TAIL_SECONDS / fs))
            end = min(tail, nxt.start if nxt is not None else n_frames) * fs
        out.append((span.start * fs, end))
    return out


def _insertions(targets, heard, recognized, logp, fa, pairs, fs) -> list[Insertion]:
    """Sounds heard but not expected: inside a word, epenthesis, or extra words.

    Between words, a single confident vowel right after a word-final consonant is
    epenthesis (attached to that word); a run with a vowel, or two or more
    consonants, is an inserted word / hesitation; one stray consonant is ignored
    (co-articulation).
    """
    conf = [float(np.exp(logp[s:e, tok].max())) for tok, s, e in heard]
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
    out = []
    for before, js in runs:
        after = before + 1
        vowels = [articulation.is_vowel(recognized[j]) for j in js]
        if 0 <= before and after < len(targets) and targets[before].word == targets[after].word:
            out.append(Insertion(before, js, "inside"))
        elif _epenthetic(before, js, vowels, targets, heard, fa, fs):
            out.append(Insertion(before, js, "epenthesis"))
        elif any(vowels) or len(js) >= 2:
            out.append(Insertion(before, js, "word"))
    return out


def _epenthetic(before, js, vowels, targets, heard, fa, fs) -> bool:
    if before < 0 or len(js) != 1 or not vowels[0]:
        return False
    if not articulation.is_consonant(targets[before].ipa) or fa.spans[before] is None:
        return False
    return (heard[js[0]][1] - fa.spans[before].end) * fs <= EPENTHESIS_GAP
