"""``accent-coach`` command line: models, cache, app, API server, worker, assessments.

Errors are one plain line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import accent_coach.runtime  # noqa: F401 - memory caps, before anything loads torch
from accent_coach import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
APP_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_models(args: argparse.Namespace) -> int:
    """Print the registry with what is usable offline right now."""
    from accent_coach.config import get_settings
    from accent_coach.speech.registry import (
        EMBEDDED,
        embedded_installed,
        hub_cached,
        registry,
        transcribers,
    )
    from accent_coach.speech.transcriber import transcriber_status

    try:
        default, default_transcriber = get_settings().model, get_settings().transcriber
    except ValueError as exc:
        return _fail(str(exc))
    print(f"{'model':42} {'kind':11} {'outputs':8} status")
    for spec in registry():
        if spec.name == EMBEDDED:
            status = "installed" if embedded_installed() else "no trained model installed yet"
        else:
            status = "in local cache" if hub_cached(spec.path_or_id) else (
                f"not downloaded (accent-coach fetch {spec.name})"
            )
        flags = " [default]" if spec.name == default else ""
        flags += " [recommended online]" if spec.recommended else ""
        print(f"{spec.name:42} {spec.kind:11} {spec.output_kind or '?':8} {status}{flags}")
    for spec in transcribers():
        status = transcriber_status(spec)
        flags = " [default]" if spec.name == default_transcriber else ""
        print(f"{spec.name:42} {spec.kind:11} {spec.output_kind or '?':8} {status}{flags}")
    print("\nAlso accepted: any other Hugging Face id of a CTC model, or a local model folder;")
    print("as transcriber: any faster-whisper model name or id, or a CTranslate2 Whisper folder.")
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download a Hugging Face model for offline use (same as ``models download``)."""
    from accent_coach.cli.service import cmd_models_download

    return cmd_models_download(args)


def cmd_app(args: argparse.Namespace) -> int:
    """Start the Streamlit app (needs the source checkout, where app.py lives)."""
    if not APP_SCRIPT.is_file():
        return _fail(f"app.py not found next to the package ({APP_SCRIPT}); run from a checkout.")
    command = [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), *args.streamlit_args]
    return subprocess.call(command, cwd=APP_SCRIPT.parent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accent-coach", description="Offline English pronunciation coach."
    )
    parser.add_argument("--version", action="version", version=f"accent-coach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("models", help="speech models: list, status, download, remove")
    p.set_defaults(func=cmd_models)
    from accent_coach.cli.service import add_models_subcommands, add_service_parsers

    add_models_subcommands(p, cmd_models)
    add_service_parsers(sub)

    p = sub.add_parser("fetch", help="download a Hugging Face model (= models download)")
    p.add_argument("model_id", help="e.g. facebook/wav2vec2-lv-60-espeak-cv-ft")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("app", help="start the Streamlit app")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="passed to streamlit run")
    p.set_defaults(func=cmd_app)

    _add_optional_commands(sub)
    return parser


def _add_optional_commands(sub: Any) -> None:
    """Sub-commands that live in their own modules."""
    try:
        from accent_coach.cli.assess import add_assess_parser
    except ImportError as exc:
        if exc.name != "accent_coach.cli.assess":
            raise
        return
    add_assess_parser(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
