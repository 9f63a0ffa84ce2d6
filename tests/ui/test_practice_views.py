"""Display helpers and drill choice, on results shaped like the engine's to_dict()."""

from __future__ import annotations

import numpy as np

from accent_coach.practice.drills import drill_for, weakest_phone, weakest_words
from ui import plots, views


def _phone(expected, heard, score, error="none", start=0.1, end=0.2, alternatives=()):
    return {
        "expected": expected,
        "heard": heard,
        "score": score,
        "error": error,
        "start": start,
        "end": end,
        "alternatives": [{"phone": p, "prob": q} for p, q in alternatives],
    }


def _result() -> dict:
    return {
        "scores": {
            "accuracy": 71.0,
            "completeness": 100.0,
            "fluency": 64.0,
            "prosody": None,
            "overall": 70.0,
        },
        "words": [
            {
                "text": "Think",
                "score": 35.0,
                "error": "mispronunciation",
                "start": 0.1,
                "end": 0.5,
                "phones": [
                    _phone("θ", "s", 12.0, "substitution",
                           alternatives=[("s", 0.62), ("f", 0.21), ("", 0.004)]),
                    _phone("ɪ", "ɪ", 90.0, alternatives=[("iː", 0.08)]),
                    _phone("ŋ", "ŋ", 85.0),
                    _phone("k", "k", 88.0),
                ],
            },
            {
                "text": "of",
                "score": 95.0,
                "error": "none",
                "start": 0.5,
                "end": 0.6,
                "phones": [_phone("ʌ", "ʌ", 95.0), _phone("v", "v", 94.0)],
            },
            {
                "text": "three",
                "score": 55.0,
                "error": "mispronunciation",
                "start": 0.6,
                "end": 0.9,
                "phones": [
                    _phone("θ", "t", 20.0, "substitution"),
                    _phone("ɹ", "ɹ", 80.0),
                    _phone("iː", "iː", 90.0),
                ],
            },
            {
                "text": "",
                "score": None,
                "error": "insertion",
                "start": 0.9,
                "end": 1.0,
                "phones": [_phone(None, "ə", None, "insertion")],
            },
            {
                "text": "things.",
                "score": None,
                "error": "omission",
                "start": None,
                "end": None,
                "phones": [_phone("θ", None, None, "deletion", None, None)],
            },
        ],
        "tips": [
            {
                "word": "Think",
                "kind": "substitution",
                "expected": "θ",
                "heard": "s",
                "tip": "Tongue between the teeth.",
                "minimal_pair": "think / sink",
            },
            {
                "word": "things",
                "kind": "deletion",
                "expected": "θ",
                "heard": None,
                "tip": "Say every sound.",
                "minimal_pair": None,
            },
        ],
    }


def test_weakest_words_and_phone() -> None:
    result = _result()
    assert [w["text"] for w in weakest_words(result)] == ["things.", "Think", "three"]
    assert weakest_phone(result) == "θ"


def test_drill_uses_weak_words_or_a_sentence_for_the_weak_sound() -> None:
    drill = drill_for(_result())
    assert drill is not None and drill.text == "Think three things"
    single = _result()
    single["words"] = single["words"][:2]  # one weak word, weak sound θ
    drill = drill_for(single, level="beginner")
    assert drill is not None and "/θ/" in drill.reason
    from accent_coach.practice.sentences import load_sentences

    picked = next(s for s in load_sentences() if s.text == drill.text)
    assert "θ" in picked.sounds and picked.level == "beginner"
    perfect = {
        "words": [
            {"text": "of", "score": 95.0, "error": "none", "phones": [_phone("ʌ", "ʌ", 95.0)]}
        ]
    }
    assert drill_for(perfect) is None


def test_words_html_has_colour_symbol_and_escaping() -> None:
    words = _result()["words"] + [{"text": "<b>", "score": 90.0, "error": "none"}]
    out = views.words_html(words)
    assert "✗" in out and "✓" in out and "line-through" in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert plots.score_band(35.0)[1] in out


def test_phone_rows_and_tips() -> None:
    rows = views.phone_rows(_result()["words"])
    assert rows[0] == {
        "word": "Think",
        "expected": "/θ/",
        "heard": "/s/",
        "score": "12",
        "verdict": "✗ sounded like /s/",
        "likely instead": "/s/ 62 %, /f/ 21 %",  # under 1 % is left out
        "start (s)": "0.10",
        "end (s)": "0.20",
    }
    assert rows[1]["likely instead"] == ""  # only flagged sounds list other candidates
    extra = next(r for r in rows if r["expected"] == "–")
    assert extra["heard"] == "/ə/" and extra["verdict"] == "+ extra sound"
    assert extra["score"] == "–" and extra["word"] == "(between words)"
    assert all("None" not in str(v) and "none" not in str(v) for r in rows for v in r.values())
    worst = views.phone_rows(_result()["words"], worst_first=True)
    scored = [float(r["score"]) for r in worst if r["score"] != "–"]
    assert scored == sorted(scored) and worst[-1]["score"] == "–"
    lines = views.tip_lines(_result()["tips"])
    assert "/θ/ sounded like /s/" in lines[0] and "think / sink" in lines[0]
    assert "/θ/ was missing" in lines[1]


def test_word_stress_is_said_in_words_when_judged() -> None:
    word = {"text": "photo", "score": 80.0, "error": "none", "stress": "wrong",
            "stress_score": 23.0, "phones": []}
    assert "stress on the wrong syllable" in views.word_title(word)
    assert views.stress_line(word).startswith("✗ Stress") and "23/100" in views.stress_line(word)
    word.update(stress="ok", stress_score=91.0)
    assert "stress" not in views.word_title(word) and views.stress_line(word).startswith("✓")
    assert views.stress_line({"text": "cat", "stress": None}) == ""


def test_figures_show_word_spans_and_scores() -> None:
    sr = 16_000
    samples = (0.3 * np.sin(np.arange(sr) * 2 * np.pi * 220 / sr)).astype(np.float32)
    fig = plots.waveform_figure(samples, sr, _result()["words"])
    assert len(fig.layout.shapes) == 4  # omitted word has no span
    assert len(fig.data[0].x) <= 2 * plots.MAX_WAVE_POINTS + 2
    bars = plots.scores_figure(_result()["scores"])
    assert list(bars.data[0].y) == ["accuracy", "completeness", "fluency", "overall"]


def test_pitch_alignment_matches_a_slower_reading() -> None:
    """DTW should line up the same sentence read at two speeds, not unrelated speech."""
    from accent_coach.speech.espeak import synthesize

    text = "Why do vowels vary in different words?"
    fast, sr = synthesize(text, voice="us", rate_wpm=175)
    slow, _ = synthesize(text, voice="us", rate_wpm=110)
    learner, ref = plots.pitch_track(fast, sr), plots.pitch_track(slow, sr)
    warped = plots.align_reference(learner, ref)
    both = np.isfinite(warped) & np.isfinite(learner.semitones)
    assert both.sum() > 25  # half a second of voiced speech at 20 ms frames
    same = np.corrcoef(warped[both], learner.semitones[both])[0, 1]
    # the curve drawn is the reference's own melody: mirrored pitch must anti-correlate
    mirrored = plots.PitchTrack(ref.times, -ref.semitones, ref.energy)
    flipped = plots.align_reference(learner, mirrored)
    assert same > 0.6
    assert np.corrcoef(flipped[both], learner.semitones[both])[0, 1] < -0.3
    fig = plots.pitch_figure(learner, ref, _result()["words"])
    assert [t.name for t in fig.data] == ["reference", "you"]


def test_tips_are_deduplicated_ordered_and_capped() -> None:
    extra = {
        "word": "Think",
        "kind": "insertion",
        "expected": None,
        "heard": "ŋ",
        "tip": "Leave it out.",
        "minimal_pair": None,
    }
    swap = _result()["tips"][0]
    tips = [extra, dict(extra), {**extra, "heard": "z"}, swap] + [
        {**extra, "heard": f"x{i}"} for i in range(20)
    ]
    chosen = views.select_tips(tips)
    assert chosen[0] is swap  # a sound swap outranks extra sounds
    assert len(chosen) == views.MAX_TIPS
    assert len({(t["kind"], t["heard"]) for t in chosen}) == len(chosen)


def test_inserted_words_show_the_extra_sounds() -> None:
    inserted = _result()["words"][3]
    assert views.inserted_label(inserted) == "+ə"
    long = {"error": "insertion", "phones": [{"heard": "θk"}] * 10}
    assert views.inserted_label(long) == "+θkθkθkθkθkθ…"
    assert "+ə" in views.words_html([inserted])


def test_pitch_track_keeps_low_voices_voiced() -> None:
    """The ~90 Hz Piper voice and a low espeak voice must still draw a contour."""
    from accent_coach.speech.espeak import synthesize
    from accent_coach.speech.voices import piper_available, piper_synthesize

    text = "How high can the horse jump over the hedge?"
    voices = [synthesize(text, voice="us", pitch=5)]
    if piper_available():
        voices.append(piper_synthesize(text))
    for samples, sr in voices:
        track = plots.pitch_track(samples, sr)
        loud = track.energy > 0  # speech frames; coarse pitch bins left these all unvoiced
        assert np.isfinite(track.semitones[loud]).mean() > 0.15
        assert abs(np.nanmedian(track.semitones)) < 1e-6  # centred on the median
