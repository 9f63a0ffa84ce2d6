"""`accent-coach assess`: score a recording (or a batch manifest) from the command line.

Exit codes: 0 ok, 1 the item could not be assessed (bad audio/text), 2 usage
error, 3 model could not be loaded, 4 batch finished with some failed items,
130 interrupted (SIGINT/SIGTERM; a batch keeps the lines done so far).
Errors are one plain line on stderr — no tracebacks; with ``--json`` a failed single
item also prints ``{"error": {"code", "message"}}`` on stdout, the shape batch lines use.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from accent_coach.accents import NAMES, get_accent
from accent_coach.errors import InputError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_MODEL, EXIT_PARTIAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


def add_assess_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``assess`` sub-command on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "assess",
        help="score pronunciation of a recording against a text",
        description="Score how AUDIO reads TEXT: phone, word and sentence scores with tips.",
    )
    p.add_argument("audio", nargs="?", help="recording (wav, flac, ogg, mp3, webm, m4a)")
    p.add_argument("--text", "-t", help="the text that was read aloud")
    p.add_argument("--accent", default="us", help=f"target accent: {', '.join(NAMES)}")
    p.add_argument("--model", "-m", default=None, help="model name (default: embedded)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--batch", metavar="MANIFEST", help='JSONL lines {"id","audio","text"}')
    p.add_argument("--out", metavar="RESULTS", help="JSONL output of --batch")
    p.add_argument("--resume", action="store_true",
                   help="with --batch: append to --out, skipping ids already there")
    p.add_argument("--no-prosody", action="store_true", help="skip prosody (faster)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show third-party progress bars and warnings (model loading)")
    p.set_defaults(func=run_assess)
    return p


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def quiet_third_parties() -> None:
    """No progress bars ("Loading weights 84/84 …") or advisory warnings from Hugging Face
    libraries on stderr: set before they are imported, overridable from the environment."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def run_assess(args: argparse.Namespace) -> int:
    """Entry point of the sub-command; returns the process exit code."""
    if not getattr(args, "verbose", False):
        quiet_third_parties()
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)


def _dispatch(args: argparse.Namespace) -> int:
    try:  # the engine's check and code (accent_unknown); a usage error here, as argparse's
        get_accent(args.accent)
    except InputError as exc:
        return _failed_item(exc, args, EXIT_USAGE)
    if args.batch:
        if args.audio or args.text:
            return _fail("--batch takes no AUDIO or --text (they come from the manifest)",
                         EXIT_USAGE)
        if not args.out:
            return _fail("--batch needs --out RESULTS.jsonl", EXIT_USAGE)
        return _run_batch(args)
    if not args.audio:
        return _fail("give an AUDIO file (or --batch MANIFEST --out RESULTS)", EXIT_USAGE)
    if args.text is None:
        return _fail('give the text that was read: --text "..."', EXIT_USAGE)
    return _run_single(args)


def _load(model: str | None) -> tuple[Any, str | None]:
    """The recognizer; the embedded one is built without importing transformers (a
    one-shot command would spend most of its time on that import)."""
    try:
        from accent_coach.speech.loaders.recognizer import prefer_light_loading
        from accent_coach.speech.manager import get_manager

        prefer_light_loading()
        return get_manager().load_model(model), None
    except Exception as exc:  # noqa: BLE001 - reported as one line, exit code 3
        return None, f"could not load model {model or '(default)'}: {exc}"


def _failed_item(exc: Any, args: argparse.Namespace, code: int) -> int:
    """One line on stderr; with --json also the error object batch lines carry."""
    if args.json:
        print(json.dumps({"id": None, "error": exc.to_dict()}, ensure_ascii=False))
    return _fail(str(exc), code)


def _run_single(args: argparse.Namespace) -> int:
    from accent_coach.engine.assess import assess
    from accent_coach.engine.audio import load_audio
    from accent_coach.engine.g2p import reference
    from accent_coach.errors import AccentCoachError

    try:  # check input before paying for the model load; the reference is built once
        refs = reference(args.text, args.accent)
        clip = load_audio(args.audio)
    except AccentCoachError as exc:
        return _failed_item(exc, args, EXIT_INPUT)
    loaded, err = _load(args.model)
    if err:
        return _fail(err, EXIT_MODEL)
    try:
        result = assess(clip.samples, args.text, accent=args.accent, loaded=loaded,
                        with_prosody=not args.no_prosody, references=refs)
    except AccentCoachError as exc:
        return _failed_item(exc, args, EXIT_INPUT)
    except Exception as exc:  # noqa: BLE001
        return _fail(f"assessment failed: {type(exc).__name__}: {exc}", EXIT_INPUT)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(result.to_dict()))
    return EXIT_OK


def _stop_on_sigterm() -> None:
    """SIGTERM ends a batch like Ctrl-C: after the lines written so far, no traceback."""
    from accent_coach.engine.batch import BatchInterrupted

    def handler(_signum, _frame):
        raise BatchInterrupted

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (tests calling main() from a worker)
        return
    # A blocked signal mask is inherited across exec: a batch started by a process that
    # blocks SIGTERM (some supervisors, thread pools) would never see the signal.
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


def _run_batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from accent_coach.engine.batch import ManifestError, assess_batch, same_file

    if not Path(args.batch).is_file():
        return _fail(f"manifest not found: {args.batch}", EXIT_USAGE)
    if Path(args.out).exists() and same_file(args.batch, args.out):
        return _fail("--out is the manifest itself; choose another output file", EXIT_USAGE)
    from accent_coach.engine.batch import BatchInterrupted

    _stop_on_sigterm()  # before the model loads: no moment where SIGTERM kills mid-way
    try:
        loaded, err = _load(args.model)
    except (KeyboardInterrupt, BatchInterrupted):
        return _fail("interrupted while loading the model; nothing assessed",
                     EXIT_INTERRUPTED)
    if err:
        return _fail(err, EXIT_MODEL)
    try:
        counts = assess_batch(args.batch, args.out, accent=args.accent, loaded=loaded,
                              with_prosody=not args.no_prosody, resume=args.resume)
    except ManifestError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        return _fail(f"cannot read/write batch files: {exc}", EXIT_USAGE)
    skipped = f", {counts['skipped']} already done" if counts["skipped"] else ""
    summary = f"{counts['ok']} assessed, {counts['failed']} failed{skipped} → {args.out}"
    if counts["interrupted"]:
        return _fail(f"interrupted; {summary} (rerun with --resume to continue)",
                     EXIT_INTERRUPTED)
    print(summary, file=sys.stderr)
    return EXIT_PARTIAL if counts["failed"] else EXIT_OK


def _fmt(x: Any) -> str:
    return "  –" if x is None else f"{x:5.1f}"


def format_report(d: dict) -> str:
    """Human-readable summary: sentence scores, per-word verdicts, tips."""
    details = d.get("details") or {}
    certainty = details.get("certainty")
    lines = [
        f"model {d['model']}  ·  {d['duration']:.2f} s  ·  {d['elapsed_ms']:.0f} ms"
        + ("" if certainty is None else f"  ·  recognizer certainty {certainty:.0f}/100")
    ]
    if (details.get("text_match") or {}).get("mismatch"):
        lines.append("!! This does not sound like the sentence — did you read the right text?")
        lines.append("!! The scores below assume you did; completeness counts only words heard.")
    if d.get("mode") == "word-fallback":
        lines.append("(word-level fallback: character model, no phone scores)")
    s = d["scores"]
    lines.append("  ".join(f"{k} {_fmt(s.get(k))}" for k in
                           ("overall", "accuracy", "fluency", "completeness", "prosody")))
    lines.append("")
    for w in d["words"]:
        mark = {"none": "✓", "mispronunciation": "✗", "omission": "∅", "insertion": "+"}
        wrong = [p for p in w["phones"] if p["error"] != "none"]
        detail = "  ".join(
            f"/{p['expected'] or ''}/→/{p['heard'] or '–'}/" for p in wrong
        )
        text = w["text"] or "(extra sounds)"
        lines.append(f" {mark.get(w['error'], '?')} {text:<16} {_fmt(w['score'])}  {detail}")
    if d.get("feedback"):
        lines.append("")
        lines.append("Tips:")
        seen = set()
        for t in d["feedback"]:
            key = (t["expected"], t["heard"], t["kind"])
            if key in seen:
                continue
            seen.add(key)
            pair = f"  (practise: {t['minimal_pair']})" if t.get("minimal_pair") else ""
            lines.append(f" • {t['word'] or '—'}: {t['tip']}{pair}")
    for w in d.get("warnings", []):
        lines.append(f"warning ({w['code']}): {w['message']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m accent_coach.cli.assess assess ...``)."""
    parser = argparse.ArgumentParser(prog="accent-coach")
    sub = parser.add_subparsers(dest="command", required=True)
    add_assess_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
