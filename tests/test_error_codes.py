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


def test_every_error_code_has_one_status():
    skip = ("accent_coach.ui", "accent_coach.cli.__main__")
    for module in pkgutil.walk_packages(accent_coach.__path__, "accent_coach."):
        if not module.name.startswith(skip) and "streamlit" not in module.name:
            importlib.import_module(module.name)
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
    assert statuses["audio_too_long"] == {413} and statuses["conflict"] == {409}
    assert {c: s for c, s in statuses.items() if len(s) > 1} == {}
