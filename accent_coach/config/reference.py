"""The configuration reference, generated from the declarations: docs/configuration.md
(``python -m accent_coach.config --markdown``) and the Settings page's values in force.

Nothing here restates a setting: names, defaults, ranges and meanings all come from
:mod:`accent_coach.config.declared`; only how a few values are *shown* lives here (a
masked password, the effective folder of an unset one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le
from pydantic.fields import FieldInfo

from accent_coach.config.declared import GROUPS, Group, Settings, Syntax, variable_of

DOCS_PATH = Path("docs") / "configuration.md"  # relative to the repository root


@dataclass(frozen=True)
class Variable:
    """One ``ACCENT_COACH_*`` variable: the field it sets and the group it belongs to."""

    name: str
    path: str  # attribute path on Settings, e.g. "limits.max_seconds"
    field: FieldInfo
    group: str

    @property
    def secret(self) -> bool:
        extra = self.field.json_schema_extra
        return isinstance(extra, dict) and bool(extra.get("secret"))

    @property
    def default(self) -> str:
        return _text(self.field.default)


def variables() -> tuple[Variable, ...]:
    """Every variable, group by group, in declaration order."""
    return tuple(
        Variable(name, _path(group, field_name), field, str(group.model_config.get("title")))
        for group in GROUPS for field_name, field in group.model_fields.items()
        if (name := variable_of(field_name, group)) is not None
    )


def _path(group: type[Group], field_name: str) -> str:
    """``limits.max_seconds`` for a nested group's field, else the field name."""
    nested = next((n for n, f in Settings.model_fields.items() if f.annotation is group), None)
    return f"{nested}.{field_name}" if nested else field_name


def kind_of(field: FieldInfo) -> str:
    """What a value must be, e.g. ``a whole number of at least 1`` (docs and errors)."""
    syntax = next((m.text for m in field.metadata if isinstance(m, Syntax)), None)
    annotation = field.annotation
    if syntax:
        return syntax
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(get_args(annotation))
    if annotation is bool:
        return "1 or 0"
    base = {int: "a whole number", float: "a number"}.get(annotation)  # type: ignore[arg-type]
    if base is None:
        return "a folder" if Path in _plain_types(annotation) else "text"
    bounds = [f"at least {m.ge:g}" for m in field.metadata if isinstance(m, Ge)]
    bounds += [f"greater than {m.gt:g}" for m in field.metadata if isinstance(m, Gt)]
    bounds += [f"at most {m.le:g}" for m in field.metadata if isinstance(m, Le)]
    if not bounds:
        return base
    joined = " and ".join(bounds)
    return f"{base} of {joined}" if joined.startswith("at least") else f"{base} {joined}"


def _plain_types(annotation: object) -> set[object]:
    """``Path | None`` with its ``Annotated`` validators → {Path, NoneType}."""
    if get_origin(annotation) is Annotated:
        return _plain_types(get_args(annotation)[0])
    args = get_args(annotation)
    return set().union(*map(_plain_types, args)) if args else {annotation}


def _text(value: object) -> str:
    if value is None or value == ():
        return "(unset)"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _attribute(settings: Settings, path: str) -> object:
    value: object = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


# How a few values are shown: the effective value of an unset one, a list, no password.
_SHOWN: dict[str, Callable[[Settings], str]] = {
    "preload": lambda s: ", ".join(s.preload_models) or (
        "1 (the selected model)" if s.preload else "0"),
    "idle_unload": lambda s: ", ".join(f"{k}={v:g} s" for k, v in s.idle_unload) or "0 (never)",
    "db_url": lambda s: re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", s.database_url),
    "models_dir": lambda s: str(s.api_models_dir),
}


def in_force(settings: Settings) -> dict[str, str]:
    """Each variable's value as the app uses it (secrets masked), for the Settings page."""
    shown = {}
    for variable in variables():
        value = _attribute(settings, variable.path)
        if variable.secret:
            shown[variable.name] = "(set)" if value else "(unset)"
        elif variable.path in _SHOWN:
            shown[variable.name] = _SHOWN[variable.path](settings)
        elif isinstance(value, tuple):
            shown[variable.name] = ", ".join(map(str, value)) or "(unset)"
        else:
            shown[variable.name] = _text(value)
    return shown


def markdown() -> str:
    """docs/configuration.md: one table per group (variable, default, accepted values, meaning)."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `python -m accent_coach.config --markdown` from",
        "     accent_coach/config/declared.py; edit the declarations, not this file. -->",
        "",
        "Accent Coach reads these environment variables when it starts (the app, the CLI,",
        "the API and the worker alike). An unset or empty variable means its default. A bad",
        "value stops the CLI and the API with a one-line message naming the variable; the",
        "app shows it on the Settings page, which also lists the values in force.",
    ]
    for group in GROUPS:
        title = group.model_config.get("title")
        lines += ["", f"## {title}", "", "| Variable | Default | Accepts | Meaning |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| `{v.name}` | {_cell(v.default)} | {_cell(kind_of(v.field))} | "
                  f"{_cell(v.field.description or '')} |"
                  for v in variables() if v.group == title]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")

