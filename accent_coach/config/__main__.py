"""``python -m accent_coach.config --markdown [PATH]``: regenerate docs/configuration.md.

Without ``--markdown`` it prints the values in force, secrets masked (what the Settings
page shows), or the one-line message of a bad variable with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accent_coach.config import get_settings
from accent_coach.config.reference import DOCS_PATH, in_force, markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accent_coach.config",
                                     description="The ACCENT_COACH_* settings.")
    parser.add_argument("--markdown", nargs="?", const=DOCS_PATH, type=Path, metavar="PATH",
                        help=f"write the configuration reference (default: {DOCS_PATH})")
    args = parser.parse_args(argv)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(), encoding="utf-8")
        print(f"wrote {args.markdown}")
        return 0
    try:
        values = in_force(get_settings())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, value in values.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
