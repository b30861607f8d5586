"""PIPELINES: the list of children, each item a name or a map of per-child inputs (the input
names in lower case), the step's own inputs being the defaults (docs/fanout.md)."""

from __future__ import annotations

import dataclasses

from cfstep import documents
from cfstep.errors import InputError
from cfstep.inputs import only_changed, values
from cfstep.model import PACK_NAMES

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cfstep.model import ChildSpec

_TEXT = ("pipeline", "trigger", "branch", "sha", "runtime_name", "pack_name", "yaml")
_BOOLS = ("no_cache", "no_cf_cache", "reset_volume", "enable_notifications")
_LISTS = ("contexts", "only", "skip")
_PAIRS = ("variables", "secrets", "annotations")
_ALIASES = {
    "pipeline_id": "pipeline",
    "trigger_id": "trigger",
    "context": "contexts",
    "variable": "variables",
    "annotation": "annotations",
}


def parse_pipelines(text: str, defaults: ChildSpec) -> tuple[ChildSpec, ...]:
    data = documents.load_yaml("PIPELINES", text)
    if not isinstance(data, list) or not data:
        # The text is not shown: it may hold a child's secrets.
        what = "an empty list" if isinstance(data, list) else f"a {_kind(data)}"
        raise InputError(
            f"PIPELINES: holds {what}, not a non-empty list — write a YAML list of "
            "pipeline names or of maps with a `pipeline` key"
        )
    return tuple(_child(i, item, defaults) for i, item in enumerate(data, start=1))


def _child(index: int, item: object, defaults: ChildSpec) -> ChildSpec:
    where = f"PIPELINES item {index}"
    if isinstance(item, str) and item.strip():
        return dataclasses.replace(defaults, pipeline=values.pipeline_name(where, item.strip()))
    if not isinstance(item, dict):
        raise InputError(
            f"{where}: is a {_kind(item)}, neither a pipeline name nor "
            "a map — write `- project/pipeline` or `- pipeline: project/pipeline`"
        )
    changes: dict[str, Any] = {}
    for raw_key, value in item.items():
        key = _ALIASES.get(str(raw_key).lower(), str(raw_key).lower())
        if key in changes:
            raise InputError(f"{where}: {key!r} is given twice (as {raw_key!r}) — give it once")
        changes[key] = _field(where, key, value)
    changes["pipeline"] = str(changes.get("pipeline") or "").strip()
    if not changes["pipeline"]:
        raise InputError(f"{where}: has no `pipeline` — name the pipeline to run")
    values.pipeline_name(f"{where} pipeline", changes["pipeline"])
    # KEY=VALUE inputs add to the step's own (the child's value wins for the same key), as
    # VARIABLE does; every other input replaces the step's.
    for key in _PAIRS:
        if key in changes:
            changes[key] = values.last_wins(getattr(defaults, key) + changes[key])
    return dataclasses.replace(defaults, **changes)


def _field(where: str, key: str, value: object) -> object:
    parse: Callable[[str, object], object] | None = _PARSERS.get(key)
    if parse is None:
        known = ", ".join(sorted(_PARSERS))
        raise InputError(f"{where}: unknown key {key!r} — use one of {known}")
    return parse(f"{where} {key}", value)


def _text(name: str, value: object) -> object:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        # A map or list is never echoed: a misplaced `secrets:` item holds the secret.
        raise InputError(
            f"{name}: is a {_kind(value)}, not text — write a plain value"
            + (" (KEY=VALUE, or a map of KEY: value)" if name.endswith(_PAIRS) else "")
        )
    return str(value)


def _kind(value: object) -> str:
    """What YAML gave, in YAML's words, for a message that must not show the value."""
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    return "empty value" if value is None else type(value).__name__


def _pack(name: str, value: object) -> object:
    text = str(_text(name, value)).lower()
    if text not in PACK_NAMES:
        raise InputError(
            f"{name}: {text!r} is not one of {', '.join(PACK_NAMES)} — give one of them"
        )
    return text


def _yaml(name: str, value: object) -> object:
    """A path, read like the step's own YAML input."""
    return documents.read_text_file(name, str(_text(name, value)))


def _bool(name: str, value: object) -> object:
    return value if isinstance(value, bool) else values.parse_bool(name, str(value))


def _list(name: str, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(str(_text(name, v)) for v in items)


def _pairs(name: str, value: object) -> object:
    variable = not name.endswith("annotations")
    if isinstance(value, dict):
        return tuple(values.variable_map(name, value, variable=variable).items())
    return tuple(values.parse_pair(name, item, variable=variable) for item in _list(name, value))


_PARSERS: dict[str, Callable[[str, object], object]] = {
    **dict.fromkeys(_TEXT, _text),
    "pack_name": _pack,
    "yaml": _yaml,
    **dict.fromkeys(_BOOLS, _bool),
    **dict.fromkeys(_LISTS, _list),
    **dict.fromkeys(_PAIRS, _pairs),
    "modified_files_glob": only_changed.item_globs,
}
