"""A separate process that writes to the history database, for the crash and
concurrency tests: ``python storage_child.py URL MODE FOLDER [N]``.

``crash``: save one attempt, then start a second and pause inside its transaction
(after every row is written, before commit), telling the parent through a file; the
parent kills this process there. ``write``: wait for the parent's go file, then save N
attempts as fast as possible.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from accent_coach.storage import get_or_create_profile, open_storage, save_attempt
from tests.support.storage_samples import sample_result


def main(url: str, mode: str, folder: Path, count: int) -> None:
    storage = open_storage(url)
    profile = get_or_create_profile(storage, "Ana")
    if mode == "crash":
        save_attempt(storage, profile.id, sample_result(0))

        def pause(_session) -> None:
            (folder / "inside").write_text("writing", encoding="utf-8")
            time.sleep(120)  # killed here

        save_attempt(storage, profile.id, sample_result(1), audio=b"RIFF" * 1000,
                     before_commit=pause)
        raise SystemExit("the parent should have killed this process")
    while not (folder / "go").exists():
        time.sleep(0.005)
    for i in range(count):
        save_attempt(storage, profile.id, sample_result(i))
    print("saved", count, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
