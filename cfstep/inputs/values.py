"""Reading one input's text as a typed value, with errors that name the input.

Every error says which input, what value and what to write instead, on one line. How each
kind of input is written: README, "Inputs".
"""

from __future__ import annotations

import dataclasses
import math
import re

from cfstep import documents
from cfstep.console import shown
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from cfstep.model import ChildSpec

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
# A YAML document can only be a sequence if its first significant character is one of
# these (a block or flow sequence, a tag, anchor or alias, a directive, a comment line or a
# document marker); anything else is never a list, so yaml need not even be imported.
_MAYBE_YAML_SEQUENCE = tuple("[-!&*%#")
# `- ` (or a lone `-`) starts an item of a YAML block list; `-x` or `--flag` does not.
_BLOCK_ITEM = re.compile(r"-(?:[ \t\r\n]|$)")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def shown_input(name: str, value: str) -> str:
    """`shown`, except for a secret input (SECRETS, a child's `secrets`): a malformed item
    may be nothing but the secret value itself, so its text is never echoed (docs/safety.md)."""
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

    Never split on commas: values contain commas. Text that starts as YAML writes a list
    (`[`, `{`, `- `) must be valid YAML: a list missing its `]` is not one item.
    """
    if not text.strip():
        return ()
    head = text.lstrip()
    if head.startswith(("[", "{")) or _BLOCK_ITEM.match(head):
        return tuple(_scalar_text(name, item) for item in _strict_yaml_list(name, text))
    if head.startswith(_MAYBE_YAML_SEQUENCE):
        items = _yaml_list(name, text)
        if items is not None:
            return tuple(_scalar_text(name, item) for item in items)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _strict_yaml_list(name: str, text: str) -> list[Any]:
    data: object = documents.json_as_yaml(text)
    if data is None:
        data = documents.load_yaml(
            name,
            text,
            fix="close the list, quote an item that holds `: ` or `, `, or give one item per "
            "line without brackets or dashes",
        )
    if isinstance(data, list):
        return data
    what = "a map" if isinstance(data, dict) else "not a list"
    raise InputError(
        f"{name}: the value is YAML but {what} — write a list, [A, B] or one `- item` per "
        "line, or give one item per line"
    )


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


def parse_pair(name: str, item: str, *, variable: bool = False) -> tuple[str, str]:
    """KEY=VALUE, split at the first `=`; `variable`: KEY must be a variable's name."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(c.isspace() for c in key):
        raise InputError(
            f"{name}: {shown_input(name, item)} is not KEY=VALUE — write e.g. APP_VERSION=1.2.3 "
            "(the value may contain = , and spaces)"
        )
    if variable:
        variable_name(name, key)
    return key, value


def variable_name(name: str, key: str) -> str:
    """A build variable's name: what a list item that was not meant as one (`[APP_VERSION`
    from a list missing its `]`) is not."""
    if not _VARIABLE_NAME.fullmatch(key):
        raise InputError(
            f"{name}: {shown_input(name, key)} is not a variable name (letters, digits, _ and "
            "-, not starting with a digit) — write KEY=VALUE with a plain name, e.g. "
            "APP_VERSION=1.2.3"
        )
    return key


def pipeline_name(name: str, value: str) -> str:
    """A pipeline's name or id, which becomes one segment of a URL path: a `.` or `..` part
    would be taken away by a URL library, and the request would reach another endpoint
    (`POST /api/pipelines/run/..` is `POST /api/pipelines/`, which creates pipelines)."""
    if any(part.strip() in (".", "..") for part in value.split("/")):
        raise InputError(
            f"{name}: {shown(value)} is not a pipeline: `.` and `..` cannot be names — give "
            "the pipeline as project/pipeline, or its id"
        )
    return value


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


def variable_map(name: str, data: object, *, variable: bool = True) -> dict[str, str]:
    """A map of build variables (`variable`: their names checked, else annotations); values
    must be scalars."""
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: {shown(str(data))} is a {type(data).__name__}, not a map of variables — "
            "write KEY: value lines"
        )
    result = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(
                f"{name}: variable name {shown(str(key))} is not a name — write NAME: value"
            )
        if variable:
            variable_name(name, key)
        result[key] = _scalar_text(f"{name} variable {key}", value)
    return result
