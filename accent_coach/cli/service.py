"""``accent-coach models list|status|download|remove``, ``cache info|clear``, ``serve``, ``worker``.

Model files on disk and the result cache are inspected and cleared here; the API and
the Celery worker are started here. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from typing import Any

from accent_coach.errors import AccentCoachError

EXIT_OK, EXIT_ERROR = 0, 1


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _size(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"{question} Not confirmed (no terminal); pass --yes.", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _model_files() -> list[tuple[str, str, int]]:
    """(id, where, bytes) of every model on disk: the embedded one and downloaded ones."""
    from accent_coach.speech.registry import (
        EMBEDDED,
        EMBEDDED_MODEL_DIR,
        downloaded_models,
        folder_bytes,
    )

    rows = [(EMBEDDED, str(EMBEDDED_MODEL_DIR), folder_bytes(EMBEDDED_MODEL_DIR))]
    rows += [(repo, str(path), size) for repo, (size, path) in sorted(downloaded_models().items())]
    return rows


def cmd_models_status(args: argparse.Namespace) -> int:
    """Models on disk (sizes); with --url, what a running server has loaded."""
    if args.url:
        return _print_server_status(args.url, args.api_key)
    print(f"{'model':42} {'size':>10}  location")
    for name, where, size in _model_files():
        print(f"{name:42} {_size(size):>10}  {where}")
    print("\nNothing is loaded by this command; `accent-coach models status --url "
          "http://127.0.0.1:8000` shows what a running server holds.")
    return EXIT_OK


def _print_server_status(url: str, api_key: str | None) -> int:
    request = urllib.request.Request(url.rstrip("/") + "/v1/models/status")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = json.load(response)
    except OSError as exc:
        return _fail(f"could not reach {url}: {exc}")
    print(f"{'model':42} {'kind':11} {'loaded':6} {'device':6} {'memory':>10} idle unload in")
    for row in status["models"]:
        idle = row["idle_unload_in"]
        print(f"{row['id']:42} {row['kind']:11} {'yes' if row['loaded'] else 'no':6} "
              f"{row['device'] or '–':6} {_size(row['memory_bytes']):>10} "
              f"{'–' if idle is None else f'{idle:.0f} s'}")
    print(f"\nserver process memory: {_size(status['process_rss_bytes'])}")
    return EXIT_OK


def cmd_models_download(args: argparse.Namespace) -> int:
    from accent_coach.speech.registry import fetch_model

    try:
        path = fetch_model(args.model_id)
    except AccentCoachError as exc:
        return _fail(str(exc))
    print(f"Fetched {args.model_id} to {path}")
    return EXIT_OK


def cmd_models_remove(args: argparse.Namespace) -> int:
    from accent_coach.speech.registry import downloaded_models, remove_model, resolve_model

    try:
        size = downloaded_models().get(resolve_model(args.model_id).path_or_id, (None,))[0]
        if not _confirm(f"Delete {args.model_id} ({_size(size)}) from the model cache?",
                        args.yes):
            return EXIT_ERROR
        freed = remove_model(args.model_id)
    except AccentCoachError as exc:
        return _fail(str(exc))
    print(f"Removed {args.model_id}; freed {_size(freed)}.")
    return EXIT_OK


def _result_cache() -> Any:
    from accent_coach.service.result_cache import default_cache

    return default_cache()


def cmd_cache_info(args: argparse.Namespace) -> int:
    """Model files on disk and the result cache, with sizes."""
    print("Model files:")
    for name, where, size in _model_files():
        print(f"  {name:42} {_size(size):>10}  {where}")
    stats = _result_cache().stats()
    ttl = stats["ttl_seconds"]
    print(f"\nResult cache: {stats['disk_items']} results, {_size(stats['disk_bytes'])} in "
          f"{stats['directory']} (TTL {'none' if not ttl else f'{ttl:g} s'}, "
          f"engine {stats['engine_version']})")
    return EXIT_OK


def cmd_cache_clear(args: argparse.Namespace) -> int:
    cache = _result_cache()
    stats = cache.stats()
    question = (f"Delete {stats['disk_items']} cached results ({_size(stats['disk_bytes'])}) "
                f"from {stats['directory']}?")
    if not _confirm(question, args.yes):
        return EXIT_ERROR
    print(f"Removed {cache.clear()} cached results.")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the REST API with uvicorn (loopback unless --host says otherwise)."""
    import uvicorn

    from accent_coach.config import get_settings
    from accent_coach.service.api import check_bind, create_app

    try:
        settings = get_settings()
        check_bind(args.host, settings)
    except (ValueError, AccentCoachError) as exc:
        return _fail(str(exc))
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Start a Celery worker for batch jobs (needs ACCENT_COACH_BROKER_URL)."""
    from accent_coach.config import get_settings

    try:
        settings = get_settings()
    except ValueError as exc:
        return _fail(str(exc))
    if not settings.broker_url:
        return _fail("ACCENT_COACH_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0); "
                     "without a broker, jobs run inside `accent-coach serve`.")
    from accent_coach.service.jobs.celery_backend import worker_main

    worker_main(settings, concurrency=args.concurrency)
    return EXIT_OK


def add_models_subcommands(models: argparse.ArgumentParser, list_func: Any) -> None:
    """``models`` keeps listing on its own; ``list|status|download|remove`` hang below it."""
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    sub.add_parser("list", help="known models and whether they are usable offline").set_defaults(
        func=list_func)
    p = sub.add_parser("status", help="models on disk, or what a running server has loaded")
    p.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    p.add_argument("--api-key", help="its API key (default: ACCENT_COACH_API_KEY)")
    p.set_defaults(func=cmd_models_status)
    p = sub.add_parser("download", help="download a Hugging Face model for offline use")
    p.add_argument("model_id")
    p.set_defaults(func=cmd_models_download)
    p = sub.add_parser("remove", help="delete a downloaded model from the local cache")
    p.add_argument("model_id")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_models_remove)


def add_service_parsers(sub: Any) -> None:
    p = sub.add_parser("cache", help="model files and the result cache: info, clear")
    actions = p.add_subparsers(dest="cache_command", metavar="ACTION")
    p.set_defaults(func=cmd_cache_info)
    actions.add_parser("info", help="sizes of model files and cached results").set_defaults(
        func=cmd_cache_info)
    c = actions.add_parser("clear", help="delete cached assessment results")
    c.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    c.set_defaults(func=cmd_cache_clear)

    p = sub.add_parser("serve", help="start the REST API (FastAPI + uvicorn)")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="start a Celery worker for batch jobs")
    p.add_argument("--concurrency", type=int, default=1, help="items run at once (threads)")
    p.set_defaults(func=cmd_worker)
