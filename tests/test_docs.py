"""The README and docs/ mirror the code: the commands, paths, modules, endpoints and
settings they name exist, their links resolve, and the README's test command is the
one CI runs. A rename in the code that the docs miss fails here."""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

import pytest

from accent_coach import cli
from accent_coach.config import ENV_VARS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Made by the settings generator from the declarations; its own test keeps it current.
GENERATED = {ROOT / "docs" / "configuration.md"}
USER_FILES = {".streamlit/secrets.toml"}  # the deployer writes it (sign-in); never committed
TEST_COMMAND = "pip install -r requirements-dev.txt -e . && pytest"
APP_COMMAND = "pip install -r requirements.txt -e . && streamlit run app.py"


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _ids(pages: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in pages]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", _text(page), flags=re.MULTILINE)}


def test_readme_commands_are_the_real_ones():
    readme = _text(ROOT / "README.md")
    assert TEST_COMMAND in readme and APP_COMMAND in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in ci, ".ci/run must run the README's test command"
    assert (ROOT / "app.py").is_file()


def test_fast_loop_markers_are_declared():
    """docs/development.md's fast loop deselects markers pyproject.toml declares."""
    dev = _text(ROOT / "docs" / "development.md")
    assert 'pytest -m "not slow and not e2e"' in dev
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"e2e: ' in project and '"slow: ' in project


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_links_resolve(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", _text(page)):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if dest in GENERATED:
            continue
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no such heading)")
    assert not broken, broken


def _known_roots() -> set[str]:
    top = {p.name for p in ROOT.iterdir()}
    core = {p.name for p in (ROOT / "accent_coach").iterdir() if p.is_dir() or p.suffix == ".py"}
    return top | core


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_paths_exist(page):
    """`accent_coach/...`, `tests/...`, `engine/audio.py` (inside the package) and the like."""
    roots, missing = _known_roots(), []
    for token in re.findall(r"`([\w.-]+(?:/[\w.-]+)*/?)`", _text(page)):
        if "/" not in token and not token.endswith(".py"):
            continue
        if token.split("/")[0] not in roots or token in USER_FILES:
            continue  # a Hugging Face id, a package name, a file the user creates
        if not ((ROOT / token).exists() or (ROOT / "accent_coach" / token).exists()):
            missing.append(token)
    assert not missing, missing


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_modules_exist(page):
    modules = set(re.findall(r"python -m ([\w.]+)", _text(page)))
    missing = sorted(m for m in modules if importlib.util.find_spec(m) is None)
    assert not missing, missing


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps sub-commands in a private action
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_commands_exist(page):
    commands = _subcommands(cli.build_parser())
    unknown = []
    for first, second in re.findall(r"accent-coach ([a-z]+)(?: ([a-z]+))?", _text(page)):
        if first not in commands:
            unknown.append(first)
            continue
        actions = _subcommands(commands[first])
        if actions and second and second not in actions and first in ("models", "cache"):
            unknown.append(f"{first} {second}")
    assert not unknown, unknown


def _routes() -> set[tuple[str, str]]:
    from accent_coach.service.api import create_app

    paths = create_app().openapi()["paths"]  # routes only; no model is loaded
    return {(m.upper(), re.sub(r"\{\w+\}", "{}", p)) for p, ops in paths.items() for m in ops}


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_endpoints_exist(page):
    """Our endpoints (`/v1/...`, `/health`); the origins' `/model/load` are history."""
    routes = _routes()
    named = re.findall(r"\b(GET|POST|DELETE|PUT|PATCH) (/v1/[\w/{}.-]*\w}?|/health)", _text(page))
    missing = [f"{m} {p}" for m, p in named if (m, re.sub(r"\{\w+\}", "{}", p)) not in routes]
    assert not missing, missing


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_settings_exist(page):
    settings = {name for name, _, _ in ENV_VARS}
    test_only = set()
    for path in (ROOT / "tests").rglob("*.py"):
        test_only |= set(re.findall(r"ACCENT_COACH_[A-Z0-9_]*[A-Z0-9]\b", _text(path)))
    named = set(re.findall(r"ACCENT_COACH_[A-Z0-9_]*[A-Z0-9]\b", _text(page)))
    assert named <= settings | test_only, sorted(named - settings - test_only)
