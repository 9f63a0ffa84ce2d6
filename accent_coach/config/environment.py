"""Reading the declared groups from ``ACCENT_COACH_*`` variables, strictly or leniently.

Strict (``get_settings``): a bad value raises ``ValueError`` whose one-line message names
the variable, its value and what it must be, the wording the CLI, API and pages have
always shown; pydantic's own report never reaches the user. Lenient (``limits()``,
``data_dir()``): a bad value keeps its default, so the engine and the data folder work
while the Settings page reports the problem.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import EnvSettingsSource

from accent_coach.config.declared import Group, variable_of
from accent_coach.config.reference import kind_of

G = TypeVar("G", bound=Group)


class _Variables(EnvSettingsSource):
    """Each field's one declared variable (no name variants, no JSON decoding); a blank
    value counts as unset and surrounding spaces are dropped, as they always were."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[object, str, bool]:
        name = variable_of(field_name, self.settings_cls)  # type: ignore[arg-type]
        raw = (self.env_vars.get(name) or "").strip() if name else ""
        return raw or None, field_name, False


def _raw(group: type[Group]) -> dict[str, object]:
    values = _Variables(group)()
    for name, field in group.model_fields.items():  # nested groups read their own variables
        if isinstance(field.annotation, type) and issubclass(field.annotation, Group):
            values[name] = read(field.annotation)
    return values


def _message(group: type[Group], raw: dict[str, object], error: dict) -> str:
    """``ACCENT_COACH_MAX_MODELS='0' must be a whole number of at least 1.``"""
    field_name = str(error["loc"][0]) if error["loc"] else ""
    if field_name not in group.model_fields:  # a rule across fields, e.g. the preload list
        field_name = next((n for n in group.model_fields if n in raw), field_name)
    variable = variable_of(field_name, group) or field_name
    shown = f"{variable}={raw.get(field_name)!r}"
    if error["type"] == "value_error":  # a parser's own explanation
        return f"{shown}: {error['ctx']['error']}"
    return f"{shown} must be {kind_of(group.model_fields[field_name])}."


def read(group: type[G]) -> G:
    """``group`` from the environment; ``ValueError`` naming the first bad variable."""
    raw = _raw(group)
    try:
        return group.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(_message(group, raw, exc.errors()[0])) from None


def read_leniently(group: type[G]) -> G:
    """``group`` from the environment, each bad variable replaced by its default."""
    raw = _Variables(group)()
    while True:
        try:
            return group.model_validate(raw)
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            if not bad & raw.keys():
                return group()
            raw = {k: v for k, v in raw.items() if k not in bad}
