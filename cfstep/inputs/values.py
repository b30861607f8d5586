"""Reading one input's text as a typed value, with errors that name the input.

Every error says which input, what value and what to write instead, on one line. How each
kind of input is written: README, "Inputs".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from cfstep import documents
from cfstep.console import shown
from cfstep.errors import InputError
from cfstep.model import ChildSpec

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
# A YAML document can only be a sequence if its first significant character is one of
# these (a block or flow sequence, a tag, anchor or alias, a directive, a comment line or a
# document marker); anything else is never a list, so yaml need not even be imported.
_MAYBE_YAML_SEQUENCE = tuple("[-!&*%#")


def shown_input(name: str, value: str) -> str:
    """`shown`, except for a secret input (SECRETS, a child's `secrets`): a malformed item
    may be nothing but the secret value itself, so its text is never echoed (README,
    "Safety")."""
    return "(the value is hidden)" if "secret" in name.lower() else shown(value)


def utf8_text(name: str, text: str) -> str:
    """The text, if it is text: an environment value holding bytes that are not UTF-8
    reaches Python as lone surrogates, which nothing can send or write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{name}: holds bytes that are not UTF-8 text (at character {exc.start + 1}) — "
            "write the value in UTF-8"
        ) from None
    return text


def parse_bool(name: str, text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InputError(f"{name}: {shown(text)} is not a boolean — use true or false")


def parse_number(name: str, text: str, *, minimum: float) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise InputError(
            f"{name}: {shown(text)} is not a number of at least {minimum:g} — "
            "write digits, decimals allowed, e.g. 30 or 0.5"
        )
    return number


def parse_integer(name: str, text: str, *, minimum: int) -> int:
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or int(stripped) < minimum:
        raise InputError(
            f"{name}: {shown(text)} is not a whole number of at least {minimum} — "
            "write digits only, e.g. 10"
        )
    return int(stripped)


def parse_list(name: str, text: str) -> tuple[str, ...]:
    """An environment list: a YAML list's items, else one item per non-blank line.

    Never split on commas: values contain commas.
    """
    if not text.strip():
        return ()
    if text.lstrip().startswith(_MAYBE_YAML_SEQUENCE):
        items = _yaml_list(name, text)
        if items is not None:
            return tuple(_scalar_text(name, item) for item in items)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _yaml_list(name: str, text: str) -> list[Any] | None:
    fast = documents.json_as_yaml(text)
    if fast is not None:
        return fast if isinstance(fast, list) else None
    data = documents.load_yaml_or_none(name, text)
    return data if isinstance(data, list) else None


def _scalar_text(name: str, item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if item is None:
        return ""
    if isinstance(item, str | int | float):
        return str(item)
    raise InputError(
        f"{name}: list item {shown_input(name, str(item))} is a {type(item).__name__}, "
        "not text — write each item as a plain value"
    )


def parse_pair(name: str, item: str) -> tuple[str, str]:
    """KEY=VALUE, split at the first `=`."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(c.isspace() for c in key):
        raise InputError(
            f"{name}: {shown_input(name, item)} is not KEY=VALUE — write e.g. APP_VERSION=1.2.3 "
            "(the value may contain = , and spaces)"
        )
    return key, value


def last_wins(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """One entry per key, the last given value, in first-seen order."""
    merged: dict[str, str] = {}
    for key, value in pairs:
        merged[key] = value
    return tuple(merged.items())


def with_variables(
    child: ChildSpec, extra: tuple[tuple[str, str], ...], *, first: bool
) -> ChildSpec:
    """The child with more variables: `first` puts them before its own, which then win."""
    merged = extra + child.variables if first else child.variables + extra
    return dataclasses.replace(child, variables=last_wins(merged))


def variable_map(name: str, data: object) -> dict[str, str]:
    """A map of build variables; values must be scalars."""
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: {shown(str(data))} is a {type(data).__name__}, not a map of variables — "
            "write KEY: value lines"
        )
    result = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"{name}: variable name {shown(str(key))} is not a name")
        result[key] = _scalar_text(f"{name} variable {key}", value)
    return result
