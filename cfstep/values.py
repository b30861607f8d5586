"""Reading one input's text as a typed value (SPEC §2), with errors that name the input.

Every error says which input, what value and what to write instead, on one line.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterable

from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (issue 5)
if TYPE_CHECKING:
    from typing import Any

    from cfstep.inputs import ChildSpec

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
# A YAML document can only be a sequence if its first significant character is one of
# these (a block or flow sequence, a tag, anchor or alias, a directive, a comment line or a
# document marker); anything else is never a list, so yaml need not even be imported.
_MAYBE_YAML_SEQUENCE = tuple("[-!&*%#")
_MAX_FILE_BYTES = 1_000_000


def shown(value: str, limit: int = 80) -> str:
    """A value quoted for a message, cut so a huge input does not flood the log."""
    text = value if len(value) <= limit else value[:limit] + f"…({len(value)} chars)"
    return repr(text)


def shown_input(name: str, value: str) -> str:
    """`shown`, except for a secret input (SECRETS, a child's `secrets`): a malformed item
    may be nothing but the secret value itself, so its text is never echoed (SPEC §8)."""
    return "(the value is hidden)" if "secret" in name.lower() else shown(value)


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
        items = _yaml_list(text)
        if items is not None:
            return tuple(_scalar_text(name, item) for item in items)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _yaml_list(text: str) -> list[Any] | None:
    fast = json_as_yaml(text)
    if fast is not None:
        return fast if isinstance(fast, list) else None
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - the loader is a SafeLoader
    except yaml.YAMLError:
        return None
    return data if isinstance(data, list) else None


def json_as_yaml(text: str) -> list[str] | dict[str, str] | None:
    """A JSON list of strings, or object of strings, when YAML would read exactly the same.

    A typed step hands lists and maps over as one line of JSON (step.yaml); for those in
    plain ASCII, YAML reads exactly what json reads, and json is loaded already: the run is
    spared importing yaml (~30 ms on these machines, issue 5). `\\u` escapes (YAML keeps
    surrogate pairs apart), DEL and tabs (YAML refuses them) are left to YAML."""
    if not text.isascii() or "\\u" in text or "\x7f" in text or "\t" in text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return data
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return data
    return None


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_text_file(name: str, path_text: str) -> str:
    try:
        # Read at most one byte past the limit: the size a device (/dev/urandom) or a pipe
        # reports says nothing, and reading it whole would never end.
        with open(path_text, "rb") as file:
            data = file.read(_MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            raise InputError(f"{name}: {path_text} is larger than 1 MB — give a smaller file")
        # As text mode would: universal newlines.
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read {path_text} ({exc.strerror or exc}) — check the path"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: {path_text} is not UTF-8 text — give a YAML or JSON file"
        ) from exc


def read_structured_file(name: str, path_text: str) -> object:
    """A YAML or JSON file (JSON is YAML)."""
    return parse_structured(name, read_text_file(name, path_text), where=path_text)


def parse_structured(name: str, text: str, *, where: str = "the value") -> object:
    import yaml

    if "\x00" in text:
        raise InputError(f"{name}: {where} holds binary data — give YAML or JSON text")
    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - the loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise InputError(
            f"{name}: {where} is not valid YAML/JSON ({problem}{at}) — fix the syntax"
        ) from exc


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


def check_ca_bundle(name: str, path: str) -> None:
    """A CA bundle that cannot be read is an input error, found before any request."""
    if os.path.isdir(path) and os.access(path, os.R_OK):
        return  # a directory of hashed certificates, as OpenSSL's capath
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 20)
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read {path!r} ({exc.strerror}) — give the path of a PEM file "
            "with the CA certificates to trust"
        ) from None
    if b"CERTIFICATE-----" not in head:
        raise InputError(
            f"{name}: {path!r} holds no PEM certificate — give a PEM file with the CA "
            "certificates to trust (-----BEGIN CERTIFICATE----- blocks)"
        )
