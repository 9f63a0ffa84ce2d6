"""One HTTP status per error code, across every layer's errors (clients key on codes)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import accent_coach
from accent_coach.errors import AccentCoachError
from accent_coach.service.api.errors import HTTP_CODES


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _import_every_module() -> None:
    skip = ("accent_coach.ui", "accent_coach.cli.__main__")
    for module in pkgutil.walk_packages(accent_coach.__path__, "accent_coach."):
        if not module.name.startswith(skip) and "streamlit" not in module.name:
            importlib.import_module(module.name)


def _code_statuses() -> dict[str, set[int]]:
    """Every error code in the code base → the HTTP statuses it is raised with."""
    _import_every_module()
    statuses: dict[str, set[int]] = {}
    for cls in [AccentCoachError, *_subclasses(AccentCoachError)]:
        statuses.setdefault(cls.code, set()).add(cls.http_status)
    for status, code in HTTP_CODES.items():  # Starlette's own errors, mapped in the API
        statuses.setdefault(code, set()).add(status)
    classes = {cls.__name__: cls for cls in _subclasses(AccentCoachError)}
    for path in Path(accent_coach.__file__).parent.rglob("*.py"):  # SomeError(..., code="x")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in classes:
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        statuses.setdefault(kw.value.value, set()).add(
                            classes[node.func.id].http_status)
    return statuses


def test_every_error_code_has_one_status():
    statuses = _code_statuses()
    assert statuses["audio_too_long"] == {413} and statuses["conflict"] == {409}
    assert {c: s for c, s in statuses.items() if len(s) > 1} == {}


def test_every_user_facing_error_is_declared_in_errors_py():
    """One family in one place: a layer imports its errors, it does not declare them."""
    _import_every_module()
    ours = [c for c in _subclasses(AccentCoachError) if c.__module__.startswith("accent_coach")]
    assert len(ours) >= 20
    assert [f"{c.__module__}.{c.__name__}" for c in ours
            if c.__module__ != "accent_coach.errors"] == []


def test_no_plain_exception_types_for_users():
    """Nothing raises a bare RuntimeError or declares an exception outside the family
    (BaseException signals, private markers excepted)."""
    found = []
    package = Path(accent_coach.__file__).parent
    for path in set(package.rglob("*.py")) - {package / "errors.py"}:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            raised = node.exc.func if isinstance(node, ast.Raise) and isinstance(
                node.exc, ast.Call) else None
            if getattr(raised, "id", None) == "RuntimeError":
                found.append(f"{path.name}:{node.lineno} raises RuntimeError")
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and any(
                getattr(b, "id", None) in ("Exception", "RuntimeError", "ValueError")
                for b in node.bases
            ):
                found.append(f"{path.name}:{node.lineno} declares {node.name}")
    assert found == []


def test_the_self_hosting_status_table_lists_every_code_the_api_can_answer():
    """docs/self-hosting.md's "Status | Codes" table is what clients key on: each code
    the code base raises appears there, under its status."""
    table = Path(__file__).resolve().parents[1] / "docs" / "self-hosting.md"
    documented: dict[str, int] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].isdigit():
            for code in cells[1].split(","):
                name = code.strip().split(" ")[0].strip("`")
                if name:
                    documented[name] = int(cells[0])
    internal = {  # raised by the CLI, the pages, the tutor or history storage, never by the API
        "error", "manifest_invalid", "config_invalid", "scenario_unknown", "llm_unavailable",
        "voice_unavailable", "out_is_input", "attempt_invalid", "conversation_invalid",
        "profile_missing", "profile_invalid", "profile_taken", "storage_unavailable",
        "storage_foreign_schema", "storage_newer_schema"}
    expected = {c: next(iter(s)) for c, s in _code_statuses().items() if c not in internal}
    assert {c: documented.get(c) for c in expected} == expected
