"""Reference building time vs. text length (issue #13: linear, ≤ 50 ms per 100 words).

The texts are library sentences repeated, so espeak fuses words ("for the") all along
and the word-assignment DP runs.

    OMP_NUM_THREADS=1 python -m benchmarks.reference [--words 100 200 400 800 1600]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "accent_coach/practice/data/sentences.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--words", type=int, nargs="+", default=[100, 200, 400, 800, 1600])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    os.environ.setdefault("ACCENT_COACH_MAX_TEXT_WORDS", str(10 * max(args.words)))
    os.environ.setdefault("ACCENT_COACH_MAX_TEXT_CHARS", str(100 * max(args.words)))

    from accent_coach.engine.g2p import espeak_words, normalize_text, reference

    words = " ".join(s["text"] for s in json.loads(DATA.read_text("utf-8"))).split()
    reference("warm up")
    for n in args.words:
        text = " ".join((words * (1 + n // len(words)))[:n])
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            reference(text)
            best = min(best, time.perf_counter() - t0)
        units = [w for _, s in normalize_text(text) for w in s.split()]
        fused = len(units) - len(espeak_words(" ".join(units)))
        print(f"{n:5d} words ({fused:3d} fused by espeak): {best * 1000:7.1f} ms, "
              f"{best * 1000 / n * 100:5.1f} ms per 100 words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
