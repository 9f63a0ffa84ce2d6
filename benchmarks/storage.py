"""History storage figures: save time, Progress page time at 10,000 attempts, bytes/attempt.

    OMP_NUM_THREADS=1 python -m benchmarks.storage [--attempts 10000] [--url SQLALCHEMY_URL]

Without ``--url`` everything runs on fresh SQLite files in a temp folder (the default
deployment: WAL, synchronous=FULL). With ``--url`` (an *empty* database, e.g.
PostgreSQL) the save and Progress figures are measured there; sizes are SQLite only.

Attempts are realistic: an 8-word sentence with 30 scored phones, the full result
JSON; recordings are 5 s of 16 kHz 16-bit WAV (160 kB), the Practice page's format.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accent_coach import storage as S  # noqa: E402
from accent_coach.practice.weak_sounds import schedule  # noqa: E402

PHONES = ["θ", "ð", "s", "z", "ɪ", "iː", "æ", "ɛ", "ʌ", "ɹ", "l", "v", "w", "ŋ", "n", "t", "d",
          "k", "ə", "ʃ", "h", "dʒ", "j", "uː", "ʊ", "m", "p", "b"]
WAV_5S = b"RIFF" + bytes(160_000 - 4)


def result(rng: random.Random, accent: str) -> dict[str, Any]:
    """An assess()-shaped result: 8 words, 30 phones, scores varying by phone and chance."""
    words, t = [], 0.2
    for w in range(8):
        phones = []
        for _ in range(4 if w < 6 else 3):
            phone = rng.choice(PHONES)
            score = max(0.0, min(100.0, rng.gauss(40 if phone in ("θ", "ð") else 78, 15)))
            phones.append({"expected": phone, "heard": phone, "score": round(score, 1),
                           "error": "none" if score >= 40 else "substitution",
                           "start": round(t, 2), "end": round(t + 0.07, 2)})
            t += 0.07
        mean = sum(p["score"] for p in phones) / len(phones)
        words.append({"text": f"word{w}", "score": round(mean, 1), "error": "none",
                      "start": phones[0]["start"], "end": phones[-1]["end"], "phones": phones})
    overall = round(statistics.mean(w["score"] for w in words), 1)
    return {"id": None, "model": "embedded", "text": "A sentence of eight words to read aloud.",
            "accent": accent, "duration": round(t + 0.3, 2), "elapsed_ms": 230.0,
            "scores": {"accuracy": overall, "completeness": 100.0, "fluency": 72.0,
                       "prosody": 61.0, "overall": overall},
            "recognized": [p["expected"] for w in words for p in w["phones"]], "words": words,
            "feedback": [{"phone": "θ", "tip": "Put your tongue between your teeth."}],
            "tips": [], "warnings": [], "mode": "phone", "details": {}, "error": None}


def seed(store: S.Storage, profile: int, n: int, audio: bool, days: int = 365) -> None:
    """``n`` attempts over ``days`` days through ``save_attempt`` (one transaction each)."""
    rng = random.Random(0)
    start = datetime.now(UTC) - timedelta(days=days)
    for i in range(n):
        S.save_attempt(store, profile, result(rng, "uk" if i % 5 == 0 else "us"),
                       created_at=start + timedelta(days=days * i / n),
                       audio=WAV_5S if audio else None)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(first call, median of the next ``repeat``) in milliseconds."""
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return first, statistics.median(times)


def progress_page(store: S.Storage, profile: int) -> None:
    """Every query the Progress page runs on one uncached render, and its figures."""
    from ui import progress

    filters = S.Filters()
    S.history_version(store, profile)
    S.activity(store, profile, 10)
    S.accents_used(store, profile)
    progress.trend_figure(S.score_trend(store, profile, filters))
    days = S.phone_days(store, profile, filters)  # unfiltered: shared with the schedule
    stats = S.weakness_of(days)
    progress.weakness_figure(stats)
    progress.sound_change_figure(S.daily_of(days, [s.phone for s in stats[:5]]))
    schedule(store, profile, days)
    recent = S.recent_attempts(store, profile, filters, limit=50)
    S.load_attempt(store, profile, recent[0]["id"])


def save_figures(store: S.Storage, profile: int, n: int = 200) -> list[float]:
    rng = random.Random(1)
    times = []
    for _ in range(n):
        item = result(rng, "us")
        t0 = time.perf_counter()
        S.save_attempt(store, profile, item)
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)


def db_bytes(path: Path, store: S.Storage) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--url", help="an empty database to measure instead of SQLite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="accent-coach-storage-bench-"))
    try:
        run(args, folder)
    finally:
        S.close_all()
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    """Every figure, in ``folder``."""
    url = args.url or f"sqlite:///{folder / 'bench.db'}"
    store = S.open_storage(url)
    me = S.get_or_create_profile(store, "Bench").id
    print(f"database: {store.engine.dialect.name}  (CPU threads: "
          f"{os.environ.get('OMP_NUM_THREADS', '?')})")

    times = save_figures(store, me)
    print(f"save_attempt (30 phones, no audio): p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * len(times))]:.1f} ms over {len(times)}")
    t0 = time.perf_counter()
    seed(store, me, args.attempts - len(times), audio=False)
    print(f"seeded {args.attempts} attempts in {time.perf_counter() - t0:.1f} s")
    first, warm = timed(lambda: progress_page(store, me), repeat=5)
    print(f"Progress page, all queries + figures at {args.attempts} attempts: "
          f"first {first:.0f} ms, then median {warm:.0f} ms")
    _, rerun = timed(lambda: S.history_version(store, me), repeat=20)
    print(f"Progress page rerun with unchanged history (cache check only): {rerun:.1f} ms")
    S.close_all()
    if args.url:
        return
    sizes = {}
    for audio in (False, True):
        path = folder / f"size-{audio}.db"
        sized = S.open_storage(f"sqlite:///{path}")
        pid = S.get_or_create_profile(sized, "Size").id
        empty = db_bytes(path, sized)
        seed(sized, pid, 1000, audio=audio)
        sizes[audio] = (db_bytes(path, sized) - empty) / 1000
    print(f"SQLite bytes per attempt: {sizes[False] / 1000:.1f} kB without audio, "
          f"{sizes[True] / 1000:.1f} kB with a 5 s recording (160 kB WAV)")
    S.close_all()


if __name__ == "__main__":
    main()
